#include "dunning/dunning_worker.hpp"

#include <boost/json/object.hpp>

#include "audit/audit_log.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "dunning/campaign_store.hpp"
#include "invoicing/invoice_store.hpp"
#include "observability/metrics.hpp"
#include "outbox/events.hpp"
#include "stripe/client.hpp"
#include "stripe/json_fields.hpp"
#include "stripe/webhook_handlers.hpp"
#include "subscriptions/subscription_service.hpp"

namespace meterline::dunning {

namespace json = boost::json;

namespace {

constexpr size_t kMaxMessage = 500;

std::string Truncated(const std::string& text) {
  return text.size() <= kMaxMessage ? text : text.substr(0, kMaxMessage);
}

// Stripe's answer to a pay request that says the payment itself failed (a
// decline, no payment method): the attempt counts. Anything else (Stripe
// unreachable, 5xx, our key refused) is no attempt.
bool IsDecline(const Error& error) {
  if (error.Reason() == "invoice_not_open") return false;
  return error.code == ErrorCode::kUnprocessable || error.code == ErrorCode::kInvalidArgument;
}

}  // namespace

struct DunningWorker::Claimed {
  Campaign campaign;
  std::string token;  // our claim: the row is ours while it holds this
  std::string stripe_invoice_id;
};

struct DunningWorker::Metrics {
  explicit Metrics(observability::Registry& registry)
      : attempts(registry.AddCounter("meterline_dunning_attempts_total",
                                     "Dunning retries of failed invoice payments, by outcome (succeeded, declined, "
                                     "error: Stripe gave no answer, the retry waits).",
                                     {"outcome"})),
        ended(registry.AddCounter("meterline_dunning_campaigns_ended_total",
                                  "Dunning campaigns ended by a worker, by state (recovered, exhausted, closed).",
                                  {"state"})) {}
  observability::Family<observability::Counter>& attempts;
  observability::Family<observability::Counter>& ended;
};

DunningWorker::DunningWorker(storage::Database& db, const Clock& clock, stripe::StripeClient& stripe,
                             subscriptions::SubscriptionService& subscriptions, observability::Registry& metrics,
                             WorkerOptions options)
    : db_(db),
      clock_(clock),
      stripe_(stripe),
      subscriptions_(subscriptions),
      options_(options),
      metrics_(std::make_unique<Metrics>(metrics)) {}

DunningWorker::~DunningWorker() = default;

Result<std::vector<DunningWorker::Claimed>> DunningWorker::Claim(TimePoint now) {
  int64_t now_ms = ToUnixMillis(now);
  constexpr const char* kDue =
      "state = 'active' AND next_attempt_at <= $1 AND (locked_until IS NULL OR locked_until < $1)";
  MTL_ASSIGN_OR_RETURN(auto due, db_.Execute(std::string("SELECT id FROM dunning_campaigns WHERE ") + kDue +
                                                 " ORDER BY next_attempt_at, id LIMIT $2",
                                             {now_ms, int64_t{options_.batch}}));
  std::vector<Claimed> claimed;
  if (due.rows.empty()) return claimed;
  int64_t lease_until = now_ms + options_.lease.count();
  MTL_RETURN_IF_ERROR(db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
    claimed.clear();
    for (const auto& row : due.rows) {
      std::string token = RandomHex(12);
      // Taken only if still due: another worker may have claimed it since.
      MTL_ASSIGN_OR_RETURN(auto taken, tx.Execute(std::string("UPDATE dunning_campaigns SET locked_until = $3, "
                                                              "lock_token = $4 WHERE id = $2 AND ") +
                                                      kDue,
                                                  {now_ms, row.Text(0), lease_until, token}));
      if (taken.affected_rows != 1) continue;
      MTL_ASSIGN_OR_RETURN(auto campaign, CampaignStore::Get(tx, row.Text(0), ""));
      MTL_ASSIGN_OR_RETURN(auto invoice,
                           tx.Execute("SELECT stripe_invoice_id FROM invoices WHERE id = $1", {campaign.invoice_id}));
      std::string stripe_id = invoice.rows.empty() ? "" : invoice.rows[0].OptText(0).value_or("");
      claimed.push_back({std::move(campaign), token, stripe_id});
    }
    return OkStatus();
  }));
  return claimed;
}

Result<DunningRun> DunningWorker::RunOnce() {
  DunningRun run;
  MTL_RETURN_IF_ERROR(db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
    MTL_ASSIGN_OR_RETURN(run.settled, CampaignStore::Settle(tx, clock_, ""));
    return OkStatus();
  }));
  MTL_ASSIGN_OR_RETURN(auto claimed, Claim(clock_.Now()));
  for (const Claimed& one : claimed) {
    Status done = Retry(one, run);
    if (!done.ok()) {
      // The claim runs out and the retry is made again (the same key).
      log::Error(
          "dunning retry failed",
          {{"campaign_id", one.campaign.id}, {"invoice_id", one.campaign.invoice_id}, {"error", done.error().message}});
      ++run.errors;
    }
  }
  return run;
}

