#include "webhooks/delivery_worker.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <random>
#include <set>
#include <utility>

#include "audit/audit_log.hpp"
#include "core/log.hpp"
#include "net/curl_pool.hpp"
#include "observability/metrics.hpp"
#include "storage/bulk.hpp"
#include "webhooks/endpoint_store.hpp"
#include "webhooks/signature.hpp"

namespace meterline::webhooks {

namespace json = boost::json;

namespace {

// A delivery is due: pending and its time has come, or claimed by a worker
// whose lease ran out. $1 is now.
constexpr const char* kDue =
    "((d.status = 'pending' AND d.next_attempt_at <= $1) OR (d.status = 'processing' AND d.locked_until < $1))";
// The same without the alias, for the claiming UPDATE.
constexpr const char* kStillDue =
    "((status = 'pending' AND next_attempt_at <= $1) OR (status = 'processing' AND locked_until < $1))";

// Uniform in [0.8, 1.2): spreads retries of many deliveries that failed together.
double Jitter() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.8, 1.2)(rng);
}

std::string Truncated(const std::string& text, size_t max) { return text.size() <= max ? text : text.substr(0, max); }

}  // namespace

struct DeliveryWorker::Claimed {
  int64_t id = 0;
  int64_t attempts = 0;
  int64_t lease_until = 0;  // our claim: the row is ours while it holds this
  std::string endpoint_id;
  std::string redelivery_requested_by;
  std::string customer_id;  // with endpoint_id: the group whose order is kept
};

struct DeliveryWorker::Metrics {
  explicit Metrics(observability::Registry& registry)
      : deliveries(registry.AddCounter("meterline_webhook_deliveries_total",
                                       "Outgoing webhook delivery attempts, by endpoint and outcome "
                                       "(succeeded, retrying, failed).",
                                       {"endpoint", "outcome"})),
        latency(registry.AddHistogram("meterline_webhook_delivery_seconds",
                                      "Time from sending a webhook to its answer, by endpoint.", {"endpoint"},
                                      observability::DefaultLatencyBuckets())) {}
  observability::Family<observability::Counter>& deliveries;
  observability::Family<observability::Histogram>& latency;
};

DeliveryWorker::DeliveryWorker(storage::Database& db, const Clock& clock, observability::Registry& metrics,
                               DeliveryOptions options)
    : db_(db),
      clock_(clock),
      options_(options),
      pool_(std::make_unique<net::CurlPool>()),
      metrics_(std::make_unique<Metrics>(metrics)) {}

DeliveryWorker::~DeliveryWorker() = default;

std::chrono::milliseconds DeliveryWorker::RetryDelay(int64_t failed_attempts) const {
  std::chrono::milliseconds delay = options_.first_retry;
  for (int64_t i = 1; i < failed_attempts && delay < options_.max_retry_delay; ++i) delay *= 2;
  return std::min<std::chrono::milliseconds>(delay, options_.max_retry_delay);
}

