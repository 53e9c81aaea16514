#include "api/usage_event_stream.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/error.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/serializer.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_stack.hpp>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "core/clock.hpp"
#include "http/json_body.hpp"

namespace meterline::api {

namespace {

namespace json = boost::json;

// The members of an event in our format: ParseEvent's kEventFields (usage_events.cpp).
enum class Field : uint8_t {
  kId,
  kCustomerId,
  kExternalCustomerId,
  kMetric,
  kValue,
  kTimestamp,
  kProperties,
  kUnknown
};

Field FieldNamed(std::string_view key) {
  static constexpr std::pair<std::string_view, Field> kFields[] = {{"id", Field::kId},
                                                                   {"customer_id", Field::kCustomerId},
                                                                   {"external_customer_id", Field::kExternalCustomerId},
                                                                   {"metric", Field::kMetric},
                                                                   {"value", Field::kValue},
                                                                   {"timestamp", Field::kTimestamp},
                                                                   {"properties", Field::kProperties}};
  for (const auto& [name, field] : kFields) {
    if (key == name) return field;
  }
  return Field::kUnknown;
}

// The containers whose members matter; every other one is skipped (or, for
// `properties`, captured) without a trace here.
enum class Container : uint8_t {
  kNone,         // between documents, or at the top of one
  kBody,         // the top-level object of a batch
  kEventsArray,  // the value of the body's "events"
  kEvent,        // an element of the batch that is an object
};

// What the value that starts now is to the batch.
enum class Slot : uint8_t {
  kIgnored,  // another member of the body, an unknown field of an event
  kBody,     // the whole body of a batch
  kEvents,   // the value of the body's "events"
  kElement,  // one position of the batch (the events array's element, or an ndjson line)
  kField,    // the value of a known field of an event
};

// The last `value` of an event, as ParseEvent would judge it.
enum class Amount : uint8_t { kMissing, kValid, kInvalid };
// The last `properties` of an event: absent (or null), an object, anything else.
enum class Properties : uint8_t { kAbsent, kObject, kNotObject };

Error TooLarge(size_t max_batch) {
  return Error(ErrorCode::kPayloadTooLarge, "batch_too_large",
               "a batch may hold at most " + std::to_string(max_batch) + " events");
}

// The basic_parser handler. The DOM keeps the last value of a key given twice
// (in the place of the first), so each event member read overwrites the one
// before; the first unknown key in the text is the first in the DOM's order.
// Every callback returns true: a body is always read to its end, so that malformed
// JSON anywhere wins over any other error, as when the DOM is built first (and a
// later "events" still replaces an earlier one). Past `max_batch` elements, the
// rest are counted but not read. Thread-compatible; one per parse.
class EventHandler {
 public:
  // The DOM parser's limits (boost/json/detail/handler.hpp): the same bodies are too large.
  static constexpr std::size_t max_object_size = json::object::max_size();
  static constexpr std::size_t max_array_size = json::array::max_size();
  static constexpr std::size_t max_key_size = json::string::max_size();
  static constexpr std::size_t max_string_size = json::string::max_size();

  // `body`: the bytes parsed (all of them, in one buffer); events view strings in it.
  EventHandler(UsageBodyFormat format, size_t max_batch, std::string_view body, ParsedUsageBatch& batch)
      : format_(format), max_batch_(max_batch), body_(body), batch_(batch) {}

  // After a complete parse of a kJsonBatch body.
  bool body_is_object() const { return body_is_object_; }
  bool events_is_array() const { return events_is_array_; }
  // The positions of the batch so far (elements of the last "events" array, or ndjson lines).
  size_t count() const { return count_; }

  bool on_document_begin(json::error_code& /*ec*/) { return true; }
  bool on_document_end(json::error_code& /*ec*/) { return true; }

