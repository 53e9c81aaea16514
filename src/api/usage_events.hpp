// The parse step of POST /api/v1/usage/events: a request body (our JSON batch, one
// CloudEvent or a CloudEvents batch) into usage events and per-event rejections.
// The handler reads CloudEvents with these (from a DOM); our batches and ndjson go
// through api/usage_event_stream.hpp, whose outcome is these functions', which the
// tests compare it against. Apart from the handler so the fuzz target
// (tests/fuzz/usage_events.cpp) runs the very code the handler does; it links only
// this small library.
#pragma once

#include <boost/json/value.hpp>

#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "core/text_arena.hpp"
#include "http/headers.hpp"
#include "metering/ingest.hpp"

namespace meterline::api {

// The events' strings are views: of the request body (strings the streaming
// parser found in it as they are) or of `text`. A batch is valid while the body
// it was parsed from is; it may move, not be copied.
struct ParsedUsageBatch {
  std::vector<std::pair<size_t, metering::UsageEventRef>> events;  // (position in the batch, event)
  std::vector<metering::Rejection> rejected;                       // malformed events, with the reason
  // Positions in `events` of those that name their customer by external id:
  // their customer_id holds the external id until the caller resolves it.
  std::vector<size_t> by_external_id;
  TextArena text;  // strings that are not in the body as they are: unescaped, serialized, resolved
};

// A CloudEvent sent in binary content mode (attributes in ce-* headers, the
// event's data as the body) as the structured event it stands for; nullopt
// when the request has no ce-specversion header.
std::optional<boost::json::value> BinaryCloudEvent(const http::Headers& headers, const boost::json::value& body);

// `content_type` is the request's Content-Type: application/cloudevents+json (one
// event), application/cloudevents-batch+json (an array), anything else our
// {"events": [...]}. Every position of the batch ends up in exactly one of the two
// lists. kInvalidArgument when the body has the wrong shape or no events;
// kPayloadTooLarge "batch_too_large" for more than `max_batch` events.
// An application/x-ndjson body: one event object per line (blank lines and
// CRLF allowed), as the {"events": [...]} value ParseUsageEvents takes. 400
// naming the line of a malformed one; 413 past `max_batch` events.
Result<boost::json::value> ParseNdjsonEvents(std::string_view body, size_t max_batch);

// The next line of an ndjson body that is not blank (without its CR of a
// CRLF), taken off the front of `body`; `line_number` counts every line, blank
// ones too, for errors. nullopt at the end. Both ndjson readers split this way.
std::optional<std::string_view> NextNdjsonLine(std::string_view& body, size_t& line_number);

Result<ParsedUsageBatch> ParseUsageEvents(std::string_view content_type, const boost::json::value& body,
                                          size_t max_batch);

}  // namespace meterline::api
