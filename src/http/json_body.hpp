// The checks of a JSON request body, in one place: the pipeline runs them before
// the handler of a json_body route, and a handler that parses its body as a stream
// (api/usage_event_stream) answers malformed JSON with the very same error.
#pragma once

#include <optional>
#include <string_view>

#include "core/result.hpp"

namespace meterline::http {

// True for application/json and any "+json" media type, parameters ignored.
bool IsJsonContentType(std::string_view content_type);
// True for application/cloudevents+json and application/cloudevents-batch+json.
bool IsCloudEventsContentType(std::string_view content_type);

// The checks that need no parse: 400 invalid_json for an empty body, 415
// unsupported_media_type when `content_type` is not JSON; nullopt otherwise.
std::optional<Error> CheckJsonMediaType(std::string_view body, std::string_view content_type);

// CheckJsonMediaType, then boost::json::parse: nullopt when `body` is one JSON
// value, else MalformedJsonError(body).
std::optional<Error> CheckJsonBody(std::string_view body, std::string_view content_type);

// 400 invalid_json "malformed JSON at line L column C: <why>" for a body that
// boost::json::parse (default options) refuses.
// REQUIRES: boost::json::parse(body) fails.
Error MalformedJsonError(std::string_view body);

}  // namespace meterline::http
