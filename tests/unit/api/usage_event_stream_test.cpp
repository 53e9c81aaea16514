// The streaming parse of ingestion bodies against the DOM path it stands in for
// (the pipeline's JSON check + ParseUsageEvents; ParseNdjsonEvents + ParseUsageEvents):
// for a table of tricky bodies, the same events, rejections and errors, field by field.
#include "api/usage_event_stream.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "api/usage_events.hpp"
#include "http/json_body.hpp"

namespace meterline::api {
namespace {

namespace json = boost::json;

constexpr size_t kMaxBatch = 4;

Result<ParsedUsageBatch> DomBatch(std::string_view body, size_t max_batch) {
  if (auto error = http::CheckJsonBody(body, "application/json")) return *error;
  return ParseUsageEvents("application/json", json::parse(body), max_batch);
}

Result<ParsedUsageBatch> DomNdjson(std::string_view body, size_t max_batch) {
  MTL_ASSIGN_OR_RETURN(auto events, ParseNdjsonEvents(body, max_batch));
  return ParseUsageEvents("application/json", events, max_batch);
}

// Expects `streamed` to equal `dom` in every field; returns the reasons and error
// messages seen, for the coverage checks.
std::vector<std::string> ExpectSame(const Result<ParsedUsageBatch>& dom, const Result<ParsedUsageBatch>& streamed) {
  std::vector<std::string> seen;
  EXPECT_EQ(dom.ok(), streamed.ok());
  if (!dom.ok() || !streamed.ok()) {
    if (!dom.ok() && !streamed.ok()) {
      EXPECT_EQ(dom.error().code, streamed.error().code);
      EXPECT_EQ(dom.error().reason, streamed.error().reason);
      EXPECT_EQ(dom.error().message, streamed.error().message);
      EXPECT_EQ(dom.error().param, streamed.error().param);
      seen.push_back(dom.error().message);
    } else {
      ADD_FAILURE() << "dom: " << (dom.ok() ? "ok" : dom.error().message)
                    << ", streamed: " << (streamed.ok() ? "ok" : streamed.error().message);
    }
    return seen;
  }
  EXPECT_EQ(dom->events.size(), streamed->events.size());
  for (size_t i = 0; i < std::min(dom->events.size(), streamed->events.size()); ++i) {
    SCOPED_TRACE("event " + std::to_string(i));
    const auto& [dom_position, dom_event] = dom->events[i];
    const auto& [position, event] = streamed->events[i];
    EXPECT_EQ(dom_position, position);
    EXPECT_EQ(dom_event.id, event.id);
    EXPECT_EQ(dom_event.customer_id, event.customer_id);
    EXPECT_EQ(dom_event.metric, event.metric);
    EXPECT_EQ(dom_event.value, event.value);
    EXPECT_EQ(dom_event.timestamp, event.timestamp);
    EXPECT_EQ(dom_event.properties_json, event.properties_json);
  }
  EXPECT_EQ(dom->rejected.size(), streamed->rejected.size());
  for (size_t i = 0; i < std::min(dom->rejected.size(), streamed->rejected.size()); ++i) {
    SCOPED_TRACE("rejection " + std::to_string(i));
    EXPECT_EQ(dom->rejected[i].index, streamed->rejected[i].index);
    EXPECT_EQ(dom->rejected[i].id, streamed->rejected[i].id);
    EXPECT_EQ(dom->rejected[i].reason, streamed->rejected[i].reason);
    EXPECT_EQ(dom->rejected[i].code, streamed->rejected[i].code);
    seen.push_back(dom->rejected[i].reason);
  }
  EXPECT_EQ(dom->by_external_id, streamed->by_external_id);
  return seen;
}

std::vector<std::string> CompareBatch(const std::string& body, size_t max_batch = kMaxBatch) {
  SCOPED_TRACE("batch body: " + body.substr(0, 300));
  return ExpectSame(DomBatch(body, max_batch), ParseUsageEventsStreamed(body, UsageBodyFormat::kJsonBatch, max_batch));
}

std::vector<std::string> CompareNdjson(const std::string& body, size_t max_batch = kMaxBatch) {
  SCOPED_TRACE("ndjson body: " + body.substr(0, 300));
  return ExpectSame(DomNdjson(body, max_batch), ParseUsageEventsStreamed(body, UsageBodyFormat::kNdjson, max_batch));
}

const std::string kGood =
    R"({"id":"e1","customer_id":"cus_1","metric":"calls","value":3,"timestamp":"2024-05-01T10:00:00Z"})";

// An event with `rest` appended to the members of a good one.
std::string With(const std::string& rest) { return kGood.substr(0, kGood.size() - 1) + "," + rest + "}"; }

// An event: these members, then the good one's others (a member given twice keeps its last value).
std::string Before(const std::string& first) { return "{" + first + "," + kGood.substr(1); }

// Single events, each tried as a batch of one, a batch with a good one around it,
// and as ndjson lines.
const std::vector<std::string>& EventCases() {
  static const std::vector<std::string> cases = {
      kGood,
      // Customers.
      R"({"id":"e","external_customer_id":"ext-1","metric":"m","value":1,"timestamp":"2024-05-01T10:00:00Z"})",
      With(R"("external_customer_id":"ext-1")"),
      With(R"("external_customer_id":"")"),
      With(R"("external_customer_id":5)"),
      Before(R"("customer_id":"")"),
      R"({"id":"e","customer_id":"","external_customer_id":"x","metric":"m","value":1,"timestamp":"2024-05-01T10:00:00Z"})",
      R"({"id":"e","metric":"m","value":1,"timestamp":"2024-05-01T10:00:00Z"})",
      R"({"id":"e","customer_id":null,"metric":"m","value":1,"timestamp":"2024-05-01T10:00:00Z"})",
      // Unknown fields: the first one in the text is named, with the id read from the whole object.
      R"({"zz":1,"id":"late"})",
      R"({"zz":1,"aa":{"x":[1,2]},"zz":3,"id":"a","id":"b"})",
      R"({"zz":1,"aa":2,"id":"a"})",
      With(R"("ID":"x")"),
      With(R"("\u007a\u007a":[{"a":"b"}])"),
      With(R"("id ":"x")"),
      With(R"("":1)"),
      R"({"i\u0064":"escaped-key","customer_id":"c","metric":"m","value":1,"timestamp":"2024-05-01T10:00:00Z"})",
      R"({"\u0069\u0064":"\u00e9\ud83d\ude00","customer_id":"c","metric":"m","value":1,"timestamp":"2024-05-01T10:00:00Z"})",
      With(R"("unknown":"x","value":"not a number")"),
      // Ids.
      Before(R"("id":"")"),
      Before(R"("id":5)"),
      Before(R"("id":null)"),
      Before(R"("id":["a"])"),
      Before(R"("id":{"a":"b"})"),
      With(R"("id":"second")"),
      With(R"("id":7)"),
      Before(R"("id":"first")"),
      Before(R"("id":")" + std::string(128, 'x') + "\""),
      With(R"("id":")" + std::string(128, 'x') + "\""),
      With(R"("id":")" + std::string(129, 'x') + "\""),
      With(R"("id":")" + std::string(127, 'x') + R"(\u00e9")"),
      With(R"("id":"tab\there \"quoted\" back\\slash \/ \b\f\n\r \u0000 nul")"),
      With(R"("id":"\ud834\udd1e clef")"),
      // Metrics.
      With(R"("metric":"")"),
      With(R"("metric":1)"),
      With(R"("metric":"caf\u00e9")"),
      R"({"id":"e","customer_id":"c","value":1,"timestamp":"2024-05-01T10:00:00Z"})",
      // Values.
      R"({"id":"e","customer_id":"c","metric":"m","timestamp":"2024-05-01T10:00:00Z"})",
      With(R"("value":0)"),
      With(R"("value":-0)"),
      With(R"("value":-1)"),
      With(R"("value":1.0)"),
      With(R"("value":1e2)"),
      With(R"("value":1E2)"),
      With(R"("value":1.5)"),
      With(R"("value":-0.0)"),
      With(R"("value":9223372036854775807)"),
      With(R"("value":9223372036854775808)"),
      With(R"("value":18446744073709551615)"),
      With(R"("value":18446744073709551616)"),
      With(R"("value":-9223372036854775808)"),
      With(R"("value":-9223372036854775809)"),
      With(R"("value":null)"),
      With(R"("value":true)"),
      With(R"("value":"5")"),
      With(R"("value":[5])"),
      With(R"("value":{"v":5})"),
      With(R"("value":-1,"value":8)"),
      With(R"("value":8,"value":-1)"),
      With(R"("value":8,"value":null)"),
      // Timestamps.
      With(R"("timestamp":"2024-05-01")"),
      With(R"("timestamp":"2024-05-01T")"),
      With(R"("timestamp":"2024-05-01T10:00:00+02:00")"),
      With(R"("timestamp":"2024-05-01T10:00:00.123456Z")"),
      With(R"("timestamp":"2024-05-01 10:00:00Z")"),
      With(R"("timestamp":"yesterday at noon")"),
      With(R"("timestamp":"2024-13-01T10:00:00Z")"),
      With(R"("timestamp":1714557600)"),
      With(R"("timestamp":"2024-05-01T10:00:0\u0030Z")"),
      R"({"id":"e","customer_id":"c","metric":"m","value":1})",
      // Properties.
      With(R"("properties":null)"),
      With(R"("properties":{})"),
      With(
          R"("properties":{"region":"eu","tags":["a","b",{"c":null}],"n":-0,"f":1.0,"e":1e300,"big":18446744073709551615,"neg":-5,"t":true})"),
      With(R"("properties":{"a":1,"b":2,"a":3})"),
      With(R"("properties":{"s":"\u0041\/\u00e9\ud83d\ude00\u0001\u001f\"\\ \t"})"),
      With(R"("properties":{"\u006b\u0065\u0079":"v","k\n":"line"})"),
      With(R"("properties":{"deep":{"deeper":{"deepest":[[[[1]]]]}}})"),
      With(R"("properties":{"a":1},"properties":null)"),
      With(R"("properties":5,"properties":{"x":1})"),
      With(R"("properties":{"x":1},"properties":[1])"),
      With(R"("properties":{"x":1},"properties":{"y":2})"),
      With(R"("properties":"a string")"),
      With(R"("properties":[])"),
      With(R"("properties":false)"),
      With(R"("properties":0.5)"),
      With(R"("properties":{"s":")" + std::string(4088, 'p') + "\"}"),                // 4096 bytes serialized
      With(R"("properties":{"s":")" + std::string(4089, 'p') + "\"}"),                // 4097
      With(R"("properties":{"s":")" + std::string(4086, 'p') + R"(\u00e9"})"),        // 4096: é is 2 bytes
      With(R"("properties":{"s":")" + std::string(4077, 'p') + R"(\u0001\u0001"})"),  // 4097: \u0001 stays escaped
      // Order of the checks: each problem hides the ones after it.
      R"({"zz":1})",
      R"({"id":"","external_customer_id":"x","customer_id":"y","properties":5})",
      R"({"id":"e","external_customer_id":"x","customer_id":"y","properties":5})",
      R"({"id":"e","external_customer_id":"x","properties":5})",
      R"({"id":"e","external_customer_id":"x","properties":{"a":1}})",
      R"({"id":"e","customer_id":"c","properties":[],"value":-1})",
      R"({"id":"e","customer_id":"c","value":-1})",
      R"({"id":"e","customer_id":"c","metric":"m","value":-1,"timestamp":"bad"})",
      R"({"id":"e","customer_id":"c","metric":"m","timestamp":"bad"})",
      R"({"id":"e","customer_id":"c","metric":"m","value":1,"timestamp":"bad"})",
      R"({})",
      // Not objects.
      "1",
      "-0",
      "\"an event\"",
      "null",
      "true",
      "[]",
      R"([{"id":"e"}])",
      "[[[]]]",
  };
  return cases;
}