Result<int64_t> DeliveryWorker::FanOut(int64_t limit) {
  TimePoint now = clock_.Now();
  int64_t now_ms = ToUnixMillis(now);
  int64_t fanned = 0;
  MTL_RETURN_IF_ERROR(db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
    fanned = 0;
    MTL_ASSIGN_OR_RETURN(auto events, tx.Execute("SELECT id, type, customer_id, created_at FROM events WHERE "
                                                 "status = 'pending' AND available_at <= $1 ORDER BY id LIMIT $2",
                                                 {now_ms, limit}));
    if (events.rows.empty()) return OkStatus();
    MTL_ASSIGN_OR_RETURN(auto endpoints, tx.Execute("SELECT id, customer_id, event_types, created_at FROM "
                                                    "webhook_endpoints WHERE deleted_at IS NULL AND status = "
                                                    "'enabled' ORDER BY id",
                                                    {}));
    struct Target {
      std::string id, customer_id;
      Endpoint filter;
      int64_t created_at;
    };
    std::vector<Target> targets;
    for (const auto& row : endpoints.rows) {
      Target t{row.Text(0), row.OptText(1).value_or(""), {}, row.Int(3)};
      boost::system::error_code ec;
      json::value types = json::parse(row.Text(2), ec);
      if (!ec && types.is_array()) {
        for (const auto& v : types.as_array()) {
          if (v.is_string()) t.filter.event_types.emplace_back(v.as_string());
        }
      }
      targets.push_back(std::move(t));
    }
    std::vector<storage::Value> rows;
    std::vector<std::string> done;  // event ids, as SelectIn takes keys
    for (const auto& event : events.rows) {
      int64_t event_id = event.Int(0);
      std::string type = event.Text(1);
      std::string customer = event.OptText(2).value_or("");
      for (const Target& t : targets) {
        // A customer's endpoint gets that customer's events; the platform's get all.
        if (!t.customer_id.empty() && t.customer_id != customer) continue;
        if (!t.filter.Wants(type) || t.created_at > event.Int(3)) continue;
        for (storage::Value v :
             std::initializer_list<storage::Value>{t.id, event_id, customer, now_ms, now_ms, now_ms}) {
          rows.push_back(std::move(v));
        }
      }
      done.push_back(std::to_string(event_id));
      ++fanned;
    }
    if (!rows.empty()) {
      MTL_RETURN_IF_ERROR(storage::InsertRows(tx,
                                              "INSERT INTO webhook_deliveries (endpoint_id, event_id, customer_id, "
                                              "next_attempt_at, created_at, updated_at)",
                                              6, rows, "ON CONFLICT (endpoint_id, event_id) DO NOTHING"));
    }
    return storage::SelectIn(tx,
                             "UPDATE events SET status = 'done', processed_at = $1 WHERE status = 'pending' AND id "
                             "IN_LIST",
                             {now_ms}, done, [](const storage::Row&) {});
  }));
  return fanned;
}

Result<std::vector<DeliveryWorker::Claimed>> DeliveryWorker::Claim(TimePoint now) {
  int64_t now_ms = ToUnixMillis(now);
  // Due, to an enabled endpoint, and not behind an earlier event's delivery
  // to the same endpoint and customer that waits for a retry or that another
  // worker holds (per-customer order). Earlier ones that are due come first
  // in this list, so a group is claimed from its head.
  MTL_ASSIGN_OR_RETURN(
      auto due,
      db_.Execute(std::string("SELECT d.id, d.attempts, d.endpoint_id, d.redelivery_requested_by, d.customer_id FROM "
                              "webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE "
                              "e.status = 'enabled' AND e.deleted_at IS NULL AND ") +
                      kDue +
                      " AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p WHERE p.endpoint_id = d.endpoint_id "
                      "AND p.customer_id = d.customer_id AND p.event_id < d.event_id AND ((p.status = 'pending' "
                      "AND p.next_attempt_at > $1) OR (p.status = 'processing' AND p.locked_until >= $1))) "
                      "ORDER BY d.event_id, d.id LIMIT $2",
                  {now_ms, int64_t{options_.batch}}));
  std::vector<Claimed> claimed;
  std::set<std::pair<std::string, std::string>> lost;  // groups whose head another worker took
  int64_t lease_until = now_ms + options_.lease.count();
  for (const auto& row : due.rows) {
    std::pair<std::string, std::string> group{row.Text(2), row.Text(4)};
    if (lost.count(group)) continue;
    // Taken only if still due: another worker may have claimed it since.
    MTL_ASSIGN_OR_RETURN(auto taken, db_.Execute(std::string("UPDATE webhook_deliveries SET status = 'processing', "
                                                             "locked_until = $2, updated_at = $1 WHERE id = $3 AND ") +
                                                     kStillDue,
                                                 {now_ms, lease_until, row.Int(0)}));
    if (taken.affected_rows == 1) {
      claimed.push_back({row.Int(0), row.Int(1), lease_until, row.Text(2), row.OptText(3).value_or(""), row.Text(4)});
    } else {
      lost.insert(group);
    }
  }
  return claimed;
}

