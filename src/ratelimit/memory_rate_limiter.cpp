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
  if (e1 != std::errc() || p1 != text.data() + slash || e2 != std::errc() ||
      p2 != window.data() + window.size() - 1 || unit_seconds == 0 || limit.requests < 1 || amount < 1 ||
      amount > 24 * 3600) {
    return InvalidArgument("rate limit must look like 100/15m (units s, m, h), got '" + std::string(text) + "'");
  }
  limit.window = std::chrono::seconds(amount * unit_seconds);
  return limit;
}

std::string FormatLimit(const Limit& limit) {
  int64_t s = limit.window.count();
  std::string window = s % 3600 == 0 ? std::to_string(s / 3600) + "h"
                       : s % 60 == 0 ? std::to_string(s / 60) + "m"
                                     : std::to_string(s) + "s";
  return std::to_string(limit.requests) + "/" + window;
}

namespace {

class MemoryRateLimiter final : public RateLimiter {
 public:
  explicit MemoryRateLimiter(const Clock& clock) : clock_(clock) {}

  Decision Hit(std::string_view key, const Limit& limit) override {
    int64_t now_ms = ToUnixMillis(clock_.Now());
    int64_t window_ms = limit.window.count() * 1000;
    int64_t window_index = now_ms / window_ms;
    std::lock_guard lock(mutex_);
    if (++hits_since_sweep_ >= 10000) Sweep(now_ms);
    Counter& counter = counters_[std::string(key)];
    if (counter.window_index != window_index) {
      counter = Counter{window_index, 0, (window_index + 1) * window_ms};
    }
    ++counter.count;
    Decision d;
    d.limit = limit.requests;
    d.allowed = counter.count <= limit.requests;
    d.remaining = std::max<int64_t>(0, limit.requests - counter.count);
    d.reset_seconds = std::max<int64_t>(1, (counter.window_end_ms - now_ms + 999) / 1000);
    return d;
  }

 private:
  struct Counter {
    int64_t window_index = -1;
    int64_t count = 0;
    int64_t window_end_ms = 0;
  };

  // Drops counters of windows that have ended, so the map does not grow without bound.
  void Sweep(int64_t now_ms) {
    hits_since_sweep_ = 0;
    std::erase_if(counters_, [now_ms](const auto& entry) { return entry.second.window_end_ms <= now_ms; });
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