TEST(UsageEventStream, EveryEventCaseMatchesTheDomAsABatchAndAsNdjson) {
  std::set<std::string> reasons;
  for (const std::string& event : EventCases()) {
    for (const std::string& body :
         {R"({"events":[)" + event + "]}", R"({"events":[)" + kGood + "," + event + "," + kGood + "]}",
          " {\n\"events\" : [ " + event + " ]\n} "}) {
      for (const auto& reason : CompareBatch(body)) reasons.insert(reason.substr(0, reason.find('\'')));
    }
    CompareNdjson(event);
    CompareNdjson(event + "\r\n" + kGood + "\n");
  }
  // Every rejection ParseEvent has for our format is in the table.
  for (const char* reason :
       {"an event must be a JSON object", "unknown field ", "id must be a string of 1-128 characters",
        "give customer_id or external_customer_id, not both", "properties must be an object",
        "properties must be at most 4096 bytes", "customer_id or external_customer_id is required",
        "metric is required", "value is required", "value must be a non-negative integer",
        "timestamp must be an RFC 3339 timestamp"}) {
    EXPECT_EQ(reasons.count(reason), 1u) << "no case is rejected with: " << reason;
  }
}

TEST(UsageEventStream, BodiesMatchTheDomIncludingEveryBodyError) {
  std::string good5 = kGood + "," + kGood + "," + kGood + "," + kGood + "," + kGood;
  const std::string bodies[] = {
      // Shapes.
      R"({"events":[]})",
      R"({"events":{}})",
      R"({"events":null})",
      R"({"events":"x"})",
      R"({"events":[1],"events":{}})",
      R"({"events":{},"events":[)" + kGood + "]}",
      R"({"events":[)" + kGood + R"(],"events":[1,2]})",
      R"({"events":[)" + good5 + R"(],"events":[)" + kGood + "]}",
      R"({"events":[)" + kGood + R"(],"events":[)" + good5 + "]}",
      R"({"events":[)" + kGood + R"(],"events":[]})",
      R"({})",
      R"({"Events":[1]})",
      R"({"meta":{"events":[1]},"events":[)" + kGood + R"(],"other":[1,{"events":5}],"n":null})",
      R"({"\u0065vents":[)" + kGood + "]}",
      "[" + kGood + "]",
      "5",
      "\"events\"",
      "null",
      // Sizes: 4 events fit, 5 do not, whatever they are.
      R"({"events":[)" + kGood + "," + kGood + "," + kGood + "," + kGood + "]}",
      R"({"events":[)" + good5 + "]}",
      R"({"events":[1,2,3,4,5]})",
      R"({"events":[)" + good5 + R"(],"x":{"a":[1,2)" + "]}}",
      // Malformed, anywhere: before, inside and after the events, and past max_batch.
      "",
      " ",
      "\n\n  ",
      R"({"events":[)" + kGood + "]} x",
      R"({"events":[)" + kGood + "]}}",
      R"({"events":[)" + kGood + "]}\n\n{}",
      R"({"events":[)" + kGood,
      R"({"events":[)" + kGood + ",",
      R"({"events":[)" + kGood.substr(0, 20),
      R"({"events":[{"id":"\u12)",
      R"({"events":[{"id":"\x"}]})",
      "{\"events\":[{\"id\":\"\xff\"}]}",
      "{\"events\":[{\"id\":\"a\nb\"}]}",
      R"({"events":[)" + kGood + ",]}",
      R"({"events":[)" + kGood + "] /* comment */}",
      R"({"events":[01]})",
      R"({"events":[-]})",
      R"({"events":[NaN]})",
      R"({"events":[)" + good5 + ",}]}",
      R"({"events":[)" + good5 + "]}x",
      R"({"events":[1],"events":5 5})",
      "\xEF\xBB\xBF{\"events\":[]}",
      "{\n  \"events\": [\n    " + kGood + ",\n    {\"id\": tru}\n  ]\n}",
      // Nesting at and past the parser's depth limit (32).
      R"({"events":[)" + With(R"("properties":)" + std::string(29, '[') + std::string(29, ']')) + "]}",
      R"({"events":[)" + With(R"("properties":)" + std::string(30, '[') + std::string(30, ']')) + "]}",
      R"({"events":[)" + With(R"("properties":{"a":)" + std::string(28, '[') + std::string(28, ']') + "}") + "]}",
      R"({"events":[)" + With(R"("properties":{"a":)" + std::string(29, '[') + std::string(29, ']') + "}") + "]}",
  };
  std::set<std::string> messages;
  for (const std::string& body : bodies) {
    for (const auto& message : CompareBatch(body)) messages.insert(message.substr(0, 14));
  }
  for (const char* message :
       {"request body i", "malformed JSON", "body must be {", "the batch has ", "a batch may ho"}) {
    EXPECT_EQ(messages.count(message), 1u) << "no body fails with: " << message;
  }
}

