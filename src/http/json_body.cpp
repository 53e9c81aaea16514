#include "http/json_body.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/stream_parser.hpp>

#include <string>

#include "http/headers.hpp"

namespace meterline::http {

bool IsJsonContentType(std::string_view content_type) {
  std::string_view base = MediaType(content_type);
  return EqualsIgnoreCase(base, "application/json") ||
         (base.size() > 5 && EqualsIgnoreCase(base.substr(base.size() - 5), "+json"));
}

bool IsCloudEventsContentType(std::string_view content_type) {
  std::string_view base = MediaType(content_type);
  return EqualsIgnoreCase(base, "application/cloudevents+json") ||
         EqualsIgnoreCase(base, "application/cloudevents-batch+json");
}

std::optional<Error> CheckJsonMediaType(std::string_view body, std::string_view content_type) {
  if (body.empty()) return Error(ErrorCode::kInvalidArgument, "invalid_json", "request body is empty; expected JSON");
  if (!IsJsonContentType(content_type)) {
    return Error(ErrorCode::kUnsupportedMediaType, "unsupported_media_type", "Content-Type must be application/json");
  }
  return std::nullopt;
}

std::optional<Error> CheckJsonBody(std::string_view body, std::string_view content_type) {
  if (auto error = CheckJsonMediaType(body, content_type)) return error;
  boost::system::error_code ec;
  boost::json::parse(body, ec);
  if (ec) return MalformedJsonError(body);
  return std::nullopt;
}

Error MalformedJsonError(std::string_view body) {
  // Find line and column of the failure by re-running a streaming parser.
  boost::system::error_code ec;
  boost::json::stream_parser parser;
  size_t consumed = parser.write_some(body.data(), body.size(), ec);
  if (!ec) parser.finish(ec);
  size_t line = 1, column = 1;
  for (size_t i = 0; i < consumed && i < body.size(); ++i) {
    if (body[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return Error(
      ErrorCode::kInvalidArgument, "invalid_json",
      "malformed JSON at line " + std::to_string(line) + " column " + std::to_string(column) + ": " + ec.message());
}

}  // namespace meterline::http
