#include "http/middleware/csrf.hpp"

#include "http/error_mapping.hpp"
#include "http/middleware/authenticate.hpp"

namespace meterline::http {

Response CsrfMiddleware::Handle(Request& request, const Next& next) {
  bool mutating = request.method == Method::kPost || request.method == Method::kPut ||
                  request.method == Method::kPatch || request.method == Method::kDelete;
  if (!mutating || !request.principal || !request.principal->via_cookie) return next(request);
  std::optional<std::string> cookie = request.Cookie(kCsrfCookie);
  std::string_view header = request.headers.Get("X-CSRF-Token");
  if (!cookie || !verify_(request.principal->session_id, *cookie, header)) {
    return ErrorResponse(Error(ErrorCode::kPermissionDenied, "csrf_failed",
                               "missing or invalid X-CSRF-Token header for a cookie-authenticated request"),
                         request.request_id);
  }
  return next(request);
}

}  // namespace meterline::http