TEST(UsageEventStream, NdjsonMatchesTheDom) {
  const std::string bodies[] = {
      "",
      "\n",
      "\n\r\n \t \n",
      kGood,
      kGood + "\n",
      kGood + "\r\n",
      "\n\n" + kGood + "\r\n\r\n  \t\n" + kGood + "\n \n",
      kGood + "\n" + kGood + "\n" + kGood + "\n" + kGood,
      kGood + "\n" + kGood + "\n\n" + kGood + "\n" + kGood + "\n" + kGood,
      kGood + "\n" + kGood + "\n" + kGood + "\n" + kGood + "\n{\"id\": ",
      kGood + "\n{\"id\": \n" + kGood,
      kGood + "\n" + kGood + " x\n",
      kGood + kGood,
      kGood + "\r\r\n",
      "\r\n\r",
      "\r\r",
      " " + kGood + " \t",
      "5\n[1]\nnull\n\"x\"\n",
      R"({"events":[)" + kGood + "]}",
      kGood + "\n{\"id\":\"a\nb\"}",
      "{\"events\":\n[1]}",
  };
  std::set<std::string> messages;
  for (const std::string& body : bodies) {
    for (const auto& message : CompareNdjson(body)) messages.insert(message.substr(0, 14));
  }
  for (const char* message : {"malformed JSON", "the batch has ", "a batch may ho"}) {
    EXPECT_EQ(messages.count(message), 1u) << "no body fails with: " << message;
  }
}

