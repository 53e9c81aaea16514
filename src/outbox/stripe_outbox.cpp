#include "outbox/stripe_outbox.hpp"

#include "storage/bulk.hpp"

namespace meterline::outbox {

Status StripeOutbox::Enqueue(storage::Executor& tx, const std::string& operation,
                             const std::vector<std::string>& object_ids, TimePoint at) {
  if (object_ids.empty()) return OkStatus();
  int64_t at_ms = ToUnixMillis(at);
  std::vector<storage::Value> values;
  values.reserve(object_ids.size() * 5);
  for (const std::string& id : object_ids) {
    for (storage::Value v : std::initializer_list<storage::Value>{operation, id, at_ms, at_ms, at_ms}) {
      values.push_back(std::move(v));
    }
  }
  MTL_RETURN_IF_ERROR(storage::InsertRows(
      tx, "INSERT INTO stripe_outbox (operation, object_id, next_attempt_at, created_at, updated_at)", 5, values,
      "ON CONFLICT (operation, object_id) DO NOTHING"));
  return OkStatus();
}

Result<std::vector<StripeWork>> StripeOutbox::Claim(const std::string& operation, TimePoint now,
                                                    std::chrono::milliseconds lease, int limit) {
  int64_t now_ms = ToUnixMillis(now);
  constexpr const char* kDue =
      "((status IN ('pending', 'failed') AND next_attempt_at <= $2) OR (status = 'processing' AND locked_until < $2))";
  auto due = db_.Execute(std::string("SELECT id, object_id, attempts FROM stripe_outbox WHERE operation = $1 AND ") +
                             kDue + " ORDER BY id LIMIT $3",
                         {operation, now_ms, int64_t{limit}});
  if (!due.ok()) return std::move(due).error();
  std::vector<StripeWork> claimed;
  for (const auto& row : due->rows) {
    // Taken only if it is still due: another worker may have claimed it since.
    MTL_ASSIGN_OR_RETURN(auto taken,
                         db_.Execute(std::string("UPDATE stripe_outbox SET status = 'processing', locked_until = $3, "
                                                 "updated_at = $2 WHERE id = $4 AND operation = $1 AND ") +
                                         kDue,
                                     {operation, now_ms, now_ms + lease.count(), row.Int(0)}));
    if (taken.affected_rows == 1) claimed.push_back({row.Int(0), operation, row.Text(1), row.Int(2)});
  }
  return claimed;
}

Status StripeOutbox::Done(const StripeWork& work, TimePoint at) {
  MTL_RETURN_IF_ERROR(
      db_.Execute("UPDATE stripe_outbox SET status = 'done', attempts = $2, last_error = NULL, locked_until = NULL, "
                  "updated_at = $3 WHERE id = $1",
                  {work.id, work.attempts + 1, ToUnixMillis(at)}));
  return OkStatus();
}

Status StripeOutbox::Failed(const StripeWork& work, const std::string& error, TimePoint retry_at, bool dead,
                            TimePoint at) {
  MTL_RETURN_IF_ERROR(
      db_.Execute("UPDATE stripe_outbox SET status = $2, attempts = $3, last_error = $4, next_attempt_at = $5, "
                  "locked_until = NULL, updated_at = $6 WHERE id = $1",
                  {work.id, std::string(dead ? "dead" : "failed"), work.attempts + 1, error.substr(0, 500),
                   ToUnixMillis(retry_at), ToUnixMillis(at)}));
  return OkStatus();
}

}  // namespace meterline::outbox