  bool on_object_begin(json::error_code& /*ec*/) {
    if (capture_depth_ > 0) {
      ++capture_depth_;
      return true;
    }
    if (ignore_depth_ > 0) {
      ++ignore_depth_;
      return true;
    }
    switch (NextSlot()) {
      case Slot::kBody:
        container_ = Container::kBody;
        body_is_object_ = true;
        break;
      case Slot::kElement:
        if (CountElement()) {
          StartEvent(count_ - 1);
          container_ = Container::kEvent;
        } else {
          ignore_depth_ = 1;
        }
        break;
      case Slot::kField:
        if (field_ == Field::kProperties) {
          StartCapture();
          capture_depth_ = 1;
        } else {
          ignore_depth_ = 1;  // a string field reads "", a value is not an integer
        }
        break;
      case Slot::kEvents:  // not an array: the body has the wrong shape
      case Slot::kIgnored: ignore_depth_ = 1; break;
    }
    return true;
  }

  bool on_object_end(std::size_t n, json::error_code& /*ec*/) {
    if (capture_depth_ > 0) {
      stack_.push_object(n);
      if (--capture_depth_ == 0) {
        properties_value_.emplace(stack_.release());  // steals: a move assignment would copy
        properties_ = Properties::kObject;
      }
      return true;
    }
    if (ignore_depth_ > 0) {
      --ignore_depth_;
      return true;
    }
    if (container_ == Container::kEvent) {
      FinishEvent();
      container_ = format_ == UsageBodyFormat::kJsonBatch ? Container::kEventsArray : Container::kNone;
    } else {
      container_ = Container::kNone;  // the end of the body
    }
    return true;
  }

  bool on_array_begin(json::error_code& /*ec*/) {
    if (capture_depth_ > 0) {
      ++capture_depth_;
      return true;
    }
    if (ignore_depth_ > 0) {
      ++ignore_depth_;
      return true;
    }
    Slot slot = NextSlot();
    if (slot == Slot::kEvents) {
      events_is_array_ = true;
      container_ = Container::kEventsArray;
      return true;
    }
    if (slot == Slot::kElement) NotAnObject();
    ignore_depth_ = 1;
    return true;
  }

  bool on_array_end(std::size_t n, json::error_code& /*ec*/) {
    if (capture_depth_ > 0) {
      stack_.push_array(n);
      --capture_depth_;  // a capture starts with an object, so it does not end here
    } else if (ignore_depth_ > 0) {
      --ignore_depth_;
    } else {
      container_ = Container::kBody;  // the end of the events array
    }
    return true;
  }

  bool on_key_part(json::string_view s, std::size_t /*n*/, json::error_code& /*ec*/) {
    if (capture_depth_ > 0) {
      stack_.push_chars(s);
    } else if (ignore_depth_ == 0) {
      key_.append(s.data(), s.size());
    }
    return true;
  }

  bool on_key(json::string_view s, std::size_t /*n*/, json::error_code& /*ec*/) {
    if (capture_depth_ > 0) {
      stack_.push_key(s);
      return true;
    }
    if (ignore_depth_ > 0) return true;
    std::string_view key(s.data(), s.size());
    if (!key_.empty()) {
      key_.append(key);
      key = key_;
    }
    OnKey(key);
    key_.clear();
    return true;
  }

  bool on_string_part(json::string_view s, std::size_t /*n*/, json::error_code& /*ec*/) {
    if (capture_depth_ > 0) {
      stack_.push_chars(s);
    } else if (ignore_depth_ == 0 && NextSlot() == Slot::kField && StringTarget() != nullptr) {
      parts_.append(s.data(), s.size());
    }
    return true;
  }

  bool on_string(json::string_view s, std::size_t /*n*/, json::error_code& /*ec*/) {
    if (capture_depth_ > 0) {
      stack_.push_string(s);
      return true;
    }
    if (ignore_depth_ > 0) return true;
    Slot slot = NextSlot();
    if (slot == Slot::kField) {
      if (std::string_view* target = StringTarget()) *target = Kept({s.data(), s.size()});
      return true;  // otherwise: a value that is not an integer, properties that are not an object
    }
    Scalar(slot);
    return true;
  }

  bool on_number_part(json::string_view /*s*/, json::error_code& /*ec*/) { return true; }

