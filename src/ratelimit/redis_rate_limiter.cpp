#include <hiredis/hiredis.h>

#include <atomic>
#include <charconv>
#include <mutex>
#include <vector>

#include "core/log.hpp"
#include "ratelimit/rate_limiter.hpp"

namespace meterline::ratelimit {

namespace {

// The sliding-window test of SlidingWindowDecision and the count in one
// atomic step. KEYS: the current and the previous window's counter. ARGV: the
// previous window's weight (window - elapsed, ms), the window (ms), the budget
// (requests x window) and the counter's time to live (two windows: it is the
// previous window's counter next). The first hit of a window sets the expiry,
// so no counter outlives its use. Returns {allowed, previous, current before}.
// Lua numbers are doubles: exact for these products, which ParseLimit keeps
// below 2^52. The caller key is a hash tag ({…}), so both counters live in one
// Redis Cluster slot.
constexpr const char* kScript =
    "local c = tonumber(redis.call('GET', KEYS[1]) or '0') "
    "local p = tonumber(redis.call('GET', KEYS[2]) or '0') "
    "if p * tonumber(ARGV[1]) + (c + 1) * tonumber(ARGV[2]) <= tonumber(ARGV[3]) then "
    "  redis.call('INCR', KEYS[1]) "
    "  if c == 0 then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end "
    "  return {1, p, c} "
    "end "
    "return {0, p, c}";

struct RedisEndpoint {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string password;
  int db = 0;
};

Result<RedisEndpoint> ParseRedisUrl(std::string_view url) {
  RedisEndpoint ep;
  std::string_view rest;
  if (url.rfind("redis://", 0) == 0) {
    rest = url.substr(8);
  } else {
    return InvalidArgument("REDIS_URL must start with redis:// (TLS is not supported yet)");
  }
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    auto colon = userinfo.find(':');
    ep.password = std::string(colon == std::string_view::npos ? userinfo : userinfo.substr(colon + 1));
    rest = rest.substr(at + 1);
  }
  std::string_view hostport = rest.substr(0, rest.find('/'));
  if (auto slash = rest.find('/'); slash != std::string_view::npos && slash + 1 < rest.size()) {
    std::string_view db = rest.substr(slash + 1);
    auto [p, ec] = std::from_chars(db.data(), db.data() + db.size(), ep.db);
    if (ec != std::errc() || p != db.data() + db.size()) return InvalidArgument("REDIS_URL has a bad database number");
  }
  if (auto colon = hostport.rfind(':'); colon != std::string_view::npos) {
    std::string_view port = hostport.substr(colon + 1);
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), ep.port);
    if (ec != std::errc() || p != port.data() + port.size()) return InvalidArgument("REDIS_URL has a bad port");
    hostport = hostport.substr(0, colon);
  }
  if (!hostport.empty()) ep.host = std::string(hostport);
  return ep;
}

class RedisRateLimiter final : public RateLimiter {
 public:
  RedisRateLimiter(RedisEndpoint endpoint, RedisOptions options, const Clock& clock, std::function<void()> on_error)
      : endpoint_(std::move(endpoint)), options_(std::move(options)), clock_(clock), on_error_(std::move(on_error)) {}

  ~RedisRateLimiter() override {
    for (redisContext* c : idle_) redisFree(c);
  }

  Decision Hit(std::string_view key, const Limit& limit) override {
    int64_t now_ms = ToUnixMillis(clock_.Now());
    int64_t window_ms = limit.window.count() * 1000;
    int64_t window_index = now_ms / window_ms;
    Decision d;
    d.limit = limit.requests;
    d.reset_seconds = std::max<int64_t>(1, ((window_index + 1) * window_ms - now_ms + 999) / 1000);

    std::string base = options_.key_prefix + "{" + std::string(key) + "}:";
    std::string current_key = base + std::to_string(window_index);
    std::string previous_key = base + std::to_string(window_index - 1);
    std::string weight = std::to_string(window_ms - now_ms % window_ms);
    std::string window = std::to_string(window_ms);
    std::string budget = std::to_string(limit.requests * window_ms);
    std::string ttl = std::to_string(2 * window_ms + 1000);
    redisContext* ctx = Acquire();
    if (ctx == nullptr) return FailOpen(d, "cannot connect to Redis");
    auto* reply = static_cast<redisReply*>(redisCommand(ctx, "EVAL %s 2 %b %b %s %s %s %s", kScript, current_key.data(),
                                                        current_key.size(), previous_key.data(), previous_key.size(),
                                                        weight.c_str(), window.c_str(), budget.c_str(), ttl.c_str()));
    bool well_formed = reply != nullptr && reply->type == REDIS_REPLY_ARRAY && reply->elements == 3;
    for (size_t i = 0; well_formed && i < 3; ++i) well_formed = reply->element[i]->type == REDIS_REPLY_INTEGER;
    if (!well_formed) {
      std::string why = reply == nullptr                   ? std::string(ctx->errstr)
                        : reply->type == REDIS_REPLY_ERROR ? std::string(reply->str, reply->len)
                                                           : "unexpected reply";
      if (reply) freeReplyObject(reply);
      redisFree(ctx);  // the connection may be broken: do not reuse it
      return FailOpen(d, why);
    }
    bool allowed = reply->element[0]->integer == 1;
    int64_t previous = reply->element[1]->integer;
    int64_t current = reply->element[2]->integer;
    freeReplyObject(reply);
    Release(ctx);
    d = SlidingWindowDecision(previous, current, limit, now_ms);
    d.allowed = allowed;  // Redis decided, atomically; the figures around it are the same arithmetic
    return d;
  }

