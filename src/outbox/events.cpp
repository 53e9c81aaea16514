#include "outbox/events.hpp"

#include <boost/json/serialize.hpp>

namespace meterline::outbox {

Status Publish(storage::Executor& tx, const Event& event) {
  int64_t at = ToUnixMillis(event.at);
  MTL_RETURN_IF_ERROR(tx.Execute(
      "INSERT INTO events (type, customer_id, payload, available_at, created_at) VALUES ($1, $2, $3, $4, $4)",
      {event.type, event.customer_id.empty() ? storage::Value(nullptr) : storage::Value(event.customer_id),
       boost::json::serialize(event.payload), at}));
  return OkStatus();
}

}  // namespace meterline::outbox
