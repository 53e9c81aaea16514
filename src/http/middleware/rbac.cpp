#include "http/middleware/rbac.hpp"

#include <algorithm>

#include "core/log.hpp"
#include "http/error_mapping.hpp"
#include "http/router.hpp"

namespace meterline::http {

Response RbacMiddleware::Handle(Request& request, const Next& next) {
  if (request.route == nullptr || request.route->roles.empty()) return next(request);
  if (!request.principal) {
    Error error = request.auth_error.value_or(
        Error(ErrorCode::kUnauthenticated, "unauthenticated", "sign in or send an Authorization header"));
    if (error.code == ErrorCode::kUnavailable || error.code == ErrorCode::kInternal) {
      // The answer hides the details (error_mapping): the log keeps them.
      log::Warn("authentication could not be checked",
                {{"request_id", request.request_id}, {"route", request.route->pattern}, {"error", error.message}});
    }
    Response response = ErrorResponse(error, request.request_id);
    response.headers.Set("WWW-Authenticate", "Bearer");
    return response;
  }
  const auto& roles = request.route->roles;
  if (std::find(roles.begin(), roles.end(), request.principal->role) == roles.end()) {
    return ErrorResponse(Error(ErrorCode::kPermissionDenied, "forbidden",
                               std::string("this route is not available to role ") + RoleName(request.principal->role)),
                         request.request_id);
  }
  return next(request);
}

}  // namespace meterline::http