Result<DeliveryRun> DeliveryWorker::RunOnce() {
  DeliveryRun run;
  MTL_ASSIGN_OR_RETURN(run.events, FanOut());
  MTL_ASSIGN_OR_RETURN(auto claimed, Claim(clock_.Now()));
  // In event order; once one of a group fails, the rest of it waits for it.
  std::set<std::pair<std::string, std::string>> stopped;
  for (const Claimed& c : claimed) {
    std::pair<std::string, std::string> group{c.endpoint_id, c.customer_id};
    if (stopped.count(group)) {
      MTL_RETURN_IF_ERROR(
          db_.Execute("UPDATE webhook_deliveries SET status = 'pending', locked_until = NULL WHERE "
                      "id = $1 AND status = 'processing' AND locked_until = $2",
                      {c.id, c.lease_until}));
      continue;
    }
    int64_t before = run.succeeded;
    Status delivered = Deliver(c, run);
    if (!delivered.ok()) {
      // Its lease runs out and it is taken up again.
      log::Error("webhook delivery failed to record", {{"delivery", c.id}, {"error", delivered.error().message}});
    }
    if (run.succeeded == before) stopped.insert(group);
  }
  return run;
}

Status DeliveryWorker::Deliver(const Claimed& claimed, DeliveryRun& run) {
  MTL_ASSIGN_OR_RETURN(
      auto found,
      db_.Execute("SELECT ev.public_id, ev.type, ev.customer_id, ev.payload, ev.created_at, ev.id, e.url FROM "
                  "webhook_deliveries d JOIN events ev ON ev.id = d.event_id JOIN webhook_endpoints e ON e.id = "
                  "d.endpoint_id WHERE d.id = $1",
                  {claimed.id}));
  if (found.rows.empty()) return NotFound("no webhook delivery " + std::to_string(claimed.id));
  const storage::Row& row = found.rows[0];
  TimePoint event_at = FromUnixMillis(row.Int(4));
  // The body Stripe's events have: the same on every attempt.
  boost::system::error_code ec;
  json::value payload = json::parse(row.Text(3), ec);
  std::string event_id = row.OptText(0).value_or("evt_" + std::to_string(row.Int(5)));
  json::object body{{"id", event_id},
                    {"object", "event"},
                    {"api_version", kEventApiVersion},
                    {"created", row.Int(4) / 1000},
                    {"type", row.Text(1)},
                    {"customer_id", row.OptText(2) ? json::value(*row.OptText(2)) : json::value(nullptr)},
                    {"data", {{"object", ec ? json::value(json::object()) : payload}}}};
  std::string text = json::serialize(body);
  TimePoint now = clock_.Now();
  MTL_ASSIGN_OR_RETURN(auto secrets, EndpointStore::SigningSecrets(db_, claimed.endpoint_id, now));
  std::vector<std::string> headers = {
      "Content-Type: application/json",
      std::string(kSignatureHeader) + ": " +
          SignatureHeaderValue(text, secrets,
                               std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count()),
      "Meterline-Event-Id: " + event_id,
  };
  PostResult result = PostJson(*pool_, row.Text(6), text, headers, options_.post);

  TimePoint after = clock_.Now();
  int64_t after_ms = ToUnixMillis(after);
  bool succeeded = result.Succeeded();
  bool give_up = !succeeded && after >= event_at + options_.retry_for;
  const char* outcome = succeeded ? "succeeded" : give_up ? "failed" : "retrying";
  std::string error =
      result.error.empty() && !succeeded ? "answered HTTP " + std::to_string(result.status) : result.error;
  int64_t attempts = claimed.attempts + 1;
  auto delay =
      std::chrono::milliseconds(static_cast<int64_t>(static_cast<double>(RetryDelay(attempts).count()) * Jitter()));
  storage::Value status_code = result.status > 0 ? storage::Value(int64_t{result.status}) : storage::Value(nullptr);
  MTL_RETURN_IF_ERROR(db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
    // Only while the claim is still ours: a worker that outlived its lease
    // records nothing over the one that took the row up.
    MTL_ASSIGN_OR_RETURN(
        auto updated,
        tx.Execute(
            "UPDATE webhook_deliveries SET status = $2, attempts = $3, last_status_code = $4, "
            "last_error = $5, next_attempt_at = $6, locked_until = NULL, updated_at = $7, "
            "delivered_at = CASE WHEN $2 = 'succeeded' THEN $7 ELSE delivered_at END, "
            "redelivery_requested_by = NULL WHERE id = $1 AND status = 'processing' AND locked_until = $8",
            {claimed.id,
             std::string(succeeded ? "succeeded"
                         : give_up ? "failed"
                                   : "pending"),
             attempts, status_code, error.empty() ? storage::Value(nullptr) : storage::Value(Truncated(error, 500)),
             after_ms + delay.count(), after_ms, claimed.lease_until}));
    if (updated.affected_rows != 1) return OkStatus();
    MTL_RETURN_IF_ERROR(
        tx.Execute("INSERT INTO webhook_delivery_attempts (delivery_id, attempted_at, status_code, latency_ms, "
                   "response_excerpt, error, manual) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                   {claimed.id, ToUnixMillis(now), status_code, result.latency_ms, result.excerpt,
                    error.empty() ? storage::Value(nullptr) : storage::Value(Truncated(error, 500)),
                    int64_t{claimed.redelivery_requested_by.empty() ? 0 : 1}}));
    if (succeeded) {
      MTL_RETURN_IF_ERROR(
          tx.Execute("UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL",
                     {claimed.endpoint_id}));
      return OkStatus();
    }
    MTL_RETURN_IF_ERROR(
        tx.Execute("UPDATE webhook_endpoints SET failing_since = $2 WHERE id = $1 AND "
                   "failing_since IS NULL",
                   {claimed.endpoint_id, after_ms}));
    // Failing for long enough since its last success: disabled.
    MTL_ASSIGN_OR_RETURN(
        auto disabled,
        tx.Execute(
            "UPDATE webhook_endpoints SET status = 'disabled', disabled_reason = $3, updated_at = $2 "
            "WHERE id = $1 AND status = 'enabled' AND failing_since <= $4",
            {claimed.endpoint_id, after_ms,
             "failing for " + std::to_string(options_.disable_after.count()) + " hours: " + Truncated(error, 200),
             after_ms - std::chrono::duration_cast<std::chrono::milliseconds>(options_.disable_after).count()}));
    if (disabled.affected_rows == 1) {
      MTL_ASSIGN_OR_RETURN(
          auto owner, tx.Execute("SELECT customer_id FROM webhook_endpoints WHERE id = $1", {claimed.endpoint_id}));
      std::string customer = owner.rows.empty() ? "" : owner.rows[0].OptText(0).value_or("");
      MTL_RETURN_IF_ERROR(audit::Record(
          tx, clock_, {"system", "webhook_endpoint.disabled", customer, {{"endpoint_id", claimed.endpoint_id}}, {}}));
    }
    return OkStatus();
  }));
  metrics_->deliveries.WithLabels({claimed.endpoint_id, outcome}).Inc();
  metrics_->latency.WithLabels({claimed.endpoint_id}).ObserveMicros(result.latency_ms * 1000);
  if (succeeded) {
    ++run.succeeded;
  } else if (give_up) {
    ++run.failed;
  } else {
    ++run.retrying;
  }
  return OkStatus();
}

}  // namespace meterline::webhooks
