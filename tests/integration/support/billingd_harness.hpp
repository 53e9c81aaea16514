// BillingdHarness: a whole billingd (config → wiring → pipeline → Beast server)
// running in this process on 127.0.0.1 with port 0, on a fresh TestDatabase.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "app/wiring.hpp"
#include "http/server.hpp"
#include "support/test_clickhouse.hpp"
#include "support/test_database.hpp"

namespace meterline::testing {

class BillingdHarness {
 public:
  struct Options {
    storage::Backend backend = storage::Backend::kSqlite;
    // Environment variables as billingd would read them (PORT, HOST, DATABASE_URL are set by the harness).
    std::map<std::string, std::string> env;
    // Called after wiring, before serving (e.g. to add a test-only route).
    std::function<void(app::App&)> customize;
    // Serve from another harness's database (a second instance of one deployment).
    TestDatabase* shared_database = nullptr;
    // Keep usage events in a fresh ClickHouse database (one node, or the
    // two-shard test cluster), with the transactional data in `backend`.
    enum class UsageStore { kSql, kClickHouse, kClickHouseCluster } usage_store = UsageStore::kSql;
    // The clock billingd runs on. Set `fake_now` for a FakeClock of the
    // harness's own that starts there and moves only when the test advances
    // it (fake_clock(); pass TestNow() to honour MTL_TEST_NOW), or `clock`
    // for one the test owns (e.g. another harness's, for a second instance),
    // which must outlive the harness. Neither: the system clock.
    std::optional<TimePoint> fake_now;
    const Clock* clock = nullptr;
    // New password hashes (and the dummy one) at libsodium's minimum cost,
    // which saves most of a test's time; unset: that, except in production
    // mode (MODE=production in `env`), which keeps the real cost.
    std::optional<auth::PasswordCost> password_cost;
  };

  explicit BillingdHarness(Options options);
  ~BillingdHarness();

  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  app::App& app() { return *app_; }
  // What billingd takes for now: compute test times from this, not SystemClock.
  const Clock& clock() const { return *clock_; }
  // The harness's FakeClock (Options::fake_now), or null.
  FakeClock* fake_clock() { return fake_clock_.get(); }
  TestDatabase& database() { return shared_ ? *shared_ : *database_; }
  // The ClickHouse database this harness made, or null.
  const TestClickHouse* clickhouse() const { return clickhouse_.get(); }
  // The JWT secret the harness configures unless the test sets JWT_SECRET.
  static constexpr const char* kJwtSecret = "test-jwt-secret-0123456789abcdef0123456789";

 private:
  std::unique_ptr<TestDatabase> database_;
  std::unique_ptr<TestClickHouse> clickhouse_;
  TestDatabase* shared_ = nullptr;
  SystemClock system_clock_;
  std::unique_ptr<FakeClock> fake_clock_;
  const Clock* clock_ = nullptr;
  std::unique_ptr<app::App> app_;
  std::unique_ptr<http::Server> server_;
  std::thread thread_;
};

}  // namespace meterline::testing