 private:
  Decision FailOpen(Decision d, const std::string& why) {
    d.allowed = true;
    d.degraded = true;
    d.remaining = d.limit;
    if (on_error_) on_error_();
    int64_t now = ToUnixMillis(clock_.Now());
    int64_t last = last_warning_ms_.load();
    if (now - last >= 10'000 && last_warning_ms_.compare_exchange_strong(last, now)) {
      log::Warn("rate limiter: Redis unavailable, allowing requests (fail open)", {{"error", why}});
    }
    return d;
  }

  redisContext* Acquire() {
    {
      std::lock_guard lock(mutex_);
      if (!idle_.empty()) {
        redisContext* c = idle_.back();
        idle_.pop_back();
        return c;
      }
    }
    timeval tv{static_cast<time_t>(options_.timeout.count() / 1000),
               static_cast<suseconds_t>((options_.timeout.count() % 1000) * 1000)};
    redisContext* c = redisConnectWithTimeout(endpoint_.host.c_str(), endpoint_.port, tv);
    if (c == nullptr || c->err) {
      if (c) redisFree(c);
      return nullptr;
    }
    redisSetTimeout(c, tv);
    if (!endpoint_.password.empty() && !Simple(c, "AUTH %s", endpoint_.password.c_str())) return nullptr;
    if (endpoint_.db != 0 && !Simple(c, "SELECT %d", endpoint_.db)) return nullptr;
    return c;
  }

  // Runs a command expecting OK; frees the context on failure.
  static bool Simple(redisContext* c, const char* fmt, auto arg) {
    auto* reply = static_cast<redisReply*>(redisCommand(c, fmt, arg));
    bool ok = reply != nullptr && reply->type != REDIS_REPLY_ERROR;
    if (reply) freeReplyObject(reply);
    if (!ok) redisFree(c);
    return ok;
  }

  void Release(redisContext* c) {
    std::lock_guard lock(mutex_);
    if (static_cast<int>(idle_.size()) < options_.pool_size) {
      idle_.push_back(c);
    } else {
      redisFree(c);
    }
  }

  RedisEndpoint endpoint_;
  RedisOptions options_;
  const Clock& clock_;
  std::function<void()> on_error_;
  std::mutex mutex_;
  std::vector<redisContext*> idle_;
  std::atomic<int64_t> last_warning_ms_{0};
};

}  // namespace

Status PingRedis(const std::string& url, std::chrono::milliseconds timeout) {
  MTL_ASSIGN_OR_RETURN(auto endpoint, ParseRedisUrl(url));
  timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  redisContext* c = redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port, tv);
  if (c == nullptr || c->err) {
    std::string why = c ? c->errstr : "out of memory";
    if (c) redisFree(c);
    return Unavailable("cannot connect to " + endpoint.host + ":" + std::to_string(endpoint.port) + ": " + why);
  }
  redisSetTimeout(c, tv);
  auto ask = [c](const std::string& what, auto... args) -> Status {
    auto* reply = static_cast<redisReply*>(redisCommand(c, args...));
    std::string error = reply == nullptr                   ? (c->err ? c->errstr : "no answer")
                        : reply->type == REDIS_REPLY_ERROR ? std::string(reply->str, reply->len)
                                                           : "";
    if (reply) freeReplyObject(reply);
    if (!error.empty()) return Unavailable(what + " failed: " + error);
    return OkStatus();
  };
  Status ok = OkStatus();
  if (!endpoint.password.empty()) ok = ask("AUTH", "AUTH %s", endpoint.password.c_str());
  if (ok.ok() && endpoint.db != 0) ok = ask("SELECT", "SELECT %d", endpoint.db);
  if (ok.ok()) ok = ask("PING", "PING");
  redisFree(c);
  return ok;
}

Result<std::unique_ptr<RateLimiter>> NewRedisRateLimiter(const RedisOptions& options, const Clock& clock,
                                                         std::function<void()> on_backend_error) {
  MTL_ASSIGN_OR_RETURN(auto endpoint, ParseRedisUrl(options.url));
  return std::unique_ptr<RateLimiter>(
      new RedisRateLimiter(std::move(endpoint), options, clock, std::move(on_backend_error)));
}

}  // namespace meterline::ratelimit
