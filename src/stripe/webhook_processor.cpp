#include "stripe/webhook_processor.hpp"

#include "audit/audit_log.hpp"
#include "core/log.hpp"
#include "stripe/retry_schedule.hpp"
#include "stripe/webhook_inbox.hpp"

namespace meterline::stripe {

namespace {

constexpr int64_t kClaimMs = int64_t{5} * 60 * 1000;
constexpr const char* kDue =
    "((status IN ('pending', 'failed') AND COALESCE(next_attempt_at, 0) <= $1) OR "
    "(status = 'processing' AND next_attempt_at < $1))";

}  // namespace

Result<ProcessRun> WebhookProcessor::RunPending(int limit) {
  int64_t now = ToUnixMillis(clock_.Now());
  MTL_ASSIGN_OR_RETURN(
      auto due, db_.Execute(std::string("SELECT id, attempts, payload FROM stripe_webhook_events WHERE ") + kDue +
                                " ORDER BY event_created, id LIMIT $2",
                            {now, int64_t{limit}}));
  ProcessRun run;
  for (const auto& row : due.rows) {
    int64_t id = row.Int(0);
    int64_t attempt = row.Int(1) + 1;
    // The claim: the attempt number doubles as its token.
    MTL_ASSIGN_OR_RETURN(
        auto claimed, db_.Execute(std::string("UPDATE stripe_webhook_events SET status = 'processing', attempts = $3, "
                                              "next_attempt_at = $4 WHERE id = $2 AND attempts = $5 AND ") +
                                      kDue,
                                  {now, id, attempt, now + kClaimMs, attempt - 1}));
    if (claimed.affected_rows != 1) continue;  // another worker has it
    MTL_ASSIGN_OR_RETURN(auto ok, ProcessClaimed(id, attempt, row.Text(2)));
    ++(ok ? run.processed : run.failed);
  }
  return run;
}

Result<bool> WebhookProcessor::ProcessClaimed(int64_t id, int64_t attempt, const std::string& payload) {
  auto event = ParseStripeEvent(payload);
  Result<ApplyStep> step = event.ok() ? handlers_.Prepare(*event) : Result<ApplyStep>(event.error());
  if (!step.ok()) {
    MTL_RETURN_IF_ERROR(RecordFailure(id, attempt, step.error().message));
    return false;
  }
  std::string outcome;
  Status applied = db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
    MTL_ASSIGN_OR_RETURN(auto result, (*step)(tx));
    outcome = result.Text();
    MTL_ASSIGN_OR_RETURN(
        auto marked,
        tx.Execute(
            "UPDATE stripe_webhook_events SET status = 'processed', processed = 1, outcome = $3, last_error = NULL, "
            "processed_at = $4, next_attempt_at = NULL WHERE id = $1 AND attempts = $2 AND status = 'processing'",
            {id, attempt, outcome.substr(0, 500), ToUnixMillis(clock_.Now())}));
    if (marked.affected_rows != 1) {
      return Error(ErrorCode::kConflict, "claim_lost", "another worker took over the event");
    }
    return OkStatus();
  });
  if (!applied.ok()) {
    if (applied.error().Reason() == "claim_lost") return true;  // rolled back; the other worker finishes it
    MTL_RETURN_IF_ERROR(RecordFailure(id, attempt, applied.error().message));
    return false;
  }
  log::Info("stripe event processed", {{"event_id", event->id}, {"type", event->type}, {"outcome", outcome}});
  return true;
}

Status WebhookProcessor::RecordFailure(int64_t id, int64_t attempt, const std::string& message) {
  int64_t now = ToUnixMillis(clock_.Now());
  std::string status = EventStatusName(attempt >= kMaxAttempts ? EventStatus::kDead : EventStatus::kFailed);
  log::Warn("stripe event failed", {{"id", id}, {"attempt", attempt}, {"status", status}, {"error", message}});
  MTL_RETURN_IF_ERROR(
      db_.Execute("UPDATE stripe_webhook_events SET status = $3, last_error = $4, next_attempt_at = $5 "
                  "WHERE id = $1 AND attempts = $2 AND status = 'processing'",
                  {id, attempt, status, message.substr(0, 500), now + RetryDelayMs(attempt)}));
  return OkStatus();
}

Status WebhookProcessor::Retry(int64_t id, const std::string& actor, const std::string& ip,
                               const std::string& user_agent) {
  return db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
    MTL_ASSIGN_OR_RETURN(auto found,
                         tx.Execute("SELECT status, stripe_event_id FROM stripe_webhook_events WHERE id = $1", {id}));
    if (found.rows.empty()) return NotFound("no Stripe event " + std::to_string(id));
    std::string status = found.rows[0].Text(0);
    auto parsed = ParseEventStatus(status);
    if (parsed != EventStatus::kFailed && parsed != EventStatus::kDead) {
      return Error(ErrorCode::kConflict, "not_retryable",
                   "the event is " + status + "; only failed or dead events can be retried");
    }
    MTL_ASSIGN_OR_RETURN(
        auto updated,
        tx.Execute("UPDATE stripe_webhook_events SET status = 'failed', next_attempt_at = $2, attempts = 0 "
                   "WHERE id = $1 AND status = $3",
                   {id, ToUnixMillis(clock_.Now()), status}));
    if (updated.affected_rows != 1) return Conflict("the event changed meanwhile; try again");
    return audit::Record(tx, clock_,
                         {actor,
                          "stripe_event.retry",
                          "",
                          {{"stripe_event_id", found.rows[0].Text(1)}, {"was", status}},
                          {ip, user_agent}});
  });
}

}  // namespace meterline::stripe
