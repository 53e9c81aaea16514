#include "http/middleware/authenticate.hpp"

#include "http/router.hpp"

namespace meterline::http {

Response AuthenticateMiddleware::Handle(Request& request, const Next& next) {
  // Public routes skip the work (and the database lookup for API keys).
  if (request.route == nullptr || request.route->roles.empty()) return next(request);
  std::string_view authorization = request.headers.Get("Authorization");
  std::string_view bearer;
  if (authorization.size() > 7 && EqualsIgnoreCase(authorization.substr(0, 7), "Bearer ")) {
    bearer = authorization.substr(7);
  } else if (!authorization.empty()) {
    request.auth_error =
        Error(ErrorCode::kUnauthenticated, "unauthenticated", "Authorization must be 'Bearer <token>'");
    return next(request);
  }
  std::optional<std::string> cookie = request.Cookie(kSessionCookie);
  auto result = authenticate_(bearer, cookie ? std::string_view(*cookie) : std::string_view());
  if (!result.ok()) {
    request.auth_error = std::move(result).error();
  } else {
    request.principal = std::move(result).value();
  }
  return next(request);
}

}  // namespace meterline::http
