// Usage event parsing, as POST /api/v1/usage/events does it (src/api/usage_events.cpp): our
// {"events": [...]} batches, single CloudEvents and CloudEvents batches. The first input byte picks the
// Content-Type; the rest is the body, which the pipeline has already checked is JSON.
//
// Properties:
// - a body is refused as a whole only with 400 or 413, and batches over the limit are 413;
// - otherwise every position of the batch is either an event or a rejection, once, in order;
// - an accepted event has an id of 1-128 bytes, a customer, a metric, a value >= 0 and properties that
//   are a JSON object of at most 4096 bytes;
// - accepted events written again in the same format (timestamps by FormatIso8601) are all accepted
//   again, equal to the first reading;
// - the streaming parser (src/api/usage_event_stream.cpp) gives the DOM path's outcome, field by field
//   and errors included, for every input: read as our batch (after the pipeline's JSON check) and read
//   as application/x-ndjson (ParseNdjsonEvents), whatever the first byte picked.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <string>
#include <string_view>

#include "api/usage_event_stream.hpp"
#include "api/usage_events.hpp"
#include "fuzz/check.hpp"
#include "http/json_body.hpp"

namespace {

namespace json = boost::json;
using namespace meterline;

constexpr size_t kMaxBatch = 64;

json::object Encode(const metering::UsageEventRef& event, bool cloud) {
  json::object out;
  out["id"] = event.id;
  if (cloud) {
    out["specversion"] = "1.0";
    out["source"] = "/fuzz";
    out["subject"] = event.customer_id;
    out["type"] = event.metric;
    out["time"] = FormatIso8601(event.timestamp);
    out["data"] = {{"value", event.value}};
  } else {
    out["customer_id"] = event.customer_id;
    out["metric"] = event.metric;
    out["value"] = event.value;
    out["timestamp"] = FormatIso8601(event.timestamp);
    if (!event.properties_json.empty()) out["properties"] = json::parse(event.properties_json);
  }
  return out;
}

bool Same(const metering::UsageEventRef& a, const metering::UsageEventRef& b) {
  if (a.properties_json.empty() != b.properties_json.empty()) return false;
  if (!a.properties_json.empty() && json::parse(a.properties_json) != json::parse(b.properties_json)) return false;
  return a.id == b.id && a.customer_id == b.customer_id && a.metric == b.metric && a.value == b.value &&
         a.timestamp == b.timestamp;
}

bool SameRejection(const metering::Rejection& a, const metering::Rejection& b) {
  return a.index == b.index && a.id == b.id && a.reason == b.reason && a.code == b.code;
}

bool SameOutcome(const Result<api::ParsedUsageBatch>& dom, const Result<api::ParsedUsageBatch>& streamed) {
  if (dom.ok() != streamed.ok()) return false;
  if (!dom.ok()) {
    const Error& a = dom.error();
    const Error& b = streamed.error();
    return a.code == b.code && a.reason == b.reason && a.message == b.message && a.param == b.param;
  }
  if (dom->events.size() != streamed->events.size() || dom->rejected.size() != streamed->rejected.size() ||
      dom->by_external_id != streamed->by_external_id) {
    return false;
  }
  for (size_t i = 0; i < dom->events.size(); ++i) {
    const auto& [position, a] = dom->events[i];
    const auto& [streamed_position, b] = streamed->events[i];
    if (position != streamed_position || a.id != b.id || a.customer_id != b.customer_id || a.metric != b.metric ||
        a.value != b.value || a.timestamp != b.timestamp || a.properties_json != b.properties_json) {
      return false;
    }
  }
  for (size_t i = 0; i < dom->rejected.size(); ++i) {
    if (!SameRejection(dom->rejected[i], streamed->rejected[i])) return false;
  }
  return true;
}

// The DOM path of POST /api/v1/usage/events for our batches: the pipeline's JSON check, then the parse.
Result<api::ParsedUsageBatch> DomBatch(std::string_view body) {
  if (auto error = http::CheckJsonBody(body, "application/json")) return *error;
  return api::ParseUsageEvents("application/json", json::parse(body), kMaxBatch);
}

Result<api::ParsedUsageBatch> DomNdjson(std::string_view body) {
  auto events = api::ParseNdjsonEvents(body, kMaxBatch);
  if (!events.ok()) return events.error();
  return api::ParseUsageEvents("application/json", *events, kMaxBatch);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static constexpr std::string_view kContentTypes[] = {
      "application/json", "application/cloudevents+json", "application/cloudevents-batch+json",
      "Application/CloudEvents-Batch+JSON; charset=utf-8", "text/plain"};
  size_t kind = data[0] % std::size(kContentTypes);
  std::string_view content_type = kContentTypes[kind];
  bool single = kind == 1;
  bool cloud = kind == 1 || kind == 2 || kind == 3;
  std::string_view raw(reinterpret_cast<const char*>(data) + 1, size - 1);
  FUZZ_CHECK(
      SameOutcome(DomBatch(raw), api::ParseUsageEventsStreamed(raw, api::UsageBodyFormat::kJsonBatch, kMaxBatch)));
  FUZZ_CHECK(SameOutcome(DomNdjson(raw), api::ParseUsageEventsStreamed(raw, api::UsageBodyFormat::kNdjson, kMaxBatch)));

  boost::system::error_code ec;
  json::value body = json::parse(raw, ec);
  if (ec) return 0;  // the pipeline answers 400 before the handler runs

  auto batch = api::ParseUsageEvents(content_type, body, kMaxBatch);
  if (!batch.ok()) {
    FUZZ_CHECK(batch.error().code == ErrorCode::kInvalidArgument || batch.error().code == ErrorCode::kPayloadTooLarge);
    return 0;
  }
  size_t count = single ? 1 : cloud ? body.as_array().size() : body.as_object().at("events").as_array().size();
  FUZZ_CHECK(count >= 1 && count <= kMaxBatch);
  FUZZ_CHECK(batch->events.size() + batch->rejected.size() == count);
  size_t next_event = 0, next_rejection = 0;
  for (size_t i = 0; i < count; ++i) {
    bool is_event = next_event < batch->events.size() && batch->events[next_event].first == i;
    bool is_rejection = next_rejection < batch->rejected.size() && batch->rejected[next_rejection].index == i;
    FUZZ_CHECK(is_event != is_rejection);
    if (is_event) ++next_event;
    if (is_rejection) {
      FUZZ_CHECK(!batch->rejected[next_rejection].reason.empty());
      ++next_rejection;
    }
  }

  json::array again;
  for (const auto& [position, event] : batch->events) {
    FUZZ_CHECK(!event.id.empty() && event.id.size() <= 128);
    FUZZ_CHECK(!event.customer_id.empty() && !event.metric.empty() && event.value >= 0);
    if (!event.properties_json.empty()) {
      FUZZ_CHECK(!cloud && event.properties_json.size() <= 4096);
      FUZZ_CHECK(json::parse(event.properties_json).is_object());
    }
    again.push_back(Encode(event, cloud));
  }
  if (again.empty()) return 0;
  json::value rewritten;
  if (single) {
    rewritten = again[0];
  } else if (cloud) {
    rewritten = again;
  } else {
    rewritten = {{"events", again}};
  }
  auto reread = api::ParseUsageEvents(content_type, rewritten, kMaxBatch);
  FUZZ_CHECK(reread.ok() && reread->rejected.empty() && reread->events.size() == again.size());
  for (size_t k = 0; k < again.size(); ++k) {
    FUZZ_CHECK(reread->events[k].first == k && Same(reread->events[k].second, batch->events[k].second));
  }
  return 0;
}
