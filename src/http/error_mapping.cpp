#include "http/error_mapping.hpp"

#include "core/log.hpp"

namespace meterline::http {

int HttpStatus(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return 400;
    case ErrorCode::kUnauthenticated: return 401;
    case ErrorCode::kPermissionDenied: return 403;
    case ErrorCode::kNotFound: return 404;
    case ErrorCode::kMethodNotAllowed: return 405;
    case ErrorCode::kConflict: return 409;
    case ErrorCode::kPayloadTooLarge: return 413;
    case ErrorCode::kHeadersTooLarge: return 431;
    case ErrorCode::kUnsupportedMediaType: return 415;
    case ErrorCode::kUnprocessable: return 422;
    case ErrorCode::kRateLimited: return 429;
    case ErrorCode::kInternal: return 500;
    case ErrorCode::kUnavailable: return 503;
  }
  return 500;
}

Response ErrorResponse(const Error& error, const std::string& request_id) {
  // A bug's or a dependency's message names internals (hosts, paths, driver
  // text): the log has it (Pipeline), the client gets the request id to quote.
  std::string message = error.message;
  if (error.code == ErrorCode::kInternal) {
    message = "internal error; quote request id " + request_id + " when reporting it";
  } else if (error.code == ErrorCode::kUnavailable && error.reason != "not_configured") {
    message = "a service billingd depends on is unavailable; retry later (request id " + request_id + ")";
  }
  std::string body = "{\"error\":{\"code\":";
  log::AppendJsonString(body, error.Reason());
  body += ",\"message\":";
  log::AppendJsonString(body, message);
  if (!error.param.empty()) {
    body += ",\"param\":";
    log::AppendJsonString(body, error.param);
  }
  body += ",\"request_id\":";
  log::AppendJsonString(body, request_id);
  body += "}}";
  Response response = Response::Json(HttpStatus(error.code), std::move(body));
  response.headers.Set("Cache-Control", "no-store");
  if (error.retry_after_seconds > 0) response.headers.Set("Retry-After", std::to_string(error.retry_after_seconds));
  return response;
}

}  // namespace meterline::http