  bool on_int64(int64_t i, json::string_view /*s*/, json::error_code& /*ec*/) {
    if (capture_depth_ > 0) {
      stack_.push_int64(i);
    } else if (ignore_depth_ == 0) {
      Slot slot = NextSlot();
      if (slot == Slot::kField && field_ == Field::kValue && i >= 0) {
        amount_ = Amount::kValid;
        value_ = i;
      }
      Scalar(slot);
    }
    return true;
  }

  bool on_uint64(uint64_t u, json::string_view /*s*/, json::error_code& /*ec*/) {
    if (capture_depth_ > 0) {
      stack_.push_uint64(u);
    } else if (ignore_depth_ == 0) {
      Slot slot = NextSlot();
      if (slot == Slot::kField && field_ == Field::kValue && u <= static_cast<uint64_t>(INT64_MAX)) {
        amount_ = Amount::kValid;
        value_ = static_cast<int64_t>(u);
      }
      Scalar(slot);
    }
    return true;
  }

  bool on_double(double d, json::string_view /*s*/, json::error_code& /*ec*/) {
    if (capture_depth_ > 0) {
      stack_.push_double(d);
    } else if (ignore_depth_ == 0) {
      Scalar(NextSlot());  // a value like 1.0 or 1e3 is not an integer
    }
    return true;
  }

  bool on_bool(bool b, json::error_code& /*ec*/) {
    if (capture_depth_ > 0) {
      stack_.push_bool(b);
    } else if (ignore_depth_ == 0) {
      Scalar(NextSlot());
    }
    return true;
  }

  bool on_null(json::error_code& /*ec*/) {
    if (capture_depth_ > 0) {
      stack_.push_null();
    } else if (ignore_depth_ == 0) {
      Slot slot = NextSlot();
      if (slot == Slot::kField && field_ == Field::kProperties) properties_ = Properties::kAbsent;
      Scalar(slot);
    }
    return true;
  }

  bool on_comment_part(json::string_view /*s*/, json::error_code& /*ec*/) { return true; }
  bool on_comment(json::string_view /*s*/, json::error_code& /*ec*/) { return true; }

 private:
  Slot NextSlot() const {
    switch (container_) {
      case Container::kNone: return format_ == UsageBodyFormat::kJsonBatch ? Slot::kBody : Slot::kElement;
      case Container::kBody: return key_is_events_ ? Slot::kEvents : Slot::kIgnored;
      case Container::kEventsArray: return Slot::kElement;
      case Container::kEvent: return field_ == Field::kUnknown ? Slot::kIgnored : Slot::kField;
    }
    return Slot::kIgnored;
  }

  // Builds the next `properties` object in the arena, emptied first (nothing
  // still points into it: the last object has been serialized or is dropped).
  void StartCapture() {
    properties_value_.reset();
    if (arena_) {
      arena_->release();
    } else {
      arena_buffer_ = std::make_unique<unsigned char[]>(kArenaBytes);
      arena_.emplace(arena_buffer_.get(), kArenaBytes);
    }
    stack_.reset(json::storage_ptr(&*arena_));
  }

  // Counts one position of the batch; false past max_batch (only counted then).
  bool CountElement() { return count_++ < max_batch_; }

  void NotAnObject() {
    if (CountElement()) batch_.rejected.push_back({count_ - 1, "", "an event must be a JSON object", "invalid"});
  }

  // A value that is no container and no string of a string field.
  void Scalar(Slot slot) {
    if (slot == Slot::kElement) NotAnObject();
    // kEvents: not an array (events_is_array_ was reset by the key); kBody: not
    // an object; kField: the value or properties as judged by the caller or the key.
  }

  // A string value as the event keeps it: a view of the body when the parser
  // handed it over whole from there (no escapes), else a copy in the batch's
  // arena of its parts (collected in parts_) and `last`.
  std::string_view Kept(std::string_view last) {
    std::less<const char*> before;
    bool in_body =
        !before(last.data(), body_.data()) && !before(body_.data() + body_.size(), last.data() + last.size());
    if (parts_.empty() && in_body) return last;
    parts_.append(last);
    std::string_view kept = batch_.text.Keep(parts_);
    parts_.clear();
    return kept;
  }

