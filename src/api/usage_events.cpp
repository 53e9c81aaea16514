#include "api/usage_events.hpp"

#include <boost/json/serialize.hpp>

#include "core/clock.hpp"
#include "http/headers.hpp"

namespace meterline::api {

namespace {

namespace json = boost::json;

std::string StringField(const json::object& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->value().is_string() ? std::string(it->value().as_string()) : "";
}

// Reads one event; returns the reason it is malformed, or "" when it is fine.
std::string ParseEvent(const json::value& v, bool cloud_event, metering::UsageEvent& out) {
  if (!v.is_object()) return "an event must be a JSON object";
  const auto& obj = v.as_object();
  out.id = StringField(obj, "id");
  if (out.id.empty() || out.id.size() > 128) return "id must be a string of 1-128 characters";
  const json::value* value = nullptr;
  std::string time;
  if (cloud_event) {
    if (StringField(obj, "specversion") != "1.0") return "specversion must be \"1.0\"";
    if (StringField(obj, "source").empty()) return "source is required";
    out.customer_id = StringField(obj, "subject");
    out.metric = StringField(obj, "type");
    time = StringField(obj, "time");
    auto data = obj.find("data");
    if (data == obj.end() || !data->value().is_object()) return "data must be an object with a value";
    auto it = data->value().as_object().find("value");
    if (it != data->value().as_object().end()) value = &it->value();
  } else {
    out.customer_id = StringField(obj, "customer_id");
    out.metric = StringField(obj, "metric");
    time = StringField(obj, "timestamp");
    auto it = obj.find("value");
    if (it != obj.end()) value = &it->value();
    auto props = obj.find("properties");
    if (props != obj.end() && !props->value().is_null()) {
      if (!props->value().is_object()) return "properties must be an object";
      out.properties_json = json::serialize(props->value());
      if (out.properties_json.size() > 4096) return "properties must be at most 4096 bytes";
    }
  }
  if (out.customer_id.empty()) return cloud_event ? "subject (the customer id) is required" : "customer_id is required";
  if (out.metric.empty()) return cloud_event ? "type (the metric) is required" : "metric is required";
  if (value == nullptr) return "value is required";
  if (value->is_int64() && value->as_int64() >= 0) {
    out.value = value->as_int64();
  } else if (value->is_uint64() && value->as_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
    out.value = static_cast<int64_t>(value->as_uint64());
  } else {
    return "value must be a non-negative integer";
  }
  auto parsed = ParseIso8601(time);
  if (!parsed || time.size() <= 10) {
    return (cloud_event ? "time" : std::string("timestamp")) + " must be an RFC 3339 timestamp";
  }
  out.timestamp = *parsed;
  return "";
}

}  // namespace

Result<ParsedUsageBatch> ParseUsageEvents(std::string_view content_type, const json::value& body, size_t max_batch) {
  std::string_view base = content_type.substr(0, content_type.find(';'));
  bool single_cloud_event = http::EqualsIgnoreCase(base, "application/cloudevents+json");
  bool cloud_batch = http::EqualsIgnoreCase(base, "application/cloudevents-batch+json");
  const json::array* items = nullptr;
  json::array single;
  if (single_cloud_event) {
    single.push_back(body);
    items = &single;
  } else if (cloud_batch) {
    if (!body.is_array()) return InvalidArgument("a CloudEvents batch must be a JSON array");
    items = &body.as_array();
  } else {
    if (!body.is_object() || !body.as_object().contains("events") || !body.as_object().at("events").is_array()) {
      return InvalidArgument("body must be {\"events\": [...]}");
    }
    items = &body.as_object().at("events").as_array();
  }
  if (items->empty()) return InvalidArgument("the batch has no events");
  if (items->size() > max_batch) {
    return Error(ErrorCode::kPayloadTooLarge, "batch_too_large",
                 "a batch may hold at most " + std::to_string(max_batch) + " events");
  }
  ParsedUsageBatch batch;
  batch.events.reserve(items->size());
  for (size_t i = 0; i < items->size(); ++i) {
    metering::UsageEvent event;
    std::string problem = ParseEvent((*items)[i], single_cloud_event || cloud_batch, event);
    if (problem.empty()) {
      batch.events.emplace_back(i, std::move(event));
    } else {
      batch.rejected.push_back({i, event.id, problem});
    }
  }
  return batch;
}

}  // namespace meterline::api
