// WebhookProcessor: works through the events WebhookInbox recorded.
//
// Claims due events (pending, failed and due again, or processing with an
// expired claim), oldest Stripe `created` first, and runs their handler
// (stripe/webhook_handlers.hpp): the Stripe fetch outside any transaction,
// then the change and the event's 'processed' mark in one transaction, so an
// event's effect happens once even if two workers or a crash meet it. A
// failure is recorded on the event and retried on the shared schedule
// (stripe/retry_schedule.hpp); after the last attempt the event is 'dead' and
// waits in the admin API (GET /api/v1/admin/webhooks/stripe?status=dead) for
// Retry. Thread-safe.
#pragma once

#include "core/clock.hpp"
#include "core/result.hpp"
#include "storage/database.hpp"
#include "stripe/webhook_handlers.hpp"

namespace meterline::stripe {

struct ProcessRun {
  int64_t processed = 0;  // applied or ignored
  int64_t failed = 0;     // retried later, or dead
};

class WebhookProcessor {
 public:
  WebhookProcessor(storage::Database& db, WebhookHandlers& handlers, const Clock& clock)
      : db_(db), handlers_(handlers), clock_(clock) {}

  Result<ProcessRun> RunPending(int limit = 100);

  // Puts a failed or dead event back in the queue, due now, and records who
  // did it in billing_audit. kNotFound for an unknown id, kConflict when the
  // event is not failed or dead.
  Status Retry(int64_t id, const std::string& actor, const std::string& ip, const std::string& user_agent);

 private:
  // Processes one claimed event; false when it failed.
  Result<bool> ProcessClaimed(int64_t id, int64_t attempt, const std::string& payload);
  Status RecordFailure(int64_t id, int64_t attempt, const std::string& message);

  storage::Database& db_;
  WebhookHandlers& handlers_;
  const Clock& clock_;
};

}  // namespace meterline::stripe
