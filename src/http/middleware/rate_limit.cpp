#include "http/middleware/rate_limit.hpp"

#include "http/error_mapping.hpp"
#include "http/router.hpp"

namespace meterline::http {

RateLimitMiddleware::RateLimitMiddleware(ratelimit::RateLimiter& limiter,
                                         std::map<std::string, ratelimit::Limit> limits,
                                         observability::Registry& metrics)
    : limiter_(limiter),
      limits_(std::move(limits)),
      limited_(metrics.AddCounter("meterline_ratelimit_rejected_total", "Requests refused with 429.", {"group"})) {}

Response RateLimitMiddleware::Handle(Request& request, const Next& next) {
  if (request.route == nullptr || request.route->rate_group.empty()) return next(request);
  std::string group = request.route->rate_group;
  // A person in the console (a cookie session) clicks through pages that each
  // make several requests: billing and admin calls from a session spend the
  // session budget instead of the programmatic one.
  if (request.principal && request.principal->via_cookie && (group == "billing" || group == "admin") &&
      limits_.count(kConsoleGroup)) {
    group = kConsoleGroup;
  }
  auto it = limits_.find(group);
  if (it == limits_.end()) return next(request);
  const ratelimit::Limit& limit = it->second;
  std::string caller = request.principal ? request.principal->id : "ip:" + request.remote_address;
  ratelimit::Decision d = limiter_.Hit(group + ":" + caller, limit);

  auto add_headers = [&](Response& r) {
    r.headers.Set("RateLimit-Limit", std::to_string(d.limit));
    r.headers.Set("RateLimit-Remaining", std::to_string(d.remaining));
    r.headers.Set("RateLimit-Reset", std::to_string(d.reset_seconds));
    r.headers.Set("RateLimit-Policy", std::to_string(limit.requests) + ";w=" + std::to_string(limit.window.count()));
  };
  if (!d.allowed) {
    limited_.WithLabels({group}).Inc();
    Response response = ErrorResponse(Error(ErrorCode::kRateLimited, "rate_limited",
                                            "rate limit of " + ratelimit::FormatLimit(limit) + " exceeded; retry in " +
                                                std::to_string(d.reset_seconds) + " s"),
                                      request.request_id);
    response.headers.Set("Retry-After", std::to_string(d.reset_seconds));
    add_headers(response);
    return response;
  }
  Response response = next(request);
  add_headers(response);
  return response;
}

}  // namespace meterline::http