// The parser hands a string over in parts at escapes and when its buffer fills:
// an escape at every position of each member, and strings and keys far longer than
// the parser's buffer, come out the same.
TEST(UsageEventStream, StringsInPartsAreAssembledWherever) {
  const std::string fields[] = {"id", "customer_id", "external_customer_id", "metric", "timestamp"};
  const std::string values[] = {"evt-0123456789", "cus_ABCDEFGHIJ", "ext-abcdefghij", "api_calls_total",
                                "2024-05-01T10:00:00Z"};
  for (size_t field_idx = 0; field_idx < std::size(fields); ++field_idx) {
    const std::string& value = values[field_idx];
    for (size_t position = 0; position < value.size(); ++position) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned char>(value[position]));
      std::string text = value.substr(0, position) + escaped + value.substr(position + 1);
      std::string key = fields[field_idx];
      key.insert(position % key.size(), "\\u005f");  // an unknown key, escaped
      CompareBatch(R"({"events":[)" + With("\"" + fields[field_idx] + "\":\"" + text + "\"") + "]}");
      CompareBatch(R"({"events":[)" + With("\"" + key + "\":\"" + text + "\"") + "]}");
    }
  }
  std::string long_escaped;
  for (int i = 0; i < 3000; ++i) long_escaped += i % 3 == 0 ? "\\u00e9" : i % 3 == 1 ? "\\n" : "x";
  for (const std::string& event :
       {With(R"("id":")" + long_escaped + "\""), With(R"("metric":")" + long_escaped + "\""),
        With("\"" + long_escaped + "\":1"), With(R"("properties":{")" + long_escaped + "\":\"" + long_escaped + "\"}"),
        With(R"("properties":{"k":")" + long_escaped.substr(0, 2000) + "\"}")}) {
    CompareBatch(R"({"events":[)" + event + "]}");
    CompareNdjson(event);
  }
  CompareBatch("{\"" + long_escaped + R"(":1,"events":[)" + kGood + "]}");
  CompareBatch(R"({"events":[)" + kGood + "],\"" + long_escaped + "\":[\"" + long_escaped + "\"]}");
}

