#include "webhooks/delivery_worker.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <map>
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
  // Per-customer order: a group (endpoint, customer) is blocked from its
  // earliest delivery that waits for a retry or that another worker holds;
  // nothing after that in the group may go. Few groups are, so they are read
  // first (through the status index) rather than checked per candidate.
  MTL_ASSIGN_OR_RETURN(auto blocking,
                       db_.Execute("SELECT endpoint_id, customer_id, MIN(event_id) FROM webhook_deliveries WHERE "
                                   "(status = 'pending' AND next_attempt_at > $1) OR (status = 'processing' AND "
                                   "locked_until >= $1) GROUP BY endpoint_id, customer_id",
                                   {now_ms}));
  std::map<std::pair<std::string, std::string>, int64_t> blocked_from;
  for (const auto& row : blocking.rows) blocked_from[{row.Text(0), row.Text(1)}] = row.Int(2);
  // Due, to an enabled endpoint, oldest event first: a group's earlier due
  // deliveries come before its later ones, so a group is claimed from its head.
  MTL_ASSIGN_OR_RETURN(
      auto candidates,
      db_.Execute(std::string("SELECT d.id, d.attempts, d.endpoint_id, d.redelivery_requested_by, d.customer_id, "
                              "d.event_id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = "
                              "d.endpoint_id WHERE e.status = 'enabled' AND e.deleted_at IS NULL AND ") +
                      kDue + " ORDER BY d.event_id, d.id LIMIT $2",
                  {now_ms, int64_t{options_.batch} * 4}));
  std::vector<const storage::Row*> due;
  for (const auto& row : candidates.rows) {
    if (static_cast<int>(due.size()) >= options_.batch) break;
    auto it = blocked_from.find({row.Text(2), row.Text(4)});
    if (it != blocked_from.end() && it->second < row.Int(5)) continue;
    due.push_back(&row);
  }
  std::vector<Claimed> claimed;
  int64_t lease_until = now_ms + options_.lease.count();
  // One transaction for the batch: one commit, however many it claims.
  MTL_RETURN_IF_ERROR(db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
    claimed.clear();
    std::set<std::pair<std::string, std::string>> lost;  // groups whose head another worker took
    for (const storage::Row* candidate : due) {
      const storage::Row& row = *candidate;
      std::pair<std::string, std::string> group{row.Text(2), row.Text(4)};
      if (lost.count(group)) continue;
      // Taken only if still due: another worker may have claimed it since.
      MTL_ASSIGN_OR_RETURN(auto taken, tx.Execute(std::string("UPDATE webhook_deliveries SET status = 'processing', "
                                                              "locked_until = $2, updated_at = $1 WHERE id = $3 AND ") +
                                                      kStillDue,
                                                  {now_ms, lease_until, row.Int(0)}));
      if (taken.affected_rows == 1) {
        claimed.push_back({row.Int(0), row.Int(1), lease_until, row.Text(2), row.OptText(3).value_or(""), row.Text(4)});
      } else {
        lost.insert(group);
      }
    }
    return OkStatus();
  }));
  return claimed;
}

Result<DeliveryRun> DeliveryWorker::RunOnce() {
  DeliveryRun run;
  MTL_ASSIGN_OR_RETURN(run.events, FanOut());
  MTL_ASSIGN_OR_RETURN(auto claimed, Claim(clock_.Now()));
  if (claimed.empty()) return run;
  // Sent in event order; once one of a group fails, the rest of it waits
  // (released unsent). What happened is recorded in one transaction: a
  // crash before it leaves the claims to run out, and the deliveries are
  // sent again (receivers drop repeats by event id).
  std::set<std::pair<std::string, std::string>> stopped;
  std::vector<Attempt> attempts;
  std::vector<const Claimed*> released;
  std::map<std::string, std::vector<std::string>> secrets;  // per endpoint, read once a pass
  // Nothing is sent that could outlast the claim: another worker may take
  // the row up once its lease ends.
  auto send_until =
      std::chrono::steady_clock::now() + options_.lease - options_.post.total_timeout - options_.post.connect_timeout;
  for (const Claimed& c : claimed) {
    std::pair<std::string, std::string> group{c.endpoint_id, c.customer_id};
    if (stopped.count(group) || std::chrono::steady_clock::now() >= send_until) {
      released.push_back(&c);
      continue;
    }
    auto sent = Send(c, secrets);
    if (!sent.ok()) {
      log::Error("webhook delivery could not be sent", {{"delivery", c.id}, {"error", sent.error().message}});
      stopped.insert(group);
      continue;  // its lease runs out and it is taken up again
    }
    if (!sent->result.Succeeded()) stopped.insert(group);
    attempts.push_back(std::move(*sent));
  }
  MTL_RETURN_IF_ERROR(Record(attempts, released, run));
  return run;
}

