// 100 requests per 15 minutes per caller on billing routes, over a sliding
// window, in process and shared through Redis by several instances; Redis
// down fails open.
#include <cstdlib>

#include "ratelimit/rate_limiter.hpp"
#include "security/security_fixture.hpp"

namespace meterline::testing {
namespace {

TEST(MemoryRateLimiterTest, CountsPerKeyOverASlidingWindow) {
  FakeClock clock(FromUnixMillis(int64_t{16'666'667} * 60'000));  // aligned to a minute
  auto limiter = ratelimit::NewMemoryRateLimiter(clock);
  ratelimit::Limit limit{3, std::chrono::seconds(60)};
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter->Hit("a", limit).allowed);
  auto fourth = limiter->Hit("a", limit);
  EXPECT_FALSE(fourth.allowed);
  EXPECT_EQ(fourth.remaining, 0);
  // The next one fits 20 s into the next window: 3 x 40/60 + 1 = 3.
  EXPECT_EQ(fourth.reset_seconds, 80);
  EXPECT_TRUE(limiter->Hit("b", limit).allowed) << "keys are independent";

  // A new window does not start afresh: no burst of twice the limit around
  // the boundary. Refused requests are not counted.
  clock.Advance(std::chrono::seconds(60));
  auto at_boundary = limiter->Hit("a", limit);
  EXPECT_FALSE(at_boundary.allowed);
  EXPECT_EQ(at_boundary.reset_seconds, 20);
  clock.Advance(std::chrono::seconds(19));
  EXPECT_FALSE(limiter->Hit("a", limit).allowed);
  clock.Advance(std::chrono::seconds(1));
  auto let_in = limiter->Hit("a", limit);
  EXPECT_TRUE(let_in.allowed);
  EXPECT_EQ(let_in.remaining, 0);
  EXPECT_FALSE(limiter->Hit("a", limit).allowed);
  // Half a window on, the previous window weighs 3 x 10/60 = 0.5 and this one has 1 (of 3).
  clock.Advance(std::chrono::seconds(30));
  EXPECT_TRUE(limiter->Hit("a", limit).allowed);
  EXPECT_FALSE(limiter->Hit("a", limit).allowed) << "0.5 + 2 + 1 > 3";
  // Two windows without requests: afresh.
  clock.Advance(std::chrono::seconds(120));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter->Hit("a", limit).allowed) << i;
}

TEST(MemoryRateLimiterTest, ASteadyStreamUnderTheLimitIsNeverRefused) {
  // Five a minute against six a minute, wherever the windows fall.
  FakeClock clock(FromUnixMillis(int64_t{16'666'667} * 60'000 + 7'000));
  auto limiter = ratelimit::NewMemoryRateLimiter(clock);
  ratelimit::Limit limit{6, std::chrono::seconds(60)};
  for (int i = 0; i < 60; ++i) {
    EXPECT_TRUE(limiter->Hit("a", limit).allowed) << i;
    clock.Advance(std::chrono::seconds(12));
  }
  // Twelve a minute for ten minutes: never more than the 60 the limit allows
  // in that time (the estimate assumes the previous window's requests were
  // spread evenly, so it lets somewhat fewer through).
  int allowed = 0;
  for (int i = 0; i < 120; ++i) {
    allowed += limiter->Hit("a", limit).allowed;
    clock.Advance(std::chrono::seconds(5));
  }
  EXPECT_GE(allowed, 48);
  EXPECT_LE(allowed, 60);
}

TEST(RateLimitParseTest, ParsesAndFormats) {
  auto limit = ratelimit::ParseLimit("100/15m");
  ASSERT_TRUE(limit.ok());
  EXPECT_EQ(limit->requests, 100);
  EXPECT_EQ(limit->window, std::chrono::seconds(900));
  EXPECT_EQ(ratelimit::FormatLimit(*limit), "100/15m");
  for (const char* bad :
       {"", "100", "/15m", "100/", "100/15x", "0/1m", "-1/1m", "abc/1m", "10/0s", "1000000001/1m", "100000000/24h"}) {
    EXPECT_FALSE(ratelimit::ParseLimit(bad).ok()) << bad;
  }
}

class RateLimitTest : public SecurityTest {
 protected:
  // Windows are aligned to the clock, and across a boundary the previous
  // window still weighs almost fully: the figures below assume one window,
  // so billingd runs on a FakeClock that moves only when the test says.
  RateLimitTest() { fake_now_ = TestNow(); }
  void Check101st();
};

TEST_P(RateLimitTest, The101stBillingRequestIs429) { Check101st(); }

TEST_P(RateLimitTest, AnonymousCallersAreCountedByAddress) {
  HttpClient client = Client();
  for (int i = 0; i < 100; ++i) ASSERT_EQ(client.Get("/api/v1/billing/customers").status, 401);
  EXPECT_EQ(client.Get("/api/v1/billing/customers").status, 429);
}

void RateLimitTest::Check101st() {
  SignedIn alice = SignIn("alice@acme.test");
  HttpClient client = Client();
  std::string path = "/api/v1/billing/customers/" + customer_a_;
  for (int i = 1; i <= 100; ++i) {
    HttpResult r = client.Get(path, {alice.Bearer()});
    ASSERT_EQ(r.status, 200) << "request " << i;
    if (i == 1) {
      EXPECT_EQ(r.Header("RateLimit-Limit"), "100");
      EXPECT_EQ(r.Header("RateLimit-Remaining"), "99");
      EXPECT_EQ(r.Header("RateLimit-Policy"), "100;w=900");
    }
  }
  HttpResult limited = client.Get(path, {alice.Bearer()});
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(ErrorCode(limited), "rate_limited");
  EXPECT_EQ(limited.Header("RateLimit-Remaining"), "0");
  int retry_after = std::atoi(limited.Header("Retry-After").c_str());
  EXPECT_GE(retry_after, 1);
  // The next request fits when this window's 100 weigh 99 in the next one:
  // the rest of this window plus 1/100 of the next.
  EXPECT_LE(retry_after, 909);
  // And it does fit then, not a second earlier.
  billingd_->fake_clock()->Advance(std::chrono::seconds(retry_after - 1));
  EXPECT_EQ(client.Get(path, {alice.Bearer()}).status, 429);
  billingd_->fake_clock()->Advance(std::chrono::seconds(1));
  EXPECT_EQ(client.Get(path, {alice.Bearer()}).status, 200);
  EXPECT_EQ(client.Get(path, {alice.Bearer()}).status, 429);
  // Another user has a budget of their own.
  SignedIn bob = SignIn("bob@beta.test");
  EXPECT_EQ(client.Get("/api/v1/billing/customers/" + customer_b_, {bob.Bearer()}).status, 200);
  // Public routes are not limited.
  EXPECT_EQ(client.Get("/api/v1/meta/features").status, 200);
}

TEST_P(RateLimitTest, ConsoleSessionsHaveTheirOwnLargerBudget) {
  SignedIn alice = SignIn("alice@acme.test");
  HttpClient client = Client();
  std::string path = "/api/v1/billing/customers/" + customer_a_;
  // The programmatic budget (bearer) is spent ...
  for (int i = 1; i <= 100; ++i) ASSERT_EQ(client.Get(path, {alice.Bearer()}).status, 200) << i;
  ASSERT_EQ(client.Get(path, {alice.Bearer()}).status, 429);
  // ... and the same user in the console (session cookie) still has 3000.
  HttpResult r = client.Get(path, {alice.Cookie()});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("RateLimit-Limit"), "3000");
  EXPECT_EQ(r.Header("RateLimit-Remaining"), "2999");
  EXPECT_EQ(r.Header("RateLimit-Policy"), "3000;w=900");
  for (int i = 2; i <= 3000; ++i) ASSERT_EQ(client.Get(path, {alice.Cookie()}).status, 200) << i;
  HttpResult limited = client.Get(path, {alice.Cookie()});
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(ErrorCode(limited), "rate_limited");
  // Admin routes from the console share that budget, not the admin group's.
  SignedIn admin = SignIn("root@meterline.test");
  HttpResult users = client.Get("/api/v1/admin/users", {admin.Cookie()});
  EXPECT_EQ(users.status, 200);
  EXPECT_EQ(users.Header("RateLimit-Limit"), "3000");
  EXPECT_EQ(client.Get("/api/v1/admin/users", {admin.Bearer()}).Header("RateLimit-Limit"), "1000");
}

TEST_P(RateLimitTest, TwoInstancesShareOneBudgetThroughRedis) {
  const char* redis = std::getenv("MTL_TEST_REDIS_URL");
  if (redis == nullptr) GTEST_SKIP() << "MTL_TEST_REDIS_URL not set (scripts/test starts Redis)";
  {
    billingd_.reset();
    StartBillingd({{"REDIS_URL", redis}, {"RATE_LIMITS", "billing=100/1h"}});
    SetUp2();
    // The Redis limiter counts in windows of our clock (Redis only holds the
    // counters), so both instances share the first one's FakeClock.
    BillingdHarness second({.backend = GetParam(),
                            .env = {{"REDIS_URL", redis}, {"RATE_LIMITS", "billing=100/1h"}},
                            .shared_database = &billingd_->database(),
                            .clock = &billingd_->clock()});
    SignedIn alice = SignIn("alice@acme.test");
    HttpClient first_client = Client();
    HttpClient second_client(second.base_url());
    std::string path = "/api/v1/billing/customers/" + customer_a_;
    int ok = 0;
    for (int i = 0; i < 100; ++i) {
      HttpClient& c = i % 2 == 0 ? first_client : second_client;
      ok += c.Get(path, {alice.Bearer()}).status == 200;
    }
    int last_first = first_client.Get(path, {alice.Bearer()}).status;
    int last_second = second_client.Get(path, {alice.Bearer()}).status;
    EXPECT_EQ(ok, 100);
    EXPECT_EQ(last_first, 429);
    EXPECT_EQ(last_second, 429);
  }
}

TEST_P(RateLimitTest, RedisDownFailsOpenWithAMetric) {
  billingd_.reset();
  StartBillingd({{"REDIS_URL", "redis://127.0.0.1:1"}, {"RATE_LIMITS", "billing=2/1h"}});
  SetUp2();
  SignedIn alice = SignIn("alice@acme.test");
  HttpClient client = Client();
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(client.Get("/api/v1/billing/customers/" + customer_a_, {alice.Bearer()}).status, 200);
  }
  HttpResult metrics = client.Get("/metrics");
  // Five billing requests plus the login (rate group "auth") each failed open.
  EXPECT_NE(metrics.body.find("meterline_ratelimit_backend_errors_total 6\n"), std::string::npos) << metrics.body;
}

INSTANTIATE_TEST_SUITE_P(Backends, RateLimitTest, ::testing::ValuesIn(TestBackends()),
                         [](const auto& info) { return BackendParamName(info.param); });

}  // namespace
}  // namespace meterline::testing
