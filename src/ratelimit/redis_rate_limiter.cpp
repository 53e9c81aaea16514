#include <hiredis/hiredis.h>

#include <atomic>
#include <charconv>
#include <mutex>
#include <vector>

#include "core/log.hpp"
#include "ratelimit/rate_limiter.hpp"

namespace meterline::ratelimit {

namespace {

// INCR and PEXPIRE in one atomic step: the first hit of a window sets its
// expiry, so a crash between the two commands cannot leave an immortal key.
constexpr const char* kScript =
    "local c = redis.call('INCR', KEYS[1]) "
    "if c == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end "
    "return c";

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

    std::string redis_key = options_.key_prefix + std::string(key) + ":" + std::to_string(window_index);
    std::string ttl = std::to_string(window_ms + 1000);
    redisContext* ctx = Acquire();
    if (ctx == nullptr) return FailOpen(d, "cannot connect to Redis");
    auto* reply = static_cast<redisReply*>(
        redisCommand(ctx, "EVAL %s 1 %b %s", kScript, redis_key.data(), redis_key.size(), ttl.c_str()));
    if (reply == nullptr || reply->type != REDIS_REPLY_INTEGER) {
      std::string why = reply == nullptr ? std::string(ctx->errstr)
                        : reply->type == REDIS_REPLY_ERROR ? std::string(reply->str, reply->len)
                                                           : "unexpected reply";
      if (reply) freeReplyObject(reply);
      redisFree(ctx);  // the connection may be broken: do not reuse it
      return FailOpen(d, why);
    }
    int64_t count = reply->integer;
    freeReplyObject(reply);
    Release(ctx);
    d.allowed = count <= limit.requests;
    d.remaining = std::max<int64_t>(0, limit.requests - count);
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

Result<std::unique_ptr<RateLimiter>> NewRedisRateLimiter(const RedisOptions& options, const Clock& clock,
                                                         std::function<void()> on_backend_error) {
  auto endpoint = ParseRedisUrl(options.url);
  if (!endpoint.ok()) return std::move(endpoint).error();
  return std::unique_ptr<RateLimiter>(
      new RedisRateLimiter(std::move(endpoint).value(), options, clock, std::move(on_backend_error)));
}

}  // namespace meterline::ratelimit
