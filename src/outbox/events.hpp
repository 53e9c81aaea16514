// Events: the `events` table, the outbox of what Meterline announces (usage
// thresholds crossed, failed payments, trials ending, reconciliation alerts).
// A row is written in the transaction of the change it announces, so an event
// exists exactly when its change committed. This is the one module that
// inserts rows; outgoing webhooks (src/webhooks/) fan them out to endpoints
// and mark them done.
#pragma once

#include <boost/json/object.hpp>

#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "storage/database.hpp"

namespace meterline::outbox {

struct Event {
  std::string type;         // "usage.threshold_crossed", "invoice.payment_failed", …
  std::string customer_id;  // "" for platform-wide events (reconciliation alerts)
  boost::json::object payload;
  TimePoint at;  // when it happened; it may be delivered from then on
};

// Appends `event` inside the caller's transaction.
Status Publish(storage::Executor& tx, const Event& event);
// The same for many, in a few multi-row statements (invoice runs).
Status PublishMany(storage::Executor& tx, const std::vector<Event>& events);

}  // namespace meterline::outbox