Status DunningWorker::Postpone(const Claimed& claimed, const std::string& why, DunningRun& run) {
  ++run.errors;
  metrics_->attempts.WithLabels({"error"}).Inc();
  log::Warn("dunning retry postponed", {{"campaign_id", claimed.campaign.id}, {"error", why}});
  TimePoint now = clock_.Now();
  return db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
    MTL_RETURN_IF_ERROR(
        tx.Execute("UPDATE dunning_campaigns SET next_attempt_at = $3, last_failure = $4, locked_until = NULL, "
                   "lock_token = NULL, updated_at = $5 WHERE id = $1 AND lock_token = $2 AND state = 'active'",
                   {claimed.campaign.id, claimed.token, ToUnixMillis(now + options_.error_retry), Truncated(why),
                    ToUnixMillis(now)}));
    return OkStatus();
  });
}

Status DunningWorker::Retry(const Claimed& claimed, DunningRun& run) {
  const Campaign& c = claimed.campaign;
  int number = c.attempts + 1;
  if (claimed.stripe_invoice_id.empty()) return Postpone(claimed, "the invoice is not in Stripe yet", run);
  std::string key = "dunning-" + c.id + "-" + std::to_string(number);
  auto paid = stripe_.Post("invoices/" + claimed.stripe_invoice_id + "/pay", {}, key);
  json::object stripe_invoice;
  if (paid.ok()) {
    stripe_invoice = std::move(*paid);
  } else if (paid.error().Reason() == "invoice_not_open") {
    // Settled in Stripe meanwhile (paid on the hosted page, voided): take its status.
    auto fetched = stripe_.Get("invoices/" + claimed.stripe_invoice_id);
    if (!fetched.ok()) return Postpone(claimed, fetched.error().message, run);
    stripe_invoice = std::move(*fetched);
  } else if (!IsDecline(paid.error())) {
    return Postpone(claimed, paid.error().message, run);
  }
  TimePoint now = clock_.Now();
  bool succeeded = paid.ok() && stripe::TextField(stripe_invoice, "status") == "paid";
  Attempt attempt{number, now, succeeded ? "succeeded" : "failed", "", ""};
  if (!paid.ok() && IsDecline(paid.error())) {
    attempt.code = paid.error().Reason();
    attempt.message = Truncated(paid.error().message);
  } else if (paid.ok() && !succeeded) {
    attempt.code = "not_paid";
    attempt.message = "Stripe left the invoice " + stripe::TextField(stripe_invoice, "status");
  }
  bool settled_elsewhere = !paid.ok() && !IsDecline(paid.error());
  if (!succeeded && !settled_elsewhere && number >= c.attempts_total()) return Exhaust(claimed, attempt, run);

  bool ended = false;
  MTL_RETURN_IF_ERROR(db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
    ended = false;
    if (!stripe_invoice.empty()) {
      MTL_ASSIGN_OR_RETURN(auto ref, invoicing::InvoiceStore::FindByStripeId(tx, claimed.stripe_invoice_id));
      if (ref) {
        MTL_RETURN_IF_ERROR(stripe::ApplyStripeInvoiceStatus(tx, clock_, *ref, stripe_invoice, 0,
                                                             {{"campaign_id", c.id}, {"attempt", number}}));
      }
    }
    if (settled_elsewhere) {
      // Not an attempt of ours: the campaign ends by Settle, or waits.
      MTL_ASSIGN_OR_RETURN(auto n, CampaignStore::Settle(tx, clock_, c.invoice_id));
      ended = n > 0;
      if (!ended) {
        MTL_RETURN_IF_ERROR(
            tx.Execute("UPDATE dunning_campaigns SET next_attempt_at = $3, locked_until = NULL, "
                       "lock_token = NULL, updated_at = $4 WHERE id = $1 AND lock_token = $2",
                       {c.id, claimed.token, ToUnixMillis(now + options_.error_retry), ToUnixMillis(now)}));
      }
      return OkStatus();
    }
    MTL_RETURN_IF_ERROR(
        tx.Execute("INSERT INTO dunning_attempts (campaign_id, attempt, attempted_at, outcome, code, "
                   "message) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                   {c.id, int64_t{number}, ToUnixMillis(now), attempt.outcome, attempt.code, attempt.message}));
    // A success leaves the end to Settle; a decline schedules the next retry.
    std::string sql =
        "UPDATE dunning_campaigns SET attempts = $3, locked_until = NULL, lock_token = NULL, "
        "updated_at = $4";
    std::vector<storage::Value> params = {c.id, claimed.token, int64_t{number}, ToUnixMillis(now)};
    if (!succeeded) {
      sql += ", next_attempt_at = $5, last_failure = $6";
      params.emplace_back(ToUnixMillis(c.started_at + c.retries.at(static_cast<size_t>(number))));
      params.emplace_back(attempt.code + ": " + attempt.message);
    }
    MTL_ASSIGN_OR_RETURN(auto updated,
                         tx.Execute(sql + " WHERE id = $1 AND lock_token = $2 AND state = 'active'", params));
    if (updated.affected_rows != 1) return OkStatus();  // settled meanwhile (a webhook), or our claim ran out
    if (succeeded) {
      MTL_ASSIGN_OR_RETURN(auto n, CampaignStore::Settle(tx, clock_, c.invoice_id));
      ended = n > 0;
      return OkStatus();
    }
    MTL_ASSIGN_OR_RETURN(auto now_campaign, CampaignStore::Get(tx, c.id, ""));
    return outbox::Publish(tx, {"dunning.retry_failed", c.customer_id, CampaignJson(now_campaign), now});
  }));
  if (settled_elsewhere) {
    if (ended) ++run.settled;
    return OkStatus();
  }
  metrics_->attempts.WithLabels({succeeded ? "succeeded" : "declined"}).Inc();
  if (succeeded) {
    ++run.recovered;
    if (ended) metrics_->ended.WithLabels({"recovered"}).Inc();
  } else {
    ++run.declined;
  }
  return OkStatus();
}

