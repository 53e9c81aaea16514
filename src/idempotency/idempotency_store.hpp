// IdempotencyStore: client Idempotency-Key headers for operations that must
// run once (POST /api/v1/billing/reconcile), in billing_idempotency.
//
// A key is scoped (one scope per operation) and lives 24 hours. The first
// request with a key inserts it as in_progress (the primary key decides
// between concurrent requests), runs the work and stores the reply; a later
// request with the same key and the same parameters gets the stored reply;
// one with other parameters gets 422 idempotency_key_reused; one that comes
// while the first is still running waits for it up to `wait`, then gets 409
// in_progress. Work that fails releases the key, so the client may retry.
// Expired keys are ignored and purged. Thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "storage/database.hpp"

namespace meterline::idempotency {

struct Reply {
  int status = 200;
  std::string body;       // JSON
  bool replayed = false;  // from an earlier request with this key
  // What a replay answers, when it must differ from `body` (a secret shown
  // once is not stored); empty = `body`.
  std::string replay_body;
};

// Keys shorter than this are refused (400) by the API.
inline constexpr size_t kMinKeyLength = 16;
inline constexpr size_t kMaxKeyLength = 255;

class IdempotencyStore {
 public:
  IdempotencyStore(storage::Database& db, const Clock& clock, std::chrono::milliseconds ttl = std::chrono::hours(24))
      : db_(db), clock_(clock), ttl_(ttl) {}

  // `request_hash` identifies the parameters (e.g. a digest of the body).
  Result<Reply> Once(const std::string& scope, const std::string& key, const std::string& request_hash,
                     const std::function<Result<Reply>()>& work,
                     std::chrono::milliseconds wait = std::chrono::seconds(10));

  // Deletes expired keys; returns how many.
  Result<int64_t> Purge();

 private:
  storage::Database& db_;
  const Clock& clock_;
  std::chrono::milliseconds ttl_;
};

}  // namespace meterline::idempotency
