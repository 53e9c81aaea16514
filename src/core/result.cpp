#include "core/result.hpp"

namespace meterline {

const char* DefaultReason(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return "invalid_request";
    case ErrorCode::kUnauthenticated: return "unauthenticated";
    case ErrorCode::kPermissionDenied: return "forbidden";
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kMethodNotAllowed: return "method_not_allowed";
    case ErrorCode::kConflict: return "conflict";
    case ErrorCode::kPayloadTooLarge: return "payload_too_large";
    case ErrorCode::kHeadersTooLarge: return "header_too_large";
    case ErrorCode::kUnsupportedMediaType: return "unsupported_media_type";
    case ErrorCode::kUnprocessable: return "unprocessable";
    case ErrorCode::kRateLimited: return "rate_limited";
    case ErrorCode::kInternal: return "internal_error";
    case ErrorCode::kUnavailable: return "unavailable";
  }
  return "internal_error";
}

}  // namespace meterline
