#include "idempotency/idempotency_store.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <thread>

namespace meterline::idempotency {

namespace json = boost::json;

Result<Reply> IdempotencyStore::Once(const std::string& scope, const std::string& key, const std::string& request_hash,
                                     const std::function<Result<Reply>()>& work, std::chrono::milliseconds wait) {
  auto deadline = std::chrono::steady_clock::now() + wait;
  while (true) {
    int64_t now = ToUnixMillis(clock_.Now());
    auto expired = db_.Execute("DELETE FROM billing_idempotency WHERE scope = $1 AND key = $2 AND expires_at <= $3",
                               {scope, key, now});
    if (!expired.ok()) return std::move(expired).error();
    MTL_ASSIGN_OR_RETURN(
        auto claimed,
        db_.Execute("INSERT INTO billing_idempotency (scope, key, request_hash, status, created_at, expires_at) "
                    "VALUES ($1, $2, $3, 'in_progress', $4, $5) ON CONFLICT (scope, key) DO NOTHING",
                    {scope, key, request_hash, now, now + ttl_.count()}));
    if (claimed.affected_rows == 1) {
      auto reply = work();
      if (!reply.ok()) {
        (void)db_.Execute("DELETE FROM billing_idempotency WHERE scope = $1 AND key = $2", {scope, key});
        return reply;
      }
      MTL_RETURN_IF_ERROR(db_.Execute(
          "UPDATE billing_idempotency SET status = 'completed', response = $3 WHERE scope = $1 AND key = $2",
          {scope, key,
           json::serialize(json::object{{"status", reply->status},
                                        {"body", reply->replay_body.empty() ? reply->body : reply->replay_body}})}));
      return reply;
    }
    MTL_ASSIGN_OR_RETURN(
        auto seen,
        db_.Execute("SELECT request_hash, status, response FROM billing_idempotency WHERE scope = $1 AND key = $2",
                    {scope, key}));
    if (seen.rows.empty()) continue;  // released or expired meanwhile: try to claim it again
    const storage::Row& row = seen.rows[0];
    if (row.Text(0) != request_hash) {
      return Error(ErrorCode::kUnprocessable, "idempotency_key_reused",
                   "this Idempotency-Key was used with other parameters");
    }
    if (row.Text(1) == "completed") {
      json::value stored = json::parse(row.Text(2));
      Reply reply;
      reply.status = static_cast<int>(stored.at("status").to_number<int64_t>());
      reply.body = std::string(stored.at("body").as_string());
      reply.replayed = true;
      return reply;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return Error(ErrorCode::kConflict, "in_progress", "a request with this Idempotency-Key is still running");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

Result<int64_t> IdempotencyStore::Purge() {
  MTL_ASSIGN_OR_RETURN(
      auto purged, db_.Execute("DELETE FROM billing_idempotency WHERE expires_at <= $1", {ToUnixMillis(clock_.Now())}));
  return purged.affected_rows;
}

}  // namespace meterline::idempotency
