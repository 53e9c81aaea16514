// RateLimiter: sliding-window request counting per key ("usr_…", "key_…", "ip:…").
// Requests are counted in windows aligned to the clock (window index = now /
// window), so several billingd instances sharing Redis agree on them, and a
// request is allowed while the previous window's count, weighted by how much
// of it still lies within the last `window`, plus the current window's count
// stays within the limit. Unlike fixed windows this allows no burst of twice
// the limit around a window boundary. Refused requests are not counted, so a
// caller that keeps retrying is let in again as soon as the budget allows.
//
// Two backends: in process (default) and Redis (REDIS_URL), where the counters
// are shared by every instance. A limiter never fails a request: when Redis is
// unreachable it allows the request (fail open), logs a warning at most every
// 10 s, and counts the failure in meterline_ratelimit_backend_errors_total.
// Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/result.hpp"

namespace meterline::ratelimit {

struct Limit {
  int64_t requests = 100;
  std::chrono::seconds window{15 * 60};
};

// Parses "100/15m", "10000/1m", "5/30s", "1000/1h" (at most 10^9 requests,
// 24 h, and requests x window in ms below 2^52).
Result<Limit> ParseLimit(std::string_view text);
std::string FormatLimit(const Limit& limit);

struct Decision {
  bool allowed = true;
  int64_t limit = 0;
  int64_t remaining = 0;      // requests that would be allowed right after this one
  int64_t reset_seconds = 0;  // allowed: until the current window ends; refused: until one more is allowed
  bool degraded = false;      // the backend failed and the request was let through
};

// The sliding-window decision for one request at `now_ms`, given the counts
// of the previous and the current window before it (exact integer math; the
// Redis backend runs the same test in Lua). The caller counts the request in
// the current window when it is allowed.
Decision SlidingWindowDecision(int64_t previous, int64_t current, const Limit& limit, int64_t now_ms);

class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  // Counts one request for `key` under `limit` and decides.
  virtual Decision Hit(std::string_view key, const Limit& limit) = 0;
};

std::unique_ptr<RateLimiter> NewMemoryRateLimiter(const Clock& clock);

struct RedisOptions {
  std::string url;  // redis://[:password@]host[:port][/db]
  std::chrono::milliseconds timeout{200};
  std::string key_prefix = "meterline:rl:";
  int pool_size = 8;
};

// Fails (kInvalidArgument) only for a malformed URL; an unreachable server is
// tolerated (fail open) and retried on later requests. `on_backend_error` is
// called for each failed Redis call (for the metric).
Result<std::unique_ptr<RateLimiter>> NewRedisRateLimiter(const RedisOptions& options, const Clock& clock,
                                                         std::function<void()> on_backend_error);

// Connects to the Redis at `url` (authenticating and selecting its db) and
// sends PING: OK, or kUnavailable saying what failed ('billingd doctor').
Status PingRedis(const std::string& url, std::chrono::milliseconds timeout);

}  // namespace meterline::ratelimit