Result<DeliveryWorker::Attempt> DeliveryWorker::Send(const Claimed& claimed,
                                                     std::map<std::string, std::vector<std::string>>& secrets) {
  MTL_ASSIGN_OR_RETURN(
      auto found,
      db_.Execute("SELECT ev.public_id, ev.type, ev.customer_id, ev.payload, ev.created_at, ev.id, e.url FROM "
                  "webhook_deliveries d JOIN events ev ON ev.id = d.event_id JOIN webhook_endpoints e ON e.id = "
                  "d.endpoint_id WHERE d.id = $1",
                  {claimed.id}));
  if (found.rows.empty()) return NotFound("no webhook delivery " + std::to_string(claimed.id));
  const storage::Row& row = found.rows[0];
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
  Attempt attempt{&claimed, FromUnixMillis(row.Int(4)), clock_.Now(), {}};
  auto known = secrets.find(claimed.endpoint_id);
  if (known == secrets.end()) {
    MTL_ASSIGN_OR_RETURN(auto signing, EndpointStore::SigningSecrets(db_, claimed.endpoint_id, attempt.at));
    known = secrets.emplace(claimed.endpoint_id, std::move(signing)).first;
  }
  std::vector<std::string> headers = {
      "Content-Type: application/json",
      std::string(kSignatureHeader) + ": " +
          SignatureHeaderValue(text, known->second,
                               std::chrono::duration_cast<std::chrono::seconds>(attempt.at.time_since_epoch()).count()),
      "Meterline-Event-Id: " + event_id,
  };
  attempt.result = PostJson(*pool_, row.Text(6), text, headers, options_.post);
  return attempt;
}

Status DeliveryWorker::Record(const std::vector<Attempt>& attempts, const std::vector<const Claimed*>& released,
                              DeliveryRun& run) {
  TimePoint after = clock_.Now();
  int64_t after_ms = ToUnixMillis(after);
  DeliveryRun counted;
  std::vector<std::pair<std::string, const char*>> outcomes;  // endpoint, outcome: for the metrics
  MTL_RETURN_IF_ERROR(db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
    counted = {};
    outcomes.clear();
    for (const Claimed* c : released) {
      MTL_RETURN_IF_ERROR(
          tx.Execute("UPDATE webhook_deliveries SET status = 'pending', locked_until = NULL WHERE "
                     "id = $1 AND status = 'processing' AND locked_until = $2",
                     {c->id, c->lease_until}));
    }
    for (const Attempt& a : attempts) {
      const Claimed& claimed = *a.claimed;
      const PostResult& result = a.result;
      bool succeeded = result.Succeeded();
      bool give_up = !succeeded && after >= a.event_at + options_.retry_for;
      std::string error =
          result.error.empty() && !succeeded ? "answered HTTP " + std::to_string(result.status) : result.error;
      int64_t attempts_made = claimed.attempts + 1;
      auto delay = std::chrono::milliseconds(
          static_cast<int64_t>(static_cast<double>(RetryDelay(attempts_made).count()) * Jitter()));
      storage::Value status_code = result.status > 0 ? storage::Value(int64_t{result.status}) : storage::Value(nullptr);
      storage::Value error_value = error.empty() ? storage::Value(nullptr) : storage::Value(Truncated(error, 500));
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
               attempts_made, status_code, error_value, after_ms + delay.count(), after_ms, claimed.lease_until}));
      if (updated.affected_rows != 1) continue;
      MTL_RETURN_IF_ERROR(
          tx.Execute("INSERT INTO webhook_delivery_attempts (delivery_id, attempted_at, status_code, latency_ms, "
                     "response_excerpt, error, manual) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                     {claimed.id, ToUnixMillis(a.at), status_code, result.latency_ms, result.excerpt, error_value,
                      int64_t{claimed.redelivery_requested_by.empty() ? 0 : 1}}));
      outcomes.emplace_back(claimed.endpoint_id, succeeded ? "succeeded" : give_up ? "failed" : "retrying");
      if (succeeded) {
        ++counted.succeeded;
        MTL_RETURN_IF_ERROR(
            tx.Execute("UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL",
                       {claimed.endpoint_id}));
        continue;
      }
      ++(give_up ? counted.failed : counted.retrying);
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
    }
    return OkStatus();
  }));
  for (size_t i = 0; i < outcomes.size(); ++i) {
    metrics_->deliveries.WithLabels({outcomes[i].first, outcomes[i].second}).Inc();
  }
  for (const Attempt& a : attempts) {
    metrics_->latency.WithLabels({a.claimed->endpoint_id}).ObserveMicros(a.result.latency_ms * 1000);
  }
  run.succeeded += counted.succeeded;
  run.retrying += counted.retrying;
  run.failed += counted.failed;
  return OkStatus();
}

}  // namespace meterline::webhooks
