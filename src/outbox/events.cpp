#include "outbox/events.hpp"

#include <boost/json/serialize.hpp>

#include "core/ids.hpp"
#include "storage/bulk.hpp"

namespace meterline::outbox {

Status Publish(storage::Executor& tx, const Event& event) {
  int64_t at = ToUnixMillis(event.at);
  MTL_RETURN_IF_ERROR(
      tx.Execute("INSERT INTO events (type, customer_id, payload, available_at, created_at, public_id) "
                 "VALUES ($1, $2, $3, $4, $4, $5)",
                 {event.type, event.customer_id.empty() ? storage::Value(nullptr) : storage::Value(event.customer_id),
                  boost::json::serialize(event.payload), at, NewId("evt")}));
  return OkStatus();
}

Status PublishMany(storage::Executor& tx, const std::vector<Event>& events) {
  if (events.empty()) return OkStatus();
  std::vector<storage::Value> values;
  values.reserve(events.size() * 6);
  for (const Event& event : events) {
    values.emplace_back(event.type);
    values.push_back(event.customer_id.empty() ? storage::Value(nullptr) : storage::Value(event.customer_id));
    values.emplace_back(boost::json::serialize(event.payload));
    values.emplace_back(ToUnixMillis(event.at));
    values.emplace_back(ToUnixMillis(event.at));
    values.emplace_back(NewId("evt"));
  }
  MTL_RETURN_IF_ERROR(storage::InsertRows(
      tx, "INSERT INTO events (type, customer_id, payload, available_at, created_at, public_id)", 6, values));
  return OkStatus();
}

}  // namespace meterline::outbox
