// The one place where an Error becomes an HTTP response:
//   {"error":{"code":"<reason>","message":"…","request_id":"…"}}
#pragma once

#include <string>

#include "core/result.hpp"
#include "http/response.hpp"

namespace meterline::http {

int HttpStatus(ErrorCode code);

// Builds the error response. For kInternal, and for kUnavailable (a dependency
// down: database, ClickHouse, Stripe) other than "not_configured", the message
// is replaced by a generic one; the reason code stays, and the details belong
// in the log line, under the same request id.
Response ErrorResponse(const Error& error, const std::string& request_id);

}  // namespace meterline::http