// Each `properties` object is built where the one before was: large ones (past
// the 16 KiB arena), small ones and rejected ones in turn.
TEST(UsageEventStream, PropertiesOneAfterAnother) {
  std::string large = R"({"s":")" + std::string(40000, 'L') + R"(","list":[)";
  for (int i = 0; i < 2000; ++i) large += (i ? "," : "") + std::to_string(i) + ".5";
  large += "]}";
  const std::string events[] = {With(R"("properties":)" + large), With(R"("properties":{"a":[1,{"b":"c"}]})"),
                                With(R"("properties":{"a":1},"zz":1)"), With(R"("properties":)" + large),
                                With(R"("properties":{"k":"v","k":"w"})")};
  std::string batch, lines;
  for (const std::string& event : events) {
    batch += (batch.empty() ? "" : ",") + event;
    lines += event + "\n";
  }
  CompareBatch(R"({"events":[)" + batch + "]}", 10);
  CompareNdjson(lines, 10);
  CompareNdjson(lines + lines + lines, 100);
}

TEST(UsageEventStream, ReadsTheEventsItself) {
  const std::string body = R"({"events":[)" + kGood + R"(,7,)" +
                           R"({"id":"x","external_customer_id":"ext","metric":"m","value":9223372036854775807,)"
                           R"("timestamp":"2024-05-01T10:00:00Z","properties":{"a":1.0}}]})";
  auto batch = ParseUsageEventsStreamed(body, UsageBodyFormat::kJsonBatch, kMaxBatch);
  ASSERT_TRUE(batch.ok()) << batch.error().message;
  ASSERT_EQ(batch->events.size(), 2u);
  EXPECT_EQ(batch->events[0].first, 0u);
  EXPECT_EQ(batch->events[0].second.id, "e1");
  EXPECT_EQ(batch->events[0].second.value, 3);
  EXPECT_EQ(batch->events[1].first, 2u);
  EXPECT_EQ(batch->events[1].second.customer_id, "ext");
  EXPECT_EQ(batch->events[1].second.value, INT64_MAX);
  EXPECT_EQ(batch->events[1].second.properties_json, R"({"a":1E0})");
  EXPECT_EQ(batch->by_external_id, std::vector<size_t>{1});
  ASSERT_EQ(batch->rejected.size(), 1u);
  EXPECT_EQ(batch->rejected[0].index, 1u);
  EXPECT_EQ(batch->rejected[0].reason, "an event must be a JSON object");

  auto malformed = ParseUsageEventsStreamed("{\"events\": [\n  1,\n  2 3]}", UsageBodyFormat::kJsonBatch, kMaxBatch);
  ASSERT_FALSE(malformed.ok());
  EXPECT_EQ(malformed.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(malformed.error().Reason(), "invalid_json");
  EXPECT_EQ(malformed.error().message.rfind("malformed JSON at line 3 column 5: ", 0), 0u) << malformed.error().message;
}

// Strings the body holds as they are are views of it (no copy per event);
// escaped ones, serialized properties and ndjson lines' strings alike are
// copied into the batch's arena, whose views survive moving the batch.
TEST(UsageEventStream, ViewsTheBodyAndCopiesOnlyWhatItMust) {
  auto in = [](std::string_view text, const std::string& body) {
    return text.data() >= body.data() && text.data() + text.size() <= body.data() + body.size();
  };
  const std::string body =
      R"({"events":[{"id":"plain-id","customer_id":"cus_0123456789abcdef0123","metric":"impressions","value":1,)"
      R"("timestamp":"2024-05-01T10:00:00Z"},)"
      R"({"id":"esc\u0061ped","customer_id":"cus_0123456789abcdef0123","metric":"impr\u0065ssions","value":2,)"
      R"("timestamp":"2024-05-01T10:00:00Z","properties":{"k":"v"}}]})";
  auto parsed = ParseUsageEventsStreamed(body, UsageBodyFormat::kJsonBatch, kMaxBatch);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  ParsedUsageBatch batch = std::move(parsed).value();  // the arena moves with it
  ASSERT_EQ(batch.events.size(), 2u);
  const metering::UsageEventRef& plain = batch.events[0].second;
  EXPECT_TRUE(in(plain.id, body) && in(plain.customer_id, body) && in(plain.metric, body));
  const metering::UsageEventRef& escaped = batch.events[1].second;
  EXPECT_EQ(escaped.id, "escaped");
  EXPECT_EQ(escaped.metric, "impressions");
  EXPECT_FALSE(in(escaped.id, body));
  EXPECT_FALSE(in(escaped.metric, body));
  EXPECT_TRUE(in(escaped.customer_id, body));
  EXPECT_EQ(escaped.properties_json, R"({"k":"v"})");
  EXPECT_FALSE(in(escaped.properties_json, body));

  std::string lines =
      "{\"id\":\"a\\u0062\",\"customer_id\":\"c\",\"metric\":\"m\",\"value\":1,"
      "\"timestamp\":\"2024-05-01T10:00:00Z\"}\r\n\n"
      "{\"id\":\"cd\",\"customer_id\":\"c\",\"metric\":\"m\",\"value\":1,"
      "\"timestamp\":\"2024-05-01T10:00:00Z\"}";
  auto ndjson = ParseUsageEventsStreamed(lines, UsageBodyFormat::kNdjson, kMaxBatch);
  ASSERT_TRUE(ndjson.ok()) << ndjson.error().message;
  ASSERT_EQ(ndjson->events.size(), 2u);
  EXPECT_EQ(ndjson->events[0].second.id, "ab");
  EXPECT_FALSE(in(ndjson->events[0].second.id, lines));
  EXPECT_EQ(ndjson->events[1].second.id, "cd");
  EXPECT_TRUE(in(ndjson->events[1].second.id, lines));
}

}  // namespace
}  // namespace meterline::api
