// The usage ingestion bodies that are not CloudEvents (our {"events": [...]} batch
// and application/x-ndjson), read straight into a ParsedUsageBatch by Boost.JSON's
// SAX parser (basic_parser). No DOM: the DOM path parsed each body twice (the
// pipeline's check, then the handler) and allocated a value per member and element
// before reading a single event. Here the bytes become events in one pass, with
// no allocation per event: an event's strings are views of the body where it
// holds them as they are, else copies in the batch's arena (escaped strings, and
// `properties`, rare, built as a small DOM in a reused arena so that its text is
// exactly json::serialize's); buffers for keys and parts are reused.
//
// The outcome is the DOM path's for every input, errors included (the unit test
// tests/unit/api/usage_event_stream_test.cpp and the fuzz target
// tests/fuzz/usage_events.cpp compare the two).
#pragma once

#include <cstddef>
#include <string_view>

#include "api/usage_events.hpp"
#include "core/result.hpp"

namespace meterline::api {

enum class UsageBodyFormat {
  // {"events": [...]}, what application/json (and any non-CloudEvents type) carries.
  kJsonBatch,
  // application/x-ndjson: one event per line; blank lines and CRLF allowed.
  kNdjson,
};

// Returns what the DOM path returns for the same body:
// - kJsonBatch: http::CheckJsonBody (without its Content-Type check, which the
//   pipeline still makes) followed by ParseUsageEvents("application/json", ...):
//   400 invalid_json for an empty or malformed body (naming line and column),
//   400 for another shape or no events, 413 batch_too_large past `max_batch`;
// - kNdjson: ParseNdjsonEvents followed by ParseUsageEvents: 400 naming the line
//   of a malformed one, 413 past `max_batch` events, 400 for no events.
// Otherwise every position of the batch is in exactly one of events and rejected.
// Thread-safe (no shared state). The batch's events view `body`: it must outlive them.
Result<ParsedUsageBatch> ParseUsageEventsStreamed(std::string_view body, UsageBodyFormat format, size_t max_batch);

}  // namespace meterline::api
