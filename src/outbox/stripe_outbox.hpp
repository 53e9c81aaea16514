// StripeOutbox: the `stripe_outbox` table, work for Stripe queued in the
// transaction that creates it (a finalized invoice's sync) and done by a
// worker that claims rows with a lease, so several instances never push one
// row at once and a killed worker's row is taken up again when its lease
// ends. The one module that writes the table. Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "storage/database.hpp"

namespace meterline::outbox {

// An operation Stripe must see, e.g. "sync_invoice".
struct StripeWork {
  int64_t id = 0;
  std::string operation;
  std::string object_id;
  int64_t attempts = 0;  // made before this claim
};

class StripeOutbox {
 public:
  explicit StripeOutbox(storage::Database& db) : db_(db) {}

  // Queues `operation` on each of `object_ids` inside the caller's
  // transaction, due at `at`. Queuing one twice is a no-op.
  static Status Enqueue(storage::Executor& tx, const std::string& operation, const std::vector<std::string>& object_ids,
                        TimePoint at);

  // Claims up to `limit` due rows of `operation` (pending or failed and due,
  // or processing with an expired lease) until `now + lease`; rows another
  // worker claimed meanwhile are skipped. Oldest first.
  Result<std::vector<StripeWork>> Claim(const std::string& operation, TimePoint now, std::chrono::milliseconds lease,
                                        int limit);
  // The claimed row is done.
  Status Done(const StripeWork& work, TimePoint at);
  // The claimed row failed: tried again at `retry_at`, or never when `dead`.
  Status Failed(const StripeWork& work, const std::string& error, TimePoint retry_at, bool dead, TimePoint at);

 private:
  storage::Database& db_;
};

}  // namespace meterline::outbox