  // Where the string of the current field goes; nullptr for value and properties.
  std::string_view* StringTarget() {
    switch (field_) {
      case Field::kId: return &event_.id;
      case Field::kCustomerId: return &event_.customer_id;
      case Field::kExternalCustomerId: return &external_customer_id_;
      case Field::kMetric: return &event_.metric;
      case Field::kTimestamp: return &timestamp_;
      default: return nullptr;
    }
  }

  void OnKey(std::string_view key) {
    if (container_ == Container::kBody) {
      // A later "events" replaces an earlier one, as in the DOM.
      key_is_events_ = key == "events";
      if (key_is_events_) {
        batch_.events.clear();
        batch_.rejected.clear();
        batch_.by_external_id.clear();
        count_ = 0;
        events_is_array_ = false;
      }
      return;
    }
    // An event (the only other object not skipped): the value replaces any earlier one.
    field_ = FieldNamed(key);
    if (field_ == Field::kUnknown) {
      if (!has_unknown_field_) {
        has_unknown_field_ = true;
        unknown_field_.assign(key);
      }
    } else if (field_ == Field::kValue) {
      amount_ = Amount::kInvalid;  // until it proves to be an integer
    } else if (field_ == Field::kProperties) {
      properties_ = Properties::kNotObject;  // until it proves to be an object or null
    } else {
      *StringTarget() = {};  // anything but a string reads ""
    }
  }

  void StartEvent(size_t position) {
    position_ = position;
    event_ = metering::UsageEventRef();
    external_customer_id_ = {};
    timestamp_ = {};
    amount_ = Amount::kMissing;
    value_ = 0;
    properties_ = Properties::kAbsent;
    has_unknown_field_ = false;
    field_ = Field::kUnknown;
  }

  void FinishEvent() {
    bool by_external_id = false;
    std::string problem = CheckEvent(by_external_id);
    if (problem.empty()) {
      if (by_external_id) batch_.by_external_id.push_back(batch_.events.size());
      batch_.events.emplace_back(position_, event_);
    } else {
      batch_.rejected.push_back({position_, std::string(event_.id), std::move(problem), "invalid"});
    }
  }

  // ParseEvent's checks for our format, in its order; "" when the event is fine.
  std::string CheckEvent(bool& by_external_id) {
    if (has_unknown_field_) return "unknown field '" + unknown_field_ + "'";
    if (event_.id.empty() || event_.id.size() > 128) return "id must be a string of 1-128 characters";
    if (!external_customer_id_.empty()) {
      if (!event_.customer_id.empty()) return "give customer_id or external_customer_id, not both";
      event_.customer_id = external_customer_id_;
      by_external_id = true;
    }
    if (properties_ == Properties::kNotObject) return "properties must be an object";
    if (properties_ == Properties::kObject) {
      // json::serialize's text, written into a buffer reused from event to event.
      properties_text_.clear();
      serializer_.reset(&*properties_value_);
      char buffer[1024];
      while (!serializer_.done()) properties_text_.append(serializer_.read(buffer));
      if (properties_text_.size() > 4096) return "properties must be at most 4096 bytes";
      event_.properties_json = batch_.text.Keep(properties_text_);
    }
    if (event_.customer_id.empty()) return "customer_id or external_customer_id is required";
    if (event_.metric.empty()) return "metric is required";
    if (amount_ == Amount::kMissing) return "value is required";
    if (amount_ == Amount::kInvalid) return "value must be a non-negative integer";
    event_.value = value_;
    auto parsed = ParseIso8601(timestamp_);
    if (!parsed || timestamp_.size() <= 10) return "timestamp must be an RFC 3339 timestamp";
    event_.timestamp = *parsed;
    return "";
  }

  const UsageBodyFormat format_;
  const size_t max_batch_;
  const std::string_view body_;
  ParsedUsageBatch& batch_;

  Container container_ = Container::kNone;
  size_t ignore_depth_ = 0;   // > 0: inside a skipped container, this deep
  size_t capture_depth_ = 0;  // > 0: inside a `properties` object, this deep
  std::string key_;           // a key that arrives in parts (escapes), reused
  std::string parts_;         // a string value that arrives in parts, reused
  bool body_is_object_ = false;
  bool key_is_events_ = false;
  bool events_is_array_ = false;
  size_t count_ = 0;