Status DunningWorker::Exhaust(const Claimed& claimed, const Attempt& attempt, DunningRun& run) {
  const Campaign& c = claimed.campaign;
  // The final action first: each step is idempotent (Stripe's key, a
  // canceled subscription stays canceled), so a crash before the campaign is
  // recorded only repeats them.
  json::object stripe_invoice;
  if (c.final_action == FinalAction::kMarkUncollectible) {
    auto marked = stripe_.Post("invoices/" + claimed.stripe_invoice_id + "/mark_uncollectible", {},
                               "dunning-" + c.id + "-uncollectible");
    if (marked.ok()) {
      stripe_invoice = std::move(*marked);
    } else if (marked.error().Reason() != "invoice_not_open") {
      return Postpone(claimed, marked.error().message, run);
    }
  } else if (c.final_action == FinalAction::kCancelSubscription && !c.subscription_id.empty()) {
    auto canceled = subscriptions_.Cancel(c.subscription_id, subscriptions::Timing::kNow, "dunning");
    if (!canceled.ok() && canceled.error().Reason() != "subscription_ended" &&
        canceled.error().code != ErrorCode::kNotFound) {
      return Postpone(claimed, canceled.error().message, run);
    }
  }
  TimePoint now = clock_.Now();
  bool exhausted = false;
  MTL_RETURN_IF_ERROR(db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
    exhausted = false;
    MTL_RETURN_IF_ERROR(tx.Execute(
        "INSERT INTO dunning_attempts (campaign_id, attempt, attempted_at, outcome, code, "
        "message) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        {c.id, int64_t{attempt.attempt}, ToUnixMillis(now), attempt.outcome, attempt.code, attempt.message}));
    MTL_ASSIGN_OR_RETURN(auto updated,
                         tx.Execute("UPDATE dunning_campaigns SET state = 'exhausted', attempts = $3, "
                                    "next_attempt_at = NULL, ended_at = $4, last_failure = $5, locked_until = NULL, "
                                    "lock_token = NULL, updated_at = $4 WHERE id = $1 AND lock_token = $2 AND state = "
                                    "'active'",
                                    {c.id, claimed.token, int64_t{attempt.attempt}, ToUnixMillis(now),
                                     attempt.code + ": " + attempt.message}));
    if (updated.affected_rows != 1) return OkStatus();
    exhausted = true;
    if (!stripe_invoice.empty()) {
      MTL_ASSIGN_OR_RETURN(auto ref, invoicing::InvoiceStore::FindByStripeId(tx, claimed.stripe_invoice_id));
      if (ref) {
        MTL_RETURN_IF_ERROR(stripe::ApplyStripeInvoiceStatus(tx, clock_, *ref, stripe_invoice, 0,
                                                             {{"campaign_id", c.id}, {"final_action", true}}));
      }
    }
    MTL_RETURN_IF_ERROR(audit::Record(
        tx, clock_,
        {"system",
         "dunning.exhausted",
         c.customer_id,
         {{"campaign_id", c.id}, {"invoice_id", c.invoice_id}, {"final_action", FinalActionName(c.final_action)}},
         {}}));
    MTL_ASSIGN_OR_RETURN(auto now_campaign, CampaignStore::Get(tx, c.id, ""));
    return outbox::Publish(tx, {"dunning.exhausted", c.customer_id, CampaignJson(now_campaign), now});
  }));
  metrics_->attempts.WithLabels({"declined"}).Inc();
  if (exhausted) {
    ++run.exhausted;
    metrics_->ended.WithLabels({"exhausted"}).Inc();
  }
  return OkStatus();
}

}  // namespace meterline::dunning
