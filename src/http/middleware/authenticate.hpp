// Authenticate: turns credentials into request.principal. It never answers the
// request itself: bad credentials are kept in request.auth_error and the RBAC
// step decides (401 only where the route needs a principal), so that the rate
// limiter in between can count the attempt by client address.
// Credentials: "Authorization: Bearer <JWT or API key>", else the session cookie.
#pragma once

#include <functional>
#include <optional>
#include <string_view>

#include "core/principal.hpp"
#include "core/result.hpp"
#include "http/middleware/middleware.hpp"

namespace meterline::http {

// (bearer, session cookie) -> principal; nullopt when no credentials were sent.
using AuthenticateFn =
    std::function<Result<std::optional<Principal>>(std::string_view bearer, std::string_view session_cookie)>;

inline constexpr const char* kSessionCookie = "mtl_session";
inline constexpr const char* kCsrfCookie = "mtl_csrf";

class AuthenticateMiddleware final : public Middleware {
 public:
  explicit AuthenticateMiddleware(AuthenticateFn authenticate) : authenticate_(std::move(authenticate)) {}
  Response Handle(Request& request, const Next& next) override;

 private:
  AuthenticateFn authenticate_;
};

}  // namespace meterline::http
