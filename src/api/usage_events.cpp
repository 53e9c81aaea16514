#include "api/usage_events.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cctype>

#include "core/clock.hpp"
#include "http/headers.hpp"
#include "http/request.hpp"

namespace meterline::api {

namespace {

namespace json = boost::json;

std::string StringField(const json::object& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->value().is_string() ? std::string(it->value().as_string()) : "";
}

constexpr std::string_view kEventFields[] = {"id",        "customer_id", "external_customer_id", "metric", "value",
                                             "timestamp", "properties"};

// Reads one event; returns the reason it is malformed, or "" when it is fine.
// `by_external_id` is set when the event names its customer by external id
// (then out.customer_id holds that external id).
std::string ParseEvent(const json::value& v, bool cloud_event, metering::UsageEvent& out, bool& by_external_id) {
  if (!v.is_object()) return "an event must be a JSON object";
  const auto& obj = v.as_object();
  by_external_id = false;
  if (!cloud_event) {
    // Our format refuses what it does not know (a misspelt field would be lost);
    // CloudEvents may carry extension attributes, which are ignored as the spec says.
    for (const auto& field : obj) {
      if (std::find(std::begin(kEventFields), std::end(kEventFields), field.key()) == std::end(kEventFields)) {
        out.id = StringField(obj, "id");
        return "unknown field '" + std::string(field.key()) + "'";
      }
    }
  }
  out.id = StringField(obj, "id");
  if (out.id.empty() || out.id.size() > 128) return "id must be a string of 1-128 characters";
  const json::value* value = nullptr;
  std::string time;
  if (cloud_event) {
    if (StringField(obj, "specversion") != "1.0") return "specversion must be \"1.0\"";
    if (StringField(obj, "source").empty()) return "source is required";
    out.customer_id = StringField(obj, "subject");
    if (out.customer_id.empty()) {
      out.customer_id = StringField(obj, "externalcustomerid");
      by_external_id = !out.customer_id.empty();
    }
    out.metric = StringField(obj, "type");
    time = StringField(obj, "time");
    auto data = obj.find("data");
    if (data == obj.end() || !data->value().is_object()) return "data must be an object with a value";
    auto it = data->value().as_object().find("value");
    if (it != data->value().as_object().end()) value = &it->value();
  } else {
    out.customer_id = StringField(obj, "customer_id");
    std::string external = StringField(obj, "external_customer_id");
    if (!external.empty()) {
      if (!out.customer_id.empty()) return "give customer_id or external_customer_id, not both";
      out.customer_id = std::move(external);
      by_external_id = true;
    }
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
  if (out.customer_id.empty()) {
    return cloud_event ? "subject (the customer id) or externalcustomerid is required"
                       : "customer_id or external_customer_id is required";
  }
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

std::optional<json::value> BinaryCloudEvent(const http::Headers& headers, const json::value& body) {
  if (!headers.Has("ce-specversion")) return std::nullopt;
  json::object event;
  for (const auto& [name, value] : headers.fields()) {
    if (name.size() <= 3 || !http::EqualsIgnoreCase(std::string_view(name).substr(0, 3), "ce-")) continue;
    std::string attribute = name.substr(3);
    for (char& c : attribute) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    // Header values are percent-encoded where needed (CloudEvents HTTP binding 3.1.3.2).
    event[attribute] = http::PercentDecode(value);
  }
  event["data"] = body;
  return json::value(std::move(event));
}

std::optional<std::string_view> NextNdjsonLine(std::string_view& body, size_t& line_number) {
  while (!body.empty()) {
    size_t end = body.find('\n');
    std::string_view line = body.substr(0, end);
    body = end == std::string_view::npos ? std::string_view() : body.substr(end + 1);
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") != std::string_view::npos) return line;
  }
  return std::nullopt;
}

Result<json::value> ParseNdjsonEvents(std::string_view body, size_t max_batch) {
  json::array events;
  size_t line_number = 0;
  while (auto next = NextNdjsonLine(body, line_number)) {
    std::string_view line = *next;
    if (events.size() == max_batch) {
      return Error(ErrorCode::kPayloadTooLarge, "batch_too_large",
                   "a batch may hold at most " + std::to_string(max_batch) + " events");
    }
    boost::system::error_code ec;
    json::value event = json::parse(line, ec);
    if (ec) {
      return Error(ErrorCode::kInvalidArgument, "invalid_json",
                   "malformed JSON on line " + std::to_string(line_number) + ": " + ec.message());
    }
    events.push_back(std::move(event));
  }
  return json::value(json::object{{"events", std::move(events)}});
}

Result<ParsedUsageBatch> ParseUsageEvents(std::string_view content_type, const json::value& body, size_t max_batch) {
  std::string_view base = http::MediaType(content_type);
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
    bool by_external_id = false;
    std::string problem = ParseEvent((*items)[i], single_cloud_event || cloud_batch, event, by_external_id);
    if (problem.empty()) {
      if (by_external_id) batch.by_external_id.push_back(batch.events.size());
      metering::UsageEventRef kept = event;
      kept.id = batch.text.Keep(event.id);
      kept.customer_id = batch.text.Keep(event.customer_id);
      kept.metric = batch.text.Keep(event.metric);
      kept.properties_json = batch.text.Keep(event.properties_json);
      batch.events.emplace_back(i, kept);
    } else {
      batch.rejected.push_back({i, event.id, problem, "invalid"});
    }
  }
  return batch;
}

}  // namespace meterline::api
