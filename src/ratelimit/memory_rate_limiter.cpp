#include <algorithm>
#include <charconv>
#include <mutex>
#include <unordered_map>

#include "ratelimit/rate_limiter.hpp"

namespace meterline::ratelimit {

Result<Limit> ParseLimit(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 2 > text.size()) {
    return InvalidArgument("rate limit must look like 100/15m, got '" + std::string(text) + "'");
  }
  Limit limit;
  auto [p1, e1] = std::from_chars(text.data(), text.data() + slash, limit.requests);
  std::string_view window = text.substr(slash + 1);
  char unit = window.back();
  int64_t amount = 0;
  auto [p2, e2] = std::from_chars(window.data(), window.data() + window.size() - 1, amount);
  int64_t unit_seconds = unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600 : 0;
  if (e1 != std::errc() || p1 != text.data() + slash || e2 != std::errc() || p2 != window.data() + window.size() - 1 ||
      unit_seconds == 0 || limit.requests < 1 || limit.requests > 1'000'000'000 || amount < 1 ||
      amount > int64_t{24} * 3600) {
    return InvalidArgument("rate limit must look like 100/15m (units s, m, h), got '" + std::string(text) + "'");
  }
  limit.window = std::chrono::seconds(amount * unit_seconds);
  // The Redis script compares requests x window (ms) as Lua doubles: exact
  // only below 2^52 (1,000,000 requests an hour is 3.6 x 10^12).
  if (static_cast<__int128>(limit.requests) * limit.window.count() * 1000 > (int64_t{1} << 52)) {
    return InvalidArgument("rate limit " + std::string(text) +
                           " is too large (requests x window in ms must stay below 2^52)");
  }
  return limit;
}

std::string FormatLimit(const Limit& limit) {
  int64_t s = limit.window.count();
  std::string window = s % 3600 == 0 ? std::to_string(s / 3600) + "h"
                       : s % 60 == 0 ? std::to_string(s / 60) + "m"
                                     : std::to_string(s) + "s";
  return std::to_string(limit.requests) + "/" + window;
}

Decision SlidingWindowDecision(int64_t previous, int64_t current, const Limit& limit, int64_t now_ms) {
  // In request-milliseconds (counts x window): the previous window weighs
  // (window - elapsed) / window.
  const __int128 w = static_cast<__int128>(limit.window.count()) * 1000;
  const __int128 elapsed = now_ms % static_cast<int64_t>(w);
  const __int128 budget = static_cast<__int128>(limit.requests) * w;
  auto used = [&](__int128 prev, __int128 cur, __int128 at) { return prev * (w - at) + cur * w; };
  Decision d;
  d.limit = limit.requests;
  d.allowed = used(previous, current + 1, elapsed) <= budget;
  const int64_t counted = current + (d.allowed ? 1 : 0);
  __int128 left = budget - used(previous, counted, elapsed);
  d.remaining = left <= 0 ? 0 : static_cast<int64_t>(left / w);
  __int128 wait_ms;
  if (d.allowed) {
    wait_ms = w - elapsed;  // the current window ends
  } else if (counted + 1 <= limit.requests) {
    // Later in this window, once the previous window weighs little enough:
    // previous x (w - elapsed - t) <= (requests - counted - 1) x w.
    __int128 room = static_cast<__int128>(limit.requests - counted - 1) * w;
    wait_ms = (w - elapsed) - room / (previous == 0 ? 1 : previous);
  } else {
    // Only in the next window, where this one becomes the previous one:
    // counted x (w - t') + w <= requests x w, t' into that window.
    __int128 room = static_cast<__int128>(limit.requests - 1) * w;
    wait_ms = (w - elapsed) + (counted == 0 ? 0 : w - room / counted);
  }
  if (wait_ms < 0) wait_ms = 0;
  d.reset_seconds = std::max<int64_t>(1, static_cast<int64_t>((wait_ms + 999) / 1000));
  return d;
}

namespace {

class MemoryRateLimiter final : public RateLimiter {
 public:
  explicit MemoryRateLimiter(const Clock& clock) : clock_(clock) {}

  Decision Hit(std::string_view key, const Limit& limit) override {
    // The clock is read under the lock: a request stamped before another one
    // moved the counter into the next window would move it back.
    std::lock_guard lock(mutex_);
    int64_t now_ms = ToUnixMillis(clock_.Now());
    int64_t window_ms = limit.window.count() * 1000;
    int64_t window_index = now_ms / window_ms;
    if (++hits_since_sweep_ >= 10000) Sweep(now_ms);
    Counter& counter = counters_[std::string(key)];
    if (counter.window_index != window_index) {
      // The window before this one is the previous window only if it was the last one counted.
      int64_t previous = counter.window_index == window_index - 1 ? counter.current : 0;
      counter = Counter{window_index, previous, 0, (window_index + 2) * window_ms};
    }
    Decision d = SlidingWindowDecision(counter.previous, counter.current, limit, now_ms);
    if (d.allowed) ++counter.current;
    return d;
  }

 private:
  struct Counter {
    int64_t window_index = -1;
    int64_t previous = 0;  // count of window_index - 1
    int64_t current = 0;
    int64_t forget_after_ms = 0;  // when neither count weighs any more
  };

  // Drops counters that no longer weigh, so the map does not grow without bound.
  void Sweep(int64_t now_ms) {
    hits_since_sweep_ = 0;
    std::erase_if(counters_, [now_ms](const auto& entry) { return entry.second.forget_after_ms <= now_ms; });
  }

  const Clock& clock_;
  std::mutex mutex_;
  std::unordered_map<std::string, Counter> counters_;
  int hits_since_sweep_ = 0;
};

}  // namespace

std::unique_ptr<RateLimiter> NewMemoryRateLimiter(const Clock& clock) {
  return std::make_unique<MemoryRateLimiter>(clock);
}

}  // namespace meterline::ratelimit
