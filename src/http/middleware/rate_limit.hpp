// RateLimit: counts requests per caller (principal id, else client address) per
// route group, and answers 429 with Retry-After once a window's budget is
// spent. Every limited response carries RateLimit-Limit/-Remaining/-Reset and
// RateLimit-Policy (IETF draft-ietf-httpapi-ratelimit-headers).
// Requests from console sessions (cookie credentials) to the billing and admin
// groups are counted in the "console" group instead, per user: API keys and
// bearer tokens keep the programmatic budget.
// Runs after authentication (to know the caller) and before everything that
// costs: feature checks, handlers.
#pragma once

#include <map>
#include <string>

#include "http/middleware/middleware.hpp"
#include "observability/metrics.hpp"
#include "ratelimit/rate_limiter.hpp"

namespace meterline::http {

inline constexpr const char* kConsoleGroup = "console";

class RateLimitMiddleware final : public Middleware {
 public:
  // `limits` maps a route's rate_group to its limit; groups not listed are not limited.
  RateLimitMiddleware(ratelimit::RateLimiter& limiter, std::map<std::string, ratelimit::Limit> limits,
                      observability::Registry& metrics);
  Response Handle(Request& request, const Next& next) override;

 private:
  ratelimit::RateLimiter& limiter_;
  std::map<std::string, ratelimit::Limit> limits_;
  observability::Family<observability::Counter>& limited_;
};

}  // namespace meterline::http
