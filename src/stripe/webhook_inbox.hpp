// WebhookInbox: Stripe events we accepted, each recorded once.
//
// A verified event is inserted into stripe_webhook_events, unique on Stripe's
// event id, and acknowledged at once; a replay of a recorded event is
// acknowledged and not recorded (or processed) again. Processing happens
// later, off the request path, with retries; an event that keeps failing
// ends in the dead-letter state "dead", visible to admins.
// Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/paging.hpp"
#include "core/result.hpp"
#include "storage/database.hpp"

namespace meterline::stripe {

// Where a recorded event is in its processing.
enum class EventStatus {
  kPending,     // recorded, not tried yet
  kProcessing,  // claimed by a worker (until its lease ends)
  kProcessed,   // done: its change committed, or nothing to do
  kFailed,      // tried; tried again after a back-off
  kDead,        // failed too often: waits for an admin's retry
};
// "pending" | "processing" | "processed" | "failed" | "dead", as stored and in the API.
const char* EventStatusName(EventStatus status);
std::optional<EventStatus> ParseEventStatus(std::string_view text);

struct RecordedEvent {
  int64_t id = 0;
  std::string stripe_event_id;  // "evt_…"
  std::string type;             // "invoice.paid"
  int64_t event_created = 0;    // Stripe's `created`, seconds since the epoch
  EventStatus status = EventStatus::kPending;
  int64_t attempts = 0;
  std::string last_error;
  std::string outcome;  // what processing did ("applied: …", "ignored: …"); "" until processed
  TimePoint received_at;
  std::optional<TimePoint> processed_at;
};

struct Accepted {
  std::string stripe_event_id;
  std::string type;
  bool duplicate = false;  // recorded before: acknowledged, not recorded again
};

class WebhookInbox {
 public:
  WebhookInbox(storage::Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  // Records a verified payload. kInvalidArgument when it is not a Stripe
  // event (JSON object with string id and type and integer created).
  Result<Accepted> Record(std::string_view payload);

  // Newest first; all of them when `status` is empty.
  // Newest first (by our id); cursors are our ids as text.
  Result<Page<RecordedEvent>> List(std::optional<EventStatus> status, const PageRequest& page);

 private:
  storage::Database& db_;
  const Clock& clock_;
};

}  // namespace meterline::stripe
