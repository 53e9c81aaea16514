// Login, logout and "who am I".
#include <boost/json/value.hpp>

#include <vector>

#include "api/handlers.hpp"
#include "api/input.hpp"
#include "auth/identity_service.hpp"
#include "core/log.hpp"
#include "http/error_mapping.hpp"
#include "http/middleware/authenticate.hpp"

namespace meterline::api {

namespace {

std::string Cookie(const char* name, const std::string& value, int64_t max_age, bool http_only, bool secure) {
  std::string c = std::string(name) + "=" + value + "; Path=/; Max-Age=" + std::to_string(max_age) + "; SameSite=Lax";
  if (http_only) c += "; HttpOnly";
  if (secure) c += "; Secure";
  return c;
}

}  // namespace

http::Handler Login(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    MTL_ASSIGN_OR_RETURN(auto body, BodyObject(request));
    MTL_RETURN_IF_ERROR(RejectUnknownFields(body, {"email", "password"}));
    MTL_ASSIGN_OR_RETURN(auto email, RequiredString(body, "email", 254));
    MTL_ASSIGN_OR_RETURN(auto password, RequiredString(body, "password", 1024));

    auto session = context.identity.Login(email, password, OriginOf(request));
    if (!session.ok()) {
      if (session.error().code == ErrorCode::kRateLimited) {
        http::Response locked = http::ErrorResponse(session.error(), request.request_id);
        int64_t retry = context.identity.LoginRetryAfter(email, OriginOf(request));
        locked.headers.Set("Retry-After", std::to_string(std::max<int64_t>(retry, 1)));
        return locked;
      }
      return std::move(session).error();
    }
    int64_t max_age =
        std::chrono::duration_cast<std::chrono::seconds>(session->expires_at - context.clock.Now()).count();
    boost::json::object out;
    out["user"] = UserJson(session->user);
    out["csrf_token"] = session->csrf_token;
    out["expires_at"] = FormatIso8601(session->expires_at);
    http::Response response = JsonResponse(200, out);
    response.headers.Add("Set-Cookie",
                         Cookie(http::kSessionCookie, session->token, max_age, true, context.secure_cookies));
    response.headers.Add("Set-Cookie",
                         Cookie(http::kCsrfCookie, session->csrf_token, max_age, false, context.secure_cookies));
    response.headers.Set("Cache-Control", "no-store");
    return response;
  };
}

http::Handler Logout(ApiContext& context) {
  // Public, so that a stale or revoked session still gets its cookies
  // cleared. A live session, from the cookie and from a bearer token alike,
  // is authenticated here and revoked: its token stays signed until it
  // expires, so its jti is listed as revoked. A cookie session needs its CSRF
  // token, and the cookies are cleared only when the request carried them:
  // a cross-site form post arrives without them (SameSite=Lax), so another
  // site can neither revoke a session nor clear its cookies.
  return [&context](http::Request& request) -> Result<http::Response> {
    std::optional<std::string> session_cookie = request.Cookie(http::kSessionCookie);
    std::optional<std::string> csrf_cookie = request.Cookie(http::kCsrfCookie);
    std::string_view authorization = request.headers.Get("Authorization");
    std::string_view bearer;
    if (authorization.size() > 7 && http::EqualsIgnoreCase(authorization.substr(0, 7), "Bearer ")) {
      bearer = authorization.substr(7);
    }

    std::optional<Error> failed;
    std::vector<Principal> live;
    auto consider = [&](Result<std::optional<Principal>> principal) {
      if (principal.ok()) {
        if (principal->has_value()) live.push_back(std::move(**principal));
      } else if (principal.error().code != ErrorCode::kUnauthenticated && !failed) {
        failed = std::move(principal).error();  // e.g. the database is down: cannot tell, cannot revoke
      }
    };
    if (!bearer.empty()) consider(context.identity.Authenticate(bearer, {}));
    if (session_cookie) consider(context.identity.Authenticate({}, *session_cookie));
    for (const Principal& p : live) {
      if (p.via_cookie && (!csrf_cookie || !context.identity.csrf().Verify(p.session_id, *csrf_cookie,
                                                                           request.headers.Get("X-CSRF-Token")))) {
        return Error(ErrorCode::kPermissionDenied, "csrf_failed",
                     "missing or invalid X-CSRF-Token header for a cookie-authenticated request");
      }
    }
    for (const Principal& p : live) {
      Status revoked = context.identity.SignOut(p, OriginOf(request));
      if (!revoked.ok() && !failed) failed = std::move(revoked).error();
    }
    if (failed) {
      log::Warn("logout could not revoke the session",
                {{"request_id", request.request_id}, {"error", failed->message}});
    }
    http::Response response =
        failed ? http::ErrorResponse(*failed, request.request_id) : http::Response::NoContent(204);
    if (session_cookie || csrf_cookie) {
      response.headers.Add("Set-Cookie", Cookie(http::kSessionCookie, "", 0, true, context.secure_cookies));
      response.headers.Add("Set-Cookie", Cookie(http::kCsrfCookie, "", 0, false, context.secure_cookies));
    }
    return response;
  };
}

http::Handler Me(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    const Principal& principal = *request.principal;
    if (principal.kind != Principal::Kind::kUser) {
      return Error(ErrorCode::kPermissionDenied, "forbidden", "API keys have no user");
    }
    auto user = context.identity.GetUser(principal.id);
    if (!user.ok()) {
      if (user.error().code == ErrorCode::kNotFound) {
        return Error(ErrorCode::kUnauthenticated, "invalid_token", "the session's user no longer exists");
      }
      return std::move(user).error();
    }
    boost::json::object out;
    out["user"] = UserJson(*user);
    if (principal.via_cookie) out["csrf_token"] = context.identity.csrf().TokenFor(principal.session_id);
    http::Response response = JsonResponse(200, out);
    response.headers.Set("Cache-Control", "no-store");
    return response;
  };
}

}  // namespace meterline::api