  // The event being read, and what ParseEvent reads apart from it.
  size_t position_ = 0;
  metering::UsageEventRef event_;
  Field field_ = Field::kUnknown;  // whose value comes next
  std::string_view external_customer_id_;
  std::string_view timestamp_;
  Amount amount_ = Amount::kMissing;
  int64_t value_ = 0;
  Properties properties_ = Properties::kAbsent;
  // `properties` objects are built as the DOM builds them (value_stack), in an
  // arena reused from object to object: made on the first one, 16 KiB (more
  // blocks when one needs them).
  static constexpr size_t kArenaBytes = size_t{16} << 10;
  std::unique_ptr<unsigned char[]> arena_buffer_;
  std::optional<json::monotonic_resource> arena_;
  json::value_stack stack_;
  std::optional<json::value> properties_value_;  // the last one, in the arena
  json::serializer serializer_;
  std::string properties_text_;  // the last one serialized, reused
  bool has_unknown_field_ = false;
  std::string unknown_field_;
};

using EventParser = json::basic_parser<EventHandler>;

// Room for the events a body of this size may hold (an event takes 64 bytes
// or more but for the tersest), so the list is not regrown, copying all it
// holds, as it fills; pages of the room left unused are never touched.
void ReserveEvents(ParsedUsageBatch& batch, std::string_view body, size_t max_batch) {
  batch.events.reserve(std::min(max_batch, body.size() / 64 + 1));
}

Result<ParsedUsageBatch> ParseJsonBatch(std::string_view body, size_t max_batch) {
  // With a JSON Content-Type this is only the pipeline's empty-body check, in its words.
  if (auto error = http::CheckJsonMediaType(body, "application/json")) return *std::move(error);
  ParsedUsageBatch batch;
  ReserveEvents(batch, body, max_batch);
  EventParser parser(json::parse_options(), UsageBodyFormat::kJsonBatch, max_batch, body, batch);
  json::error_code ec;
  size_t consumed = parser.write_some(false, body.data(), body.size(), ec);
  if (ec || consumed < body.size()) return http::MalformedJsonError(body);  // what boost::json::parse refuses
  const EventHandler& handler = parser.handler();
  if (!handler.body_is_object() || !handler.events_is_array()) {
    return InvalidArgument("body must be {\"events\": [...]}");
  }
  if (handler.count() == 0) return InvalidArgument("the batch has no events");
  if (handler.count() > max_batch) return TooLarge(max_batch);
  return batch;
}

// The lines as ParseNdjsonEvents splits and numbers them.
Result<ParsedUsageBatch> ParseNdjson(std::string_view body, size_t max_batch) {
  ParsedUsageBatch batch;
  ReserveEvents(batch, body, max_batch);
  EventParser parser(json::parse_options(), UsageBodyFormat::kNdjson, max_batch, body, batch);
  size_t line_number = 0;
  while (auto next = NextNdjsonLine(body, line_number)) {
    std::string_view line = *next;
    if (parser.handler().count() == max_batch) return TooLarge(max_batch);
    parser.reset();
    json::error_code ec;
    size_t consumed = parser.write_some(false, line.data(), line.size(), ec);
    if (!ec && consumed < line.size()) ec = json::error::extra_data;  // as boost::json::parse
    if (ec) {
      return Error(ErrorCode::kInvalidArgument, "invalid_json",
                   "malformed JSON on line " + std::to_string(line_number) + ": " + ec.message());
    }
  }
  if (parser.handler().count() == 0) return InvalidArgument("the batch has no events");
  return batch;
}

}  // namespace

Result<ParsedUsageBatch> ParseUsageEventsStreamed(std::string_view body, UsageBodyFormat format, size_t max_batch) {
  return format == UsageBodyFormat::kNdjson ? ParseNdjson(body, max_batch) : ParseJsonBatch(body, max_batch);
}

}  // namespace meterline::api
