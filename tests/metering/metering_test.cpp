// Usage ingestion end to end, once per usage store — SQLite, PostgreSQL,
// ClickHouse on one node and ClickHouse Distributed over two shards — on a
// FakeClock (at MTL_TEST_NOW when set): exactly-once counting, validation,
// scoping, CloudEvents, concurrency, alerts and current usage.
#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <atomic>
#include <fstream>
#include <limits>
#include <list>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "core/period.hpp"
#include "metering/group_commit.hpp"
#include "metering/usage_shards.hpp"
#include "support/billingd_harness.hpp"
#include "support/http_client.hpp"
#include "support/temp_dir.hpp"
#include "support/test_clock.hpp"

namespace meterline::testing {
namespace {

namespace json = boost::json;

using UsageStoreKind = BillingdHarness::Options::UsageStore;

// Where the transactional data lives, and where the usage events live.
struct StoreSetup {
  storage::Backend backend;
  UsageStoreKind usage_store;
  std::string name;
  std::map<std::string, std::string> env = {};  // e.g. USAGE_SHARDS
};

void PrintTo(const StoreSetup& setup, std::ostream* os) { *os << setup.name; }

std::vector<StoreSetup> UsageStores() {
  std::vector<StoreSetup> out;
  for (storage::Backend backend : TestBackends()) {
    out.push_back({backend, UsageStoreKind::kSql, BackendParamName(backend)});
  }
  // SQLite's default keeps usage in two shard files (USAGE_SHARDS=2); also in
  // the main file, and in three shards.
  out.push_back({storage::Backend::kSqlite, UsageStoreKind::kSql, "sqlite_one_file", {{"USAGE_SHARDS", "0"}}});
  out.push_back({storage::Backend::kSqlite, UsageStoreKind::kSql, "sqlite_three_shards", {{"USAGE_SHARDS", "3"}}});
  if (ClickHouseAvailable()) {
    out.push_back({storage::Backend::kSqlite, UsageStoreKind::kClickHouse, "clickhouse"});
    out.push_back({TestBackends().back(), UsageStoreKind::kClickHouseCluster, "clickhouse_cluster"});
  }
  return out;
}

class MeteringTest : public ::testing::TestWithParam<StoreSetup> {
 protected:
  void SetUp() override {
    billingd_ = std::make_unique<BillingdHarness>(BillingdHarness::Options{.backend = GetParam().backend,
                                                                           .env = StoreEnv(),
                                                                           .usage_store = GetParam().usage_store,
                                                                           .fake_now = TestNow()});
    auto& app = billingd_->app();
    auth::RequestOrigin origin{"", "test"};
    customer_a_ = app.customers->Create({"Acme Ads", "", "DE", "USD"}, "test", origin)->id;
    customer_b_ = app.customers->Create({"Beta Media", "", "US", "USD"}, "test", origin)->id;
    TimePoint anchor = ClockNow() - std::chrono::hours(24 * 10);
    ASSERT_TRUE(app.subscriptions->Create(customer_a_, "starter", anchor, subscriptions::Status::kActive, "test").ok());
    ASSERT_TRUE(app.subscriptions->Create(customer_b_, "growth", anchor, subscriptions::Status::kActive, "test").ok());
    platform_key_ =
        "Authorization: Bearer " + app.identity->CreateApiKey("edge", Role::kService, "", "test", origin)->secret;
    key_a_ = "Authorization: Bearer " +
             app.identity->CreateApiKey("acme", Role::kService, customer_a_, "test", origin)->secret;
    ASSERT_TRUE(
        app.identity->CreateUser("alice@acme.test", "a-long-password", Role::kMember, customer_a_, "test", origin)
            .ok());
  }

  // Environment billingd starts with (e.g. CATALOG_PATH), on top of the store's.
  virtual std::map<std::string, std::string> Env() { return {}; }
  std::map<std::string, std::string> StoreEnv() {
    std::map<std::string, std::string> env = GetParam().env;
    for (auto& [name, value] : Env()) env[name] = value;
    return env;
  }
  // Whether alerts commit in the events' transaction: usage in the
  // transactional database itself, not in ClickHouse or SQLite shard files.
  bool AlertsCommitWithEvents() const {
    if (GetParam().usage_store != UsageStoreKind::kSql) return false;
    return GetParam().backend == storage::Backend::kPostgres || billingd_->app().usage_shard_dbs.empty();
  }
  // The SQL database holding a customer's usage (a shard file, or the main one).
  storage::Database& UsageDatabase(const std::string& customer) {
    auto& dbs = billingd_->app().usage_databases;
    return *dbs.at(static_cast<size_t>(metering::ShardOf(customer, static_cast<int>(dbs.size()))));
  }

  // What billingd takes for now.
  TimePoint ClockNow() const { return billingd_->clock().Now(); }
  std::string Now(int minutes_ago = 1) const { return FormatIso8601(ClockNow() - std::chrono::minutes(minutes_ago)); }
  // An event a minute ago unless `timestamp` says when.
  std::string Event(const std::string& id, const std::string& customer, const std::string& metric, int64_t value,
                    const std::string& timestamp = "") const {
    return R"({"id":")" + id + R"(","customer_id":")" + customer + R"(","metric":")" + metric + R"(","value":)" +
           std::to_string(value) + R"(,"timestamp":")" + (timestamp.empty() ? Now() : timestamp) + "\"}";
  }
  static std::string Batch(const std::vector<std::string>& events) {
    std::string out = R"({"events":[)";
    for (size_t i = 0; i < events.size(); ++i) out += (i ? "," : "") + events[i];
    return out + "]}";
  }
  json::object Send(const std::string& body, const std::string& key, long expect = 200,
                    const std::string& content_type = "application/json") {
    HttpClient client(billingd_->base_url());
    HttpResult r = client.Post("/api/v1/usage/events", body, {key, "Content-Type: " + content_type});
    EXPECT_EQ(r.status, expect) << r.body;
    return r.status == 200 ? json::parse(r.body).as_object() : json::object{};
  }
  int64_t Total(const std::string& customer, const std::string& metric) {
    auto audit = billingd_->app().usage_store->AuditMetric(customer, metric);
    EXPECT_TRUE(audit.ok()) << audit.error().message;
    if (!audit.ok()) return -1;
    EXPECT_EQ(audit->rollup_total, audit->event_total) << "rollups out of step with events";
    return audit->rollup_total;
  }

  std::unique_ptr<BillingdHarness> billingd_;
  std::string customer_a_, customer_b_, platform_key_, key_a_;
};

TEST_P(MeteringTest, EachEventCountsOnceWhateverItsTimestamp) {
  auto first = Send(Batch({Event("e1", customer_a_, "impressions", 100), Event("e2", customer_a_, "impressions", 50),
                           Event("e1", customer_a_, "impressions", 100)}),
                    platform_key_);
  EXPECT_EQ(first.at("accepted").as_int64(), 2);
  ASSERT_EQ(first.at("duplicates").as_array().size(), 1u);
  EXPECT_EQ(first.at("duplicates").as_array()[0].as_object().at("index").as_int64(), 2);
  // A resend with another timestamp and value is still the same event.
  auto resend = Send(Batch({Event("e1", customer_a_, "impressions", 999, Now(30))}), platform_key_);
  EXPECT_EQ(resend.at("accepted").as_int64(), 0);
  EXPECT_EQ(resend.at("duplicates").as_array().size(), 1u);
  EXPECT_EQ(Total(customer_a_, "impressions"), 150);
  // The same id for another customer is another event.
  auto other = Send(Batch({Event("e1", customer_b_, "impressions", 7)}), platform_key_);
  EXPECT_EQ(other.at("accepted").as_int64(), 1);
}

// Stores first try the batch as if every event were new (SQLite's insert
// without RETURNING, PostgreSQL's COPY straight into the table) and fall back
// when one was stored before: the stored ones are duplicates at their own
// positions, the new ones around them count once.
TEST_P(MeteringTest, ABatchMixingStoredAndNewEventsStoresOnlyTheNewOnes) {
  auto first = Send(Batch({Event("m2", customer_a_, "impressions", 20), Event("m4", customer_a_, "impressions", 40)}),
                    platform_key_);
  EXPECT_EQ(first.at("accepted").as_int64(), 2);
  auto mixed = Send(Batch({Event("m1", customer_a_, "impressions", 1), Event("m2", customer_a_, "impressions", 2),
                           Event("m3", customer_a_, "impressions", 3), Event("m4", customer_a_, "impressions", 4),
                           Event("m5", customer_a_, "impressions", 5)}),
                    platform_key_);
  EXPECT_EQ(mixed.at("accepted").as_int64(), 3);
  const json::array& duplicates = mixed.at("duplicates").as_array();
  ASSERT_EQ(duplicates.size(), 2u);
  EXPECT_EQ(duplicates[0].as_object().at("index").as_int64(), 1);
  EXPECT_EQ(duplicates[1].as_object().at("index").as_int64(), 3);
  EXPECT_EQ(Total(customer_a_, "impressions"), 20 + 40 + 1 + 3 + 5);
  // The fallback left nothing behind: the next all-new batch takes the fast path again.
  auto next = Send(Batch({Event("m6", customer_a_, "impressions", 6)}), platform_key_);
  EXPECT_EQ(next.at("accepted").as_int64(), 1);
  EXPECT_EQ(Total(customer_a_, "impressions"), 20 + 40 + 1 + 3 + 5 + 6);
}

TEST_P(MeteringTest, InvalidEventsAreRejectedOneByOne) {
  std::string old_time = FormatIso8601(ClockNow() - std::chrono::hours(24 * 36));
  std::string future = FormatIso8601(ClockNow() + std::chrono::minutes(30));
  auto r = Send(
      Batch({Event("ok", customer_a_, "api_calls", 5), Event("m", customer_a_, "clicks", 1),
             Event("c", "cus_nobody", "api_calls", 1), Event("old", customer_a_, "api_calls", 1, old_time),
             Event("fut", customer_a_, "api_calls", 1, future),
             R"({"id":"neg","customer_id":")" + customer_a_ + R"(","metric":"api_calls","value":-1,"timestamp":")" +
                 Now() + "\"}",
             R"({"customer_id":")" + customer_a_ + R"(","metric":"api_calls","value":1,"timestamp":")" + Now() + "\"}",
             R"({"id":"t","customer_id":")" + customer_a_ +
                 R"(","metric":"api_calls","value":1,"timestamp":"yesterday"})"}),
      platform_key_);
  EXPECT_EQ(r.at("accepted").as_int64(), 1);
  const auto& rejected = r.at("rejected").as_array();
  ASSERT_EQ(rejected.size(), 7u);
  std::vector<std::string> reasons;
  for (const auto& x : rejected) reasons.emplace_back(x.as_object().at("reason").as_string());
  EXPECT_EQ(rejected[0].as_object().at("index").as_int64(), 1);
  EXPECT_EQ(reasons[0], "unknown metric 'clicks'");
  EXPECT_EQ(reasons[1], "unknown customer cus_nobody");
  EXPECT_EQ(reasons[2], "timestamp is more than 35 days in the past");
  EXPECT_EQ(reasons[3], "timestamp is more than 5 minutes in the future");
  EXPECT_EQ(reasons[4], "value must be a non-negative integer");
  EXPECT_EQ(reasons[5], "id must be a string of 1-128 characters");
  EXPECT_EQ(reasons[6], "timestamp must be an RFC 3339 timestamp");
  std::vector<std::string> codes;
  for (const auto& x : rejected) codes.emplace_back(x.as_object().at("code").as_string());
  EXPECT_EQ(codes, (std::vector<std::string>{"unknown_metric", "unknown_customer", "too_old", "too_far_ahead",
                                             "invalid", "invalid", "invalid"}));
  EXPECT_EQ(Total(customer_a_, "api_calls"), 5);

  // An operator sees the same in /metrics: events by outcome and reason, batch and read latencies.
  Send(Batch({Event("ok", customer_a_, "api_calls", 5)}), platform_key_);  // a duplicate
  HttpClient client(billingd_->base_url());
  ASSERT_EQ(client.Get("/api/v1/billing/usage/current?customer_id=" + customer_a_, {platform_key_}).status, 200);
  std::string metrics = client.Get("/metrics").body;
  for (const char* line : {R"(meterline_ingest_events_total{outcome="accepted",reason=""} 1)",
                           R"(meterline_ingest_events_total{outcome="duplicate",reason=""} 1)",
                           R"(meterline_ingest_events_total{outcome="rejected",reason="invalid"} 3)",
                           R"(meterline_ingest_events_total{outcome="rejected",reason="unknown_metric"} 1)",
                           "\nmeterline_ingest_batch_duration_seconds_count 2\n",
                           "\nmeterline_usage_current_read_duration_seconds_count 1\n"}) {
    EXPECT_NE(metrics.find(line), std::string::npos) << line << "\n" << metrics;
  }
}

TEST_P(MeteringTest, EventsInAnInvoicedPeriodAreRefused) {
  TimePoint now = ClockNow();
  ASSERT_TRUE(billingd_->database()
                  .db()
                  .Execute("INSERT INTO invoices (id, customer_id, period_start, period_end, status, currency, "
                           "created_at, updated_at) VALUES ('inv_1', $1, $2, $3, 'open', 'USD', 0, 0)",
                           {customer_a_, ToUnixMillis(now - std::chrono::hours(48)),
                            ToUnixMillis(now - std::chrono::hours(24))})
                  .ok());
  auto r = Send(Batch({Event("late", customer_a_, "api_calls", 1, Now(36 * 60))}), platform_key_);
  ASSERT_EQ(r.at("rejected").as_array().size(), 1u);
  EXPECT_EQ(r.at("rejected").as_array()[0].as_object().at("reason").as_string(),
            "the billing period of this timestamp is already invoiced");
}

TEST_P(MeteringTest, EventsInAClosedPeriodAreRefused) {
  // The fixture's period started 10 days ago; the one before is closed (its end
  // plus INVOICE_GRACE_MINUTES has passed), invoiced or not.
  auto r = Send(Batch({Event("old", customer_a_, "api_calls", 1, Now(11 * 24 * 60)),
                       Event("new", customer_a_, "api_calls", 1, Now(9 * 24 * 60))}),
                platform_key_);
  EXPECT_EQ(r.at("accepted").as_int64(), 1);
  ASSERT_EQ(r.at("rejected").as_array().size(), 1u);
  EXPECT_EQ(r.at("rejected").as_array()[0].as_object().at("reason").as_string(),
            "the billing period of this timestamp is closed");
}

TEST_P(MeteringTest, AnEventIdWithANulCharacterIsRejectedAloneOnEveryStore) {
  auto r = Send(Batch({R"({"id":"nul\u0000id","customer_id":")" + customer_a_ +
                           R"(","metric":"api_calls","value":5,"timestamp":")" + Now() + "\"}",
                       Event("plain-id", customer_a_, "api_calls", 7)}),
                platform_key_);
  EXPECT_EQ(r.at("accepted").as_int64(), 1);
  ASSERT_EQ(r.at("rejected").as_array().size(), 1u);
  EXPECT_EQ(r.at("rejected").as_array()[0].as_object().at("code").as_string(), "invalid");
  EXPECT_EQ(r.at("rejected").as_array()[0].as_object().at("index").as_int64(), 0);
  EXPECT_EQ(Total(customer_a_, "api_calls"), 7);
}

TEST_P(MeteringTest, CustomerBoundKeysSendOnlyTheirOwnUsage) {
  auto r = Send(Batch({Event("a1", customer_a_, "api_calls", 1), Event("b1", customer_b_, "api_calls", 1)}), key_a_);
  EXPECT_EQ(r.at("accepted").as_int64(), 1);
  ASSERT_EQ(r.at("rejected").as_array().size(), 1u);
  EXPECT_EQ(Total(customer_b_, "api_calls"), 0);
  // People cannot send usage; anonymous callers neither.
  HttpClient client(billingd_->base_url());
  EXPECT_EQ(client.Post("/api/v1/usage/events", Batch({Event("x", customer_a_, "api_calls", 1)})).status, 401);
}

TEST_P(MeteringTest, CloudEventsSingleAndBatch) {
  auto ce = [&](const std::string& id, int64_t value) {
    return R"({"specversion":"1.0","id":")" + id + R"(","source":"//edge/eu-1","type":"data_transfer","subject":")" +
           customer_a_ + R"(","time":")" + Now() + R"(","data":{"value":)" + std::to_string(value) + "}}";
  };
  EXPECT_EQ(Send(ce("ce1", 1000), platform_key_, 200, "application/cloudevents+json").at("accepted").as_int64(), 1);
  auto batch =
      Send("[" + ce("ce2", 10) + "," + ce("ce1", 1000) + "]", platform_key_, 200, "application/cloudevents-batch+json");
  EXPECT_EQ(batch.at("accepted").as_int64(), 1);
  EXPECT_EQ(batch.at("duplicates").as_array().size(), 1u);
  EXPECT_EQ(Total(customer_a_, "data_transfer"), 1010);
  Send(R"({"events":"nope"})", platform_key_, 400);
  Send(Batch({}), platform_key_, 400);
}

TEST_P(MeteringTest, ConcurrentResendsCountOnce) {
  std::vector<std::string> events;
  for (int i = 0; i < 200; ++i) events.push_back(Event("c" + std::to_string(i), customer_a_, "api_calls", i + 1));
  std::string body = Batch(events);
  std::atomic<int64_t> accepted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      HttpClient client(billingd_->base_url());
      HttpResult r = client.Post("/api/v1/usage/events", body, {platform_key_});
      if (r.status == 200) accepted += json::parse(r.body).as_object().at("accepted").as_int64();
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(accepted.load(), 200);
  EXPECT_EQ(Total(customer_a_, "api_calls"), 200 * 201 / 2);
}

TEST_P(MeteringTest, TwoInstancesReceivingTheSameEventsCountThemOnce) {
  // A second billingd of the same deployment: same database, same usage store.
  BillingdHarness::Options second{
      .backend = GetParam().backend, .shared_database = &billingd_->database(), .clock = &billingd_->clock()};
  second.env = GetParam().env;
  if (billingd_->clickhouse() != nullptr) {
    for (const auto& [name, value] : billingd_->clickhouse()->env()) second.env[name] = value;
  }
  BillingdHarness other(second);
  std::vector<std::string> events;
  for (int i = 0; i < 300; ++i) events.push_back(Event("x" + std::to_string(i), customer_b_, "impressions", 10));
  std::string body = Batch(events);
  std::atomic<int64_t> accepted{0}, duplicates{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      HttpClient client(t % 2 == 0 ? billingd_->base_url() : other.base_url());
      HttpResult r = client.Post("/api/v1/usage/events", body, {platform_key_});
      ASSERT_EQ(r.status, 200) << r.body;
      auto result = json::parse(r.body).as_object();
      accepted += result.at("accepted").as_int64();
      duplicates += static_cast<int64_t>(result.at("duplicates").as_array().size());
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(accepted.load(), 300);
  EXPECT_EQ(duplicates.load(), 900);
  EXPECT_EQ(Total(customer_b_, "impressions"), 3000);
}

TEST_P(MeteringTest, AFullBatchOfTenThousandEventsFitsItsOwnBodyLimit) {
  std::vector<std::string> events;
  for (int i = 0; i < 10000; ++i) {
    events.push_back(Event("bulk-" + std::to_string(i), customer_b_, "api_calls", 1));
  }
  std::string body = Batch(events);
  ASSERT_GT(body.size(), size_t{1} << 20) << "the batch must exceed the default 1 MiB body limit";
  auto r = Send(body, platform_key_);
  EXPECT_EQ(r.at("accepted").as_int64(), 10000);
  EXPECT_EQ(Total(customer_b_, "api_calls"), 10000);
  events.push_back(Event("bulk-10000", customer_b_, "api_calls", 1));
  HttpClient client(billingd_->base_url());
  HttpResult too_many = client.Post("/api/v1/usage/events", Batch(events), {platform_key_});
  EXPECT_EQ(too_many.status, 413);
  EXPECT_NE(too_many.body.find("batch_too_large"), std::string::npos);
}

TEST_P(MeteringTest, ThresholdAlertsFireOnceEach) {
  // Starter: 1,000,000 impressions.
  Send(Batch({Event("i1", customer_a_, "impressions", 800'000)}), platform_key_);  // 80 %
  Send(Batch({Event("i2", customer_a_, "impressions", 150'000)}), platform_key_);  // 95 %
  Send(Batch({Event("i3", customer_a_, "impressions", 100'000), Event("i4", customer_a_, "impressions", 1)}),
       platform_key_);                                                             // 105 %
  Send(Batch({Event("i3", customer_a_, "impressions", 100'000)}), platform_key_);  // duplicate
  auto& db = billingd_->database().db();
  auto alerts = db.Execute(
      "SELECT threshold_percent FROM usage_alerts WHERE customer_id = $1 ORDER BY threshold_percent", {customer_a_});
  ASSERT_EQ(alerts->rows.size(), 3u);
  EXPECT_EQ(alerts->rows[0].Int(0), 75);
  EXPECT_EQ(alerts->rows[2].Int(0), 100);
  auto queued = db.Execute("SELECT COUNT(*) FROM events WHERE type = 'usage.threshold_crossed' AND customer_id = $1",
                           {customer_a_});
  EXPECT_EQ(queued->rows[0].Int(0), 3);
}

TEST_P(MeteringTest, PeriodsStartOnWholeHoursSoTheirFirstHourCounts) {
  auto sub = billingd_->app().subscriptions->ForCustomer(customer_a_);
  ASSERT_TRUE(sub.ok());
  EXPECT_EQ(sub->billing_anchor, HourStart(sub->billing_anchor));
  auto period = sub->PeriodAt(ClockNow());
  // An event half a minute into the period belongs to it.
  Send(Batch({Event("first", customer_a_, "api_calls", 7, FormatIso8601(period.start + std::chrono::seconds(30)))}),
       platform_key_);
  auto usage = billingd_->app().usage->Current(customer_a_);
  ASSERT_TRUE(usage.ok());
  for (const auto& m : usage->metrics) {
    if (m.metric->id == "api_calls") {
      EXPECT_EQ(m.usage, 7);
    }
  }
}

TEST_P(MeteringTest, CurrentUsageShowsLimitsAndExactOverage) {
  Send(Batch({Event("i1", customer_a_, "impressions", 1'050'001), Event("a1", customer_a_, "api_calls", 75'000),
              Event("d1", customer_a_, "data_transfer", 51'500'000'000)}),
       platform_key_);
  HttpClient client(billingd_->base_url());
  HttpResult login = client.Post("/api/v1/auth/login", R"({"email":"alice@acme.test","password":"a-long-password"})");
  ASSERT_EQ(login.status, 200);
  std::string token(json::parse(login.body).as_object().at("csrf_token").as_string());
  std::string bearer;
  for (const auto& [k, v] : login.headers) {
    if (strcasecmp(k.c_str(), "set-cookie") == 0 && v.rfind("mtl_session=", 0) == 0) {
      bearer = "Authorization: Bearer " + v.substr(12, v.find(';') - 12);
    }
  }
  HttpResult r = client.Get("/api/v1/billing/usage/current", {bearer});
  ASSERT_EQ(r.status, 200) << r.body;
  auto usage = json::parse(r.body).as_object();
  EXPECT_EQ(usage.at("plan").as_object().at("id").as_string(), "starter");
  // Every amount is an Amount with its exact text.
  EXPECT_EQ(usage.at("plan").as_object().at("base_fee").as_object().at("formatted").as_string(), "49.00");
  const auto& metrics = usage.at("metrics").as_array();
  ASSERT_EQ(metrics.size(), 3u);
  const auto& imps = metrics[0].as_object();
  EXPECT_EQ(imps.at("usage").as_int64(), 1'050'001);
  EXPECT_EQ(imps.at("limit").as_int64(), 1'000'000);
  EXPECT_EQ(imps.at("overage_units").as_int64(), 50'001);
  // 50,001 x $0.50 / 1000 = $25.0005 -> $25.00 (half to even)
  EXPECT_EQ(imps.at("overage_amount").as_object().at("minor").as_int64(), 2500);
  EXPECT_EQ(imps.at("overage_unit_price").as_string(), "0.0005");
  // The charge model behind it, as data and in words.
  EXPECT_EQ(imps.at("charge").as_object().at("model").as_string(), "included_then_overage");
  EXPECT_EQ(imps.at("charge").as_object().at("included").as_int64(), 1'000'000);
  EXPECT_EQ(imps.at("pricing").as_string(), "Ad impressions: first 1,000,000 included; then 0.50 USD per 1,000");
  const auto& calls = metrics[1].as_object();
  EXPECT_EQ(calls.at("overage_units").as_int64(), 0);
  EXPECT_DOUBLE_EQ(calls.at("percent").as_double(), 75.0);
  const auto& transfer = metrics[2].as_object();
  // 1.5 GB over at $0.05/GB = $0.075 -> $0.08
  EXPECT_EQ(transfer.at("overage_amount").as_object().at("minor").as_int64(), 8);
  EXPECT_EQ(transfer.at("pricing").as_string(), "Data transfer: first 50 GB included; then 0.05 USD per 1 GB");
  EXPECT_EQ(usage.at("total_overage").as_object().at("minor").as_int64(), 2508);
  EXPECT_EQ(usage.at("total_overage").as_object().at("formatted").as_string(), "25.08");
  // Members see only their own customer.
  EXPECT_EQ(client.Get("/api/v1/billing/usage/current?customer_id=" + customer_b_, {bearer}).status, 404);
}

TEST_P(MeteringTest, HistoryByHourAndDay) {
  TimePoint now = ClockNow();
  TimePoint hour = HourStart(now) - std::chrono::hours(3);
  Send(Batch({Event("h1", customer_a_, "api_calls", 10, FormatIso8601(hour + std::chrono::minutes(5))),
              Event("h2", customer_a_, "api_calls", 20, FormatIso8601(hour + std::chrono::minutes(50))),
              Event("h3", customer_a_, "api_calls", 5, FormatIso8601(hour + std::chrono::minutes(65)))}),
       platform_key_);
  HttpClient client(billingd_->base_url());
  std::string range = "&from=" + FormatIso8601(hour) + "&to=" + FormatIso8601(now);
  HttpResult r =
      client.Get("/api/v1/billing/usage/history?granularity=hour&customer_id=" + customer_a_ + range, {platform_key_});
  ASSERT_EQ(r.status, 200) << r.body;
  auto series = json::parse(r.body).as_object().at("series").as_array();
  const auto& calls = series[1].as_object();
  EXPECT_EQ(calls.at("metric").as_string(), "api_calls");
  ASSERT_EQ(calls.at("points").as_array().size(), 2u);
  EXPECT_EQ(calls.at("points").as_array()[0].as_object().at("value").as_int64(), 30);
  EXPECT_EQ(calls.at("points").as_array()[0].as_object().at("start").as_string(), FormatIso8601(hour));
  HttpResult bad =
      client.Get("/api/v1/billing/usage/history?granularity=week&customer_id=" + customer_a_, {platform_key_});
  EXPECT_EQ(bad.status, 400);
  HttpResult reversed = client.Get(
      "/api/v1/billing/usage/history?customer_id=" + customer_a_ + "&from=2025-02-01&to=2025-01-01", {platform_key_});
  EXPECT_EQ(reversed.status, 400);
  EXPECT_NE(reversed.body.find("from must be before to"), std::string::npos);
  HttpResult too_long = client.Get(
      "/api/v1/billing/usage/history?granularity=hour&customer_id=" + customer_a_ + "&from=2025-01-01&to=2025-03-01",
      {platform_key_});
  EXPECT_EQ(too_long.status, 400);
}

// Usage sums never wrap: two events near 2^63 once made a customer's usage 0
// or -2, and a near-limit total then failed every batch of its period.
TEST_P(MeteringTest, ValuesThatWouldOverflowAreRefusedEventByEvent) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  auto huge = Send(Batch({Event("max", customer_a_, "impressions", kMax),
                          Event("max-u", customer_a_, "impressions", kMax - 1'000'000 + 2)}),
                   key_a_);
  EXPECT_EQ(huge.at("accepted").as_int64(), 0);
  ASSERT_EQ(huge.at("rejected").as_array().size(), 2u);
  EXPECT_EQ(huge.at("rejected").as_array()[0].as_object().at("reason").as_string(),
            "value must be at most 1000000000000000");
  EXPECT_EQ(Total(customer_a_, "impressions"), 0);

  // 10^15 is allowed per event; an hour holds at most metering::kMaxHourlyUsage
  // (1.05 x 10^15), so a second one in that hour is refused, a small one still fits.
  TimePoint hour = HourStart(ClockNow()) - std::chrono::hours(2);
  std::string at = FormatIso8601(hour + std::chrono::minutes(10));
  constexpr int64_t kPeta = 1'000'000'000'000'000;
  auto full = Send(
      Batch({Event("p1", customer_a_, "impressions", kPeta, at), Event("p2", customer_a_, "impressions", kPeta, at),
             Event("small", customer_a_, "impressions", 7, at)}),
      platform_key_);
  EXPECT_EQ(full.at("accepted").as_int64(), 2);
  ASSERT_EQ(full.at("rejected").as_array().size(), 1u);
  const auto& refused = full.at("rejected").as_array()[0].as_object();
  EXPECT_EQ(refused.at("index").as_int64(), 1);
  EXPECT_EQ(refused.at("id").as_string(), "p2");
  EXPECT_EQ(refused.at("reason").as_string(), "usage of impressions in the hour from " + FormatIso8601(hour) +
                                                  " would exceed 1050019585252137, the most one hour may hold");
  // The refused event was not stored: sent again into another hour it counts.
  auto moved =
      Send(Batch({Event("p2", customer_a_, "impressions", kPeta, FormatIso8601(hour - std::chrono::minutes(30)))}),
           platform_key_);
  EXPECT_EQ(moved.at("accepted").as_int64(), 1);
  EXPECT_EQ(Total(customer_a_, "impressions"), 2 * kPeta + 7);

  // Reads and alerts see the exact sum; nothing answers 500.
  auto usage = billingd_->app().usage->Current(customer_a_);
  ASSERT_TRUE(usage.ok()) << usage.error().message;
  EXPECT_EQ(usage->metrics[0].usage, 2 * kPeta + 7);
  EXPECT_EQ(usage->metrics[0].overage_units, 2 * kPeta + 7 - 1'000'000);
  HttpClient client(billingd_->base_url());
  HttpResult history =
      client.Get("/api/v1/billing/usage/history?granularity=day&customer_id=" + customer_a_, {platform_key_});
  ASSERT_EQ(history.status, 200) << history.body;
  int64_t summed = 0;
  json::value series = json::parse(history.body);
  for (const auto& p : series.as_object().at("series").as_array()[0].as_object().at("points").as_array()) {
    summed += p.as_object().at("value").as_int64();
  }
  EXPECT_EQ(summed, 2 * kPeta + 7);
  auto alerts = billingd_->database().db().Execute(
      "SELECT COUNT(*) FROM usage_alerts WHERE customer_id = $1 AND metric = 'impressions'", {customer_a_});
  EXPECT_EQ(alerts->rows[0].Int(0), 3);
  // Later batches of the metric and period still go through.
  auto later = Send(Batch({Event("later", customer_a_, "impressions", 1)}), platform_key_);
  EXPECT_EQ(later.at("accepted").as_int64(), 1);
}

// Concurrent batches filling one hour: exactly as many events as fit are
// taken, whichever request carries them, and the rollup stays the events' sum.
TEST_P(MeteringTest, ConcurrentBatchesNeverPushAnHourPastItsLimit) {
  std::string at = FormatIso8601(HourStart(ClockNow()) - std::chrono::minutes(30));
  constexpr int64_t kTenth = 100'000'000'000'000;  // 10^14: ten fit in an hour, eleven do not
  std::atomic<int64_t> accepted{0}, refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::string> events;
      for (int i = 0; i < 4; ++i) {
        events.push_back(
            Event("t" + std::to_string(t) + "-" + std::to_string(i), customer_a_, "impressions", kTenth, at));
      }
      HttpClient client(billingd_->base_url());
      HttpResult r = client.Post("/api/v1/usage/events", Batch(events), {platform_key_});
      EXPECT_EQ(r.status, 200) << r.body;
      if (r.status != 200) return;
      auto body = json::parse(r.body).as_object();
      accepted += body.at("accepted").as_int64();
      refused += static_cast<int64_t>(body.at("rejected").as_array().size());
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(accepted.load(), 10);
  EXPECT_EQ(refused.load(), 14);
  EXPECT_EQ(Total(customer_a_, "impressions"), 10 * kTenth);
}

// Rollups written before the hourly limit existed may already hold sums past
// int64: reads say so (422 "overflow") instead of wrapping, and ingestion of
// the period goes on.
TEST_P(MeteringTest, RollupsPastTheLimitFromOlderVersionsNeverWrapOrBlockIngestion) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  // Two hours of yesterday (UTC), so that one daily bucket holds both.
  TimePoint hour = std::chrono::floor<std::chrono::days>(ClockNow()) - std::chrono::hours(23);
  for (TimePoint h : {hour, hour + std::chrono::hours(1)}) {
    if (GetParam().usage_store == UsageStoreKind::kSql) {
      ASSERT_TRUE(UsageDatabase(customer_a_)
                      .Execute("INSERT INTO usage_rollups_hourly (customer_id, metric, hour_start, total, events) "
                               "VALUES ($1, 'impressions', $2, $3, 1)",
                               {customer_a_, ToUnixMillis(h), kMax})
                      .ok());
    } else {
      std::string row =
          customer_a_ + "\timpressions\t" + std::to_string(ToUnixMillis(h)) + "\t" + std::to_string(kMax) + "\t1\n";
      std::vector<std::pair<std::string, std::string>> settings;
      if (GetParam().usage_store == UsageStoreKind::kClickHouseCluster) {
        settings.emplace_back("insert_distributed_sync", "1");
      }
      ASSERT_TRUE(
          billingd_->app()
              .clickhouse
              ->InsertTsv("usage_hourly", row, settings, {"customer_id", "metric", "hour_start", "total", "events"})
              .ok());
    }
  }
  auto usage = billingd_->app().usage->Current(customer_a_);
  ASSERT_FALSE(usage.ok());
  EXPECT_EQ(usage.error().code, ErrorCode::kUnprocessable);
  EXPECT_EQ(usage.error().Reason(), "overflow");
  HttpClient client(billingd_->base_url());
  std::string range = "&from=" + FormatIso8601(hour) + "&to=" + FormatIso8601(hour + std::chrono::hours(2));
  HttpResult hourly =
      client.Get("/api/v1/billing/usage/history?granularity=hour&customer_id=" + customer_a_ + range, {platform_key_});
  EXPECT_EQ(hourly.status, 200) << hourly.body;
  HttpResult daily =
      client.Get("/api/v1/billing/usage/history?granularity=day&customer_id=" + customer_a_ + range, {platform_key_});
  EXPECT_EQ(daily.status, 422) << daily.body;
  EXPECT_NE(daily.body.find("\"overflow\""), std::string::npos) << daily.body;
  // The full hour takes nothing more; another hour of the period takes events.
  auto same_hour = Send(Batch({Event("x1", customer_a_, "impressions", 1, FormatIso8601(hour))}), platform_key_);
  EXPECT_EQ(same_hour.at("accepted").as_int64(), 0);
  EXPECT_EQ(same_hour.at("rejected").as_array().size(), 1u);
  auto other_hour = Send(Batch({Event("x2", customer_a_, "impressions", 1)}), platform_key_);
  EXPECT_EQ(other_hour.at("accepted").as_int64(), 1);
}

TEST_P(MeteringTest, HistoryAndCurrentUsageOfAnUnknownCustomerAre404) {
  HttpClient client(billingd_->base_url());
  EXPECT_EQ(client.Get("/api/v1/billing/usage/history?customer_id=cus_nobody", {platform_key_}).status, 404);
  EXPECT_EQ(client.Get("/api/v1/billing/usage/current?customer_id=cus_nobody", {platform_key_}).status, 404);
  // A customer without a subscription has no current period, but it has a history.
  std::string unsubscribed = billingd_->app().customers->Create({"Gamma", "", "FR", "EUR"}, "test", {"", "test"})->id;
  EXPECT_EQ(client.Get("/api/v1/billing/usage/history?customer_id=" + unsubscribed, {platform_key_}).status, 200);
}

// The list of stored events: newest first by timestamp then id, the same on
// every store, paged both ways by cursor and by offset, filtered, scoped.
TEST_P(MeteringTest, EventsListNewestFirstPagedByCursorBothWays) {
  TimePoint base = HourStart(ClockNow()) - std::chrono::hours(5);
  auto at = [&](int minutes) { return FormatIso8601(base + std::chrono::minutes(minutes)); };
  // ev1..ev7 in time order; ev3a and ev3b share one millisecond (their order
  // is the store's: by storing on SQLite, by id elsewhere; it must hold across pages).
  Send(Batch({Event("ev5", customer_a_, "api_calls", 5, at(50)), Event("ev1", customer_a_, "impressions", 1, at(10)),
              Event("ev3b", customer_a_, "impressions", 32, at(30)),
              Event("ev3a", customer_a_, "impressions", 31, at(30)), Event("ev2", customer_a_, "api_calls", 2, at(20)),
              Event("ev6", customer_a_, "impressions", 6, at(60)), Event("ev7", customer_a_, "impressions", 7, at(70)),
              Event("other", customer_b_, "impressions", 9, at(40))}),
       platform_key_);
  Send(R"({"events":[{"id":"ev4","customer_id":")" + customer_a_ +
           R"(","metric":"impressions","value":4,"timestamp":")" + at(40) + R"(","properties":{"app":"x"}}]})",
       platform_key_);
  HttpClient client(billingd_->base_url());
  auto list = [&](const std::string& query, const std::string& key) {
    HttpResult r = client.Get("/api/v1/billing/usage/events?" + query, {key});
    EXPECT_EQ(r.status, 200) << query << ": " << r.body;
    return r.status == 200 ? json::parse(r.body).as_object() : json::object{};
  };
  auto ids = [](const json::object& page) {
    std::vector<std::string> out;
    if (!page.contains("data")) return out;
    for (const auto& e : page.at("data").as_array()) out.emplace_back(e.as_object().at("id").as_string());
    return out;
  };
  std::string a = "customer_id=" + customer_a_;
  auto all = list(a, platform_key_);
  ASSERT_EQ(ids(all).size(), 8u);
  const std::string t1 = ids(all)[4], t2 = ids(all)[5];  // the tie, in the store's order
  ASSERT_EQ((std::set<std::string>{t1, t2}), (std::set<std::string>{"ev3a", "ev3b"}));
  ASSERT_EQ(ids(all), (std::vector<std::string>{"ev7", "ev6", "ev5", "ev4", t1, t2, "ev2", "ev1"}));
  EXPECT_EQ(all.at("object").as_string(), "list");
  EXPECT_FALSE(all.at("has_more").as_bool());
  const auto& ev4 = all.at("data").as_array()[3].as_object();
  EXPECT_EQ(ev4.at("object").as_string(), "usage_event");
  EXPECT_EQ(ev4.at("customer_id").as_string(), customer_a_);
  EXPECT_EQ(ev4.at("metric").as_string(), "impressions");
  EXPECT_EQ(ev4.at("value").as_int64(), 4);
  EXPECT_EQ(ev4.at("timestamp").as_string(), at(40));
  EXPECT_EQ(ev4.at("properties").as_object().at("app").as_string(), "x");
  EXPECT_TRUE(all.at("data").as_array()[0].as_object().at("properties").is_null());
  EXPECT_TRUE(ParseIso8601(ev4.at("received_at").as_string()).has_value());

  // Forward by cursor: pages of 3, across the tie.
  auto first = list(a + "&limit=3", platform_key_);
  EXPECT_EQ(ids(first), (std::vector<std::string>{"ev7", "ev6", "ev5"}));
  EXPECT_TRUE(first.at("has_more").as_bool());
  auto second = list(a + "&limit=3&starting_after=ev5", platform_key_);
  EXPECT_EQ(ids(second), (std::vector<std::string>{"ev4", t1, t2}));
  EXPECT_TRUE(second.at("has_more").as_bool());
  EXPECT_TRUE(second.at("offset").is_null());
  auto third = list(a + "&limit=3&starting_after=" + t2, platform_key_);
  EXPECT_EQ(ids(third), (std::vector<std::string>{"ev2", "ev1"}));
  EXPECT_FALSE(third.at("has_more").as_bool());
  // A page boundary inside the tie, both ways.
  EXPECT_EQ(ids(list(a + "&limit=1&starting_after=" + t1, platform_key_)), (std::vector<std::string>{t2}));
  EXPECT_EQ(ids(list(a + "&limit=1&ending_before=" + t2, platform_key_)), (std::vector<std::string>{t1}));
  // Backward: the page before the tie, and the one before that.
  auto back = list(a + "&limit=2&ending_before=" + t1, platform_key_);
  EXPECT_EQ(ids(back), (std::vector<std::string>{"ev5", "ev4"}));
  EXPECT_TRUE(back.at("has_more").as_bool());
  auto front = list(a + "&limit=2&ending_before=ev5", platform_key_);
  EXPECT_EQ(ids(front), (std::vector<std::string>{"ev7", "ev6"}));
  EXPECT_FALSE(front.at("has_more").as_bool());
  // By offset, and with filters: one metric, a time range [from, to).
  auto offset = list(a + "&limit=2&offset=2", platform_key_);
  EXPECT_EQ(ids(offset), (std::vector<std::string>{"ev5", "ev4"}));
  EXPECT_EQ(offset.at("next_offset").as_int64(), 4);
  EXPECT_EQ(ids(list(a + "&metric=api_calls", platform_key_)), (std::vector<std::string>{"ev5", "ev2"}));
  EXPECT_EQ(ids(list(a + "&from=" + at(20) + "&to=" + at(40), platform_key_)),
            (std::vector<std::string>{t1, t2, "ev2"}));
  EXPECT_EQ(ids(list(a + "&metric=impressions&limit=2&starting_after=ev4", platform_key_)),
            (std::vector<std::string>{t1, t2}));

  // A customer-bound caller sees its own customer's events only; another's is a 404.
  EXPECT_EQ(ids(list("limit=1", key_a_)), (std::vector<std::string>{"ev7"}));
  EXPECT_EQ(client.Get("/api/v1/billing/usage/events?customer_id=" + customer_b_, {key_a_}).status, 404);
  EXPECT_EQ(ids(list("customer_id=" + customer_b_, platform_key_)), (std::vector<std::string>{"other"}));
  // Bad input names its parameter.
  auto param_of = [&](const std::string& query) {
    HttpResult r = client.Get("/api/v1/billing/usage/events?" + query, {platform_key_});
    EXPECT_EQ(r.status, 400) << query;
    if (r.status != 400) return std::string();
    return std::string(json::parse(r.body).at("error").as_object().at("param").as_string());
  };
  EXPECT_EQ(param_of(a + "&starting_after=nope"), "starting_after");
  EXPECT_EQ(param_of("customer_id=" + customer_b_ + "&starting_after=ev5"), "starting_after");
  EXPECT_EQ(param_of(a + "&metric=seats"), "metric");
  EXPECT_EQ(param_of(a + "&from=yesterday"), "from");
  EXPECT_EQ(param_of(a + "&offset=10001"), "offset");
  EXPECT_EQ(param_of(a + "&limit=501"), "limit");
  EXPECT_EQ(param_of("limit=5"), "customer_id");
  EXPECT_EQ(client.Get("/api/v1/billing/usage/events?customer_id=cus_nobody", {platform_key_}).status, 404);
}

TEST_P(MeteringTest, RunsOnTheConfiguredUsageStore) {
  std::string expected =
      GetParam().usage_store == UsageStoreKind::kSql ? BackendParamName(GetParam().backend) : "clickhouse";
  EXPECT_EQ(billingd_->app().usage_store->name(), expected);
}

// Group commit (metering/group_commit.hpp), on the store itself: a first write
// holds the writer inside its transaction until the others have queued, so
// the rest is one group, deterministically.
class WriterHold {
 public:
  explicit WriterHold(metering::GroupCommitStore& store) : store_(store) {}
  // The `after` of the holding write: waits until `queued` events wait behind it.
  metering::AfterWrite Until(size_t queued) {
    return [this, queued](storage::Executor&, const std::set<metering::RollupKey>&, const metering::TotalFn&) {
      holding_ = true;
      while (store_.Stats().queued_events < queued) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      return OkStatus();
    };
  }
  // Waits until the writer runs the holding write: what queues next is a new group
  // (a writer slow to wake could otherwise take the first write with the rest).
  void AwaitHolding() {
    while (!holding_) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  // Runs `write` on a thread once `before` events are queued, and waits until
  // its own are queued too, so writes queue in the order they are started.
  template <typename Fn>
  void Start(size_t before, size_t events, Fn write) {
    threads_.emplace_back(write);
    while (store_.Stats().enqueued_events < before + events) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  void Join() {
    for (auto& t : threads_) t.join();
  }

 private:
  metering::GroupCommitStore& store_;
  std::atomic<bool> holding_{false};
  std::list<std::thread> threads_;  // not a vector: GCC 12 -O2 warns falsely (array-bounds) on its growth
};

metering::UsageEvent MakeEvent(const std::string& id, const std::string& customer, int64_t value, TimePoint at) {
  return {id, customer, "api_calls", value, at, ""};
}

std::vector<metering::UsageEventRef> Refs(const std::vector<metering::UsageEvent>& events) {
  return {events.begin(), events.end()};
}

// Where usage shares the database with customers, the store itself never keeps
// an event of a customer that does not exist (ingestion refuses one before
// writing): on SQLite usage_events' foreign key; on PostgreSQL, which dropped
// that per-event check (migration 0027), the hourly rollup's, in the events'
// transaction, so the whole batch rolls back.
TEST_P(MeteringTest, TheStoreKeepsNoEventOfACustomerThatDoesNotExist) {
  if (!AlertsCommitWithEvents()) GTEST_SKIP() << "usage is kept apart from the customers (shard files, ClickHouse)";
  TimePoint at = ClockNow() - std::chrono::minutes(1);
  std::vector<metering::UsageEvent> batch = {MakeEvent("k1", customer_a_, 3, at),
                                             MakeEvent("k2", "cus_does_not_exist", 5, at)};
  auto written = billingd_->app().usage_store->Write(Refs(batch), ClockNow(), nullptr);
  EXPECT_FALSE(written.ok()) << "accepted " << written->accepted;
  auto stored = UsageDatabase(customer_a_).Execute("SELECT COUNT(*) FROM usage_events", {});
  ASSERT_TRUE(stored.ok()) << stored.error().message;
  EXPECT_EQ(stored->rows.at(0).Int(0), 0) << "neither event, nor its batch's other one";
  EXPECT_EQ(Total(customer_a_, "api_calls"), 0);
  if (GetParam().backend == storage::Backend::kPostgres) {
    auto keys =
        UsageDatabase(customer_a_)
            .Execute("SELECT COUNT(*) FROM pg_constraint WHERE conrelid = 'usage_events'::regclass AND contype = 'f'",
                     {});
    ASSERT_TRUE(keys.ok()) << keys.error().message;
    EXPECT_EQ(keys->rows.at(0).Int(0), 0) << "the rollup checks the customer, not a key per event";
  }
  // The store takes the batch once it names customers that exist.
  batch.pop_back();
  auto again = billingd_->app().usage_store->Write(Refs(batch), ClockNow(), nullptr);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->accepted, 1);
  EXPECT_EQ(Total(customer_a_, "api_calls"), 3);
}

TEST_P(MeteringTest, ConcurrentWritesShareOneCommitAndEachGetsItsOwnOutcome) {
  metering::GroupCommitStore store(*billingd_->app().usage_backend, {});
  TimePoint at = ClockNow() - std::chrono::minutes(1);
  std::vector<metering::UsageEvent> first = {MakeEvent("g0", customer_a_, 1, at)};
  std::vector<metering::UsageEvent> one = {MakeEvent("g1", customer_a_, 10, at), MakeEvent("g2", customer_a_, 20, at),
                                           MakeEvent("shared", customer_b_, 1000, at)};
  // Its first event repeats one of the request before it: the earlier keeps it.
  std::vector<metering::UsageEvent> two = {MakeEvent("shared", customer_b_, 5000, at),
                                           MakeEvent("g3", customer_b_, 300, at)};
  std::vector<metering::UsageEvent> three = {MakeEvent("g4", customer_a_, 4000, at),
                                             MakeEvent("g1", customer_a_, 10, at)};
  // Each request's `after` sees the rollups of its own customers only.
  std::set<std::string> seen_by_two;
  metering::AfterWrite record_two = [&](storage::Executor&, const std::set<metering::RollupKey>& touched,
                                        const metering::TotalFn&) {
    for (const auto& key : touched) seen_by_two.insert(std::get<0>(key));
    return OkStatus();
  };
  WriterHold hold(store);
  std::optional<Result<metering::WriteOutcome>> r0, r1, r2, r3;
  hold.Start(0, 1, [&] { r0 = store.Write(Refs(first), ClockNow(), hold.Until(1 + 3 + 2 + 2)); });
  hold.AwaitHolding();
  hold.Start(1, 3, [&] { r1 = store.Write(Refs(one), ClockNow(), nullptr); });
  hold.Start(4, 2, [&] { r2 = store.Write(Refs(two), ClockNow(), record_two); });
  hold.Start(6, 2, [&] { r3 = store.Write(Refs(three), ClockNow(), nullptr); });
  hold.Join();
  ASSERT_TRUE(r0->ok() && r1->ok() && r2->ok() && r3->ok());
  EXPECT_EQ(store.Stats().commits, 2u) << "the three writes queued behind the first must share one commit";
  EXPECT_EQ(store.Stats().requests, 4u);
  EXPECT_EQ(store.Stats().queued_events, 0u);
  EXPECT_EQ((*r1)->accepted, 3);
  EXPECT_TRUE((*r1)->duplicates.empty());
  EXPECT_EQ((*r2)->accepted, 1);
  EXPECT_EQ((*r2)->duplicates, std::vector<size_t>{0});
  EXPECT_EQ((*r3)->accepted, 1);
  EXPECT_EQ((*r3)->duplicates, std::vector<size_t>{1});
  EXPECT_EQ(seen_by_two, std::set<std::string>{customer_b_});
  EXPECT_EQ(Total(customer_a_, "api_calls"), 1 + 10 + 20 + 4000);
  EXPECT_EQ(Total(customer_b_, "api_calls"), 1000 + 300);
}

// A usage store that counts the period totals its writes read.
class CountingTotals : public metering::UsageStore {
 public:
  explicit CountingTotals(metering::UsageStore& inner) : inner_(inner) {}
  int reads() const { return reads_; }

  Result<metering::WriteOutcome> Write(const std::vector<metering::UsageEventRef>& events, TimePoint received,
                                       const metering::AfterWrite& after) override {
    if (!after) return inner_.Write(events, received, after);
    return inner_.Write(
        events, received,
        [&](storage::Executor& tx, const std::set<metering::RollupKey>& touched, const metering::TotalFn& total) {
          metering::TotalFn counted = [&](const std::string& customer_id, const std::string& metric, TimePoint from,
                                          TimePoint to) {
            ++reads_;
            return total(customer_id, metric, from, to);
          };
          return after(tx, touched, counted);
        });
  }
  Result<std::map<std::string, int64_t>> Totals(const std::string& customer_id, TimePoint from, TimePoint to) override {
    return inner_.Totals(customer_id, from, to);
  }
  Result<std::map<std::string, std::map<std::string, int64_t>>> TotalsForCustomers(
      const std::vector<std::string>& customer_ids, TimePoint from, TimePoint to) override {
    return inner_.TotalsForCustomers(customer_ids, from, to);
  }
  Result<std::vector<metering::RollupBucket>> Buckets(const std::string& customer_id, TimePoint from, TimePoint to,
                                                      std::chrono::milliseconds bucket) override {
    return inner_.Buckets(customer_id, from, to, bucket);
  }
  Result<Page<metering::StoredEvent>> ListEvents(const metering::EventFilter& filter,
                                                 const PageRequest& page) override {
    return inner_.ListEvents(filter, page);
  }
  Result<Audit> AuditMetric(const std::string& customer_id, const std::string& metric) override {
    return inner_.AuditMetric(customer_id, metric);
  }
  Status Ping() override { return inner_.Ping(); }
  const char* name() const override { return inner_.name(); }

 private:
  metering::UsageStore& inner_;
  int reads_ = 0;  // by the one writer thread
};

TEST_P(MeteringTest, AGroupReadsEachPeriodTotalOnceForAllItsRequests) {
  CountingTotals counting(*billingd_->app().usage_backend);
  metering::GroupCommitStore store(counting, {});
  TimePoint at = ClockNow() - std::chrono::minutes(1);
  TimePoint from = at - std::chrono::hours(24), to = at + std::chrono::hours(24);
  std::vector<metering::UsageEvent> first = {MakeEvent("t0", customer_a_, 1, at)};
  std::vector<metering::UsageEvent> one = {MakeEvent("t1", customer_a_, 10, at)};
  std::vector<metering::UsageEvent> two = {MakeEvent("t2", customer_a_, 100, at)};
  std::vector<int64_t> seen;
  std::mutex seen_mutex;
  metering::AfterWrite read_total = [&](storage::Executor&, const std::set<metering::RollupKey>&,
                                        const metering::TotalFn& total) -> Status {
    MTL_ASSIGN_OR_RETURN(int64_t used, total(customer_a_, "api_calls", from, to));
    std::lock_guard lock(seen_mutex);
    seen.push_back(used);
    return OkStatus();
  };
  WriterHold hold(store);
  std::optional<Result<metering::WriteOutcome>> r0, r1, r2;
  hold.Start(0, 1, [&] { r0 = store.Write(Refs(first), ClockNow(), hold.Until(1 + 1 + 1)); });
  hold.AwaitHolding();
  hold.Start(1, 1, [&] { r1 = store.Write(Refs(one), ClockNow(), read_total); });
  hold.Start(2, 1, [&] { r2 = store.Write(Refs(two), ClockNow(), read_total); });
  hold.Join();
  ASSERT_TRUE(r0->ok() && r1->ok() && r2->ok());
  EXPECT_EQ(store.Stats().commits, 2u) << "the two writes queued behind the first must share one commit";
  EXPECT_EQ(seen, (std::vector<int64_t>{111, 111})) << "both see the total with the whole group in it";
  EXPECT_EQ(counting.reads(), 1) << "one read of the period total for the group's two requests";
}

TEST_P(MeteringTest, AFullIngestionQueueRefusesWithRetryAfterAndNeverLosesWhatItTook) {
  metering::GroupCommitStore store(*billingd_->app().usage_backend, {.max_queued_events = 5});
  TimePoint at = ClockNow() - std::chrono::minutes(1);
  std::vector<metering::UsageEvent> first = {MakeEvent("q0", customer_a_, 1, at)};
  std::vector<metering::UsageEvent> second = {MakeEvent("q1", customer_a_, 1, at), MakeEvent("q2", customer_a_, 1, at),
                                              MakeEvent("q3", customer_a_, 1, at)};
  std::vector<metering::UsageEvent> too_many = {MakeEvent("q4", customer_a_, 1, at),
                                                MakeEvent("q5", customer_a_, 1, at)};
  WriterHold hold(store);
  std::atomic<bool> refused_seen{false};
  std::optional<Result<metering::WriteOutcome>> r0, r1;
  // The first write waits in its transaction until the refusal has been given.
  metering::AfterWrite wait_for_refusal = [&](storage::Executor&, const std::set<metering::RollupKey>&,
                                              const metering::TotalFn&) {
    while (!refused_seen) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return OkStatus();
  };
  hold.Start(0, 1, [&] { r0 = store.Write(Refs(first), ClockNow(), wait_for_refusal); });
  hold.Start(1, 3, [&] { r1 = store.Write(Refs(second), ClockNow(), nullptr); });
  auto refused = store.Write(Refs(too_many), ClockNow(), nullptr);
  refused_seen = true;
  hold.Join();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kRateLimited);
  EXPECT_EQ(refused.error().Reason(), "ingest_queue_full");
  EXPECT_EQ(refused.error().retry_after_seconds, 1);
  EXPECT_EQ(store.Stats().refused, 1u);
  ASSERT_TRUE(r0->ok() && r1->ok());
  EXPECT_EQ((*r0)->accepted + (*r1)->accepted, 4);
  // Once the queue is empty, a write larger than the bound still goes through.
  std::vector<metering::UsageEvent> large;
  for (int i = 0; i < 8; ++i) large.push_back(MakeEvent("big" + std::to_string(i), customer_a_, 1, at));
  auto big = store.Write(Refs(large), ClockNow(), nullptr);
  ASSERT_TRUE(big.ok()) << big.error().message;
  EXPECT_EQ(big->accepted, 8);
  EXPECT_EQ(Total(customer_a_, "api_calls"), 12);
}

TEST_P(MeteringTest, OneFailingWriteInAGroupDoesNotFailTheOthers) {
  metering::GroupCommitStore store(*billingd_->app().usage_backend, {});
  TimePoint at = ClockNow() - std::chrono::minutes(1);
  std::vector<metering::UsageEvent> first = {MakeEvent("f0", customer_a_, 1, at)};
  std::vector<metering::UsageEvent> failing = {MakeEvent("f1", customer_a_, 100, at)};
  std::vector<metering::UsageEvent> fine = {MakeEvent("f2", customer_b_, 7, at)};
  metering::AfterWrite fail = [](storage::Executor&, const std::set<metering::RollupKey>&, const metering::TotalFn&) {
    return Status(Internal("this request's alert could not be recorded"));
  };
  WriterHold hold(store);
  std::optional<Result<metering::WriteOutcome>> r0, r1, r2;
  hold.Start(0, 1, [&] { r0 = store.Write(Refs(first), ClockNow(), hold.Until(3)); });
  hold.Start(1, 1, [&] { r1 = store.Write(Refs(failing), ClockNow(), fail); });
  hold.Start(2, 1, [&] { r2 = store.Write(Refs(fine), ClockNow(), nullptr); });
  hold.Join();
  ASSERT_TRUE(r0->ok());
  ASSERT_FALSE(r1->ok());
  EXPECT_EQ(r1->error().message, "this request's alert could not be recorded");
  ASSERT_TRUE(r2->ok()) << r2->error().message;
  EXPECT_EQ(Total(customer_b_, "api_calls"), 7);
  if (AlertsCommitWithEvents()) {
    EXPECT_EQ((*r2)->accepted, 1);
    EXPECT_EQ(Total(customer_a_, "api_calls"), 1) << "the failed request's event must not be stored";
  } else {
    // ClickHouse and SQLite shard files commit the events before the alerts
    // (their headers say so): the retry reports the other request's event as
    // a duplicate, counted once.
    EXPECT_EQ((*r2)->accepted + static_cast<int64_t>((*r2)->duplicates.size()), 1);
    EXPECT_EQ(Total(customer_a_, "api_calls"), 101);
  }
}

INSTANTIATE_TEST_SUITE_P(Stores, MeteringTest, ::testing::ValuesIn(UsageStores()),
                         [](const auto& info) { return info.param.name; });

// A catalog with every aggregation and derived metrics: seats at their peak,
// storage at its latest value, requests counted from the api_calls events,
// EU impressions (a filter on a property) and EU video, whose event name no
// plain metric reads.
constexpr const char* kAggregationCatalog = R"({
  "metrics": [
    {"id": "impressions", "name": "Ad impressions", "unit": "impression",
     "overage_price": {"amount": "0.50", "per": 1000}},
    {"id": "impressions_eu", "name": "EU impressions", "unit": "impression", "event": "impressions",
     "filter": {"region": "eu"}, "overage_price": {"amount": "0.50", "per": 1000}},
    {"id": "api_calls", "name": "API calls", "unit": "call", "overage_price": {"amount": "0.10", "per": 1000}},
    {"id": "requests", "name": "Requests", "unit": "request", "event": "api_calls", "aggregation": "count",
     "overage_price": {"amount": "1.00", "per": 1000}},
    {"id": "seats", "name": "Seats", "unit": "seat", "aggregation": "max", "overage_price": {"amount": "10.00", "per": 1}},
    {"id": "storage", "name": "Storage", "unit": "GB", "aggregation": "last",
     "overage_price": {"amount": "0.25", "per": 1}},
    {"id": "video_eu", "name": "EU video", "unit": "view", "event": "video", "filter": {"region": "eu", "hd": true},
     "overage_price": {"amount": "1.00", "per": 1000}}
  ],
  "plans": [
    {"id": "starter", "name": "Starter", "currency": "USD", "base_fee": "49.00",
     "limits": {"impressions": 1000, "impressions_eu": 0, "api_calls": 1000, "requests": 0, "seats": 5, "storage": 10,
                "video_eu": 0},
     "charges": {"seats": {"model": "per_unit", "price": {"amount": "10.00", "per": 1}}}},
    {"id": "growth", "name": "Growth", "currency": "USD", "base_fee": "299.00",
     "limits": {"impressions": 1000, "impressions_eu": 0, "api_calls": 1000, "requests": 0, "seats": 5, "storage": 10,
                "video_eu": 0}}
  ]})";

class MeteringAggregationTest : public MeteringTest {
 protected:
  std::map<std::string, std::string> Env() override {
    std::ofstream(catalog_path_) << kAggregationCatalog;
    return {{"CATALOG_PATH", catalog_path_}};
  }
  std::string At(TimePoint t, const std::string& id, const std::string& metric, int64_t value,
                 const std::string& properties = "") const {
    return R"({"id":")" + id + R"(","customer_id":")" + customer_a_ + R"(","metric":")" + metric + R"(","value":)" +
           std::to_string(value) + R"(,"timestamp":")" + FormatIso8601(t) + "\"" +
           (properties.empty() ? "" : R"(,"properties":)" + properties) + "}";
  }
  // metric id -> its usage in the current period, from the API.
  std::map<std::string, int64_t> Usage() {
    HttpClient client(billingd_->base_url());
    HttpResult r = client.Get("/api/v1/billing/usage/current?customer_id=" + customer_a_, {platform_key_});
    EXPECT_EQ(r.status, 200) << r.body;
    std::map<std::string, int64_t> out;
    if (r.status != 200) return out;
    json::value body = json::parse(r.body);
    for (const auto& m : body.as_object().at("metrics").as_array()) {
      out[std::string(m.as_object().at("metric").as_string())] = m.as_object().at("usage").as_int64();
    }
    return out;
  }

  TempDir dir_{"mtl-aggregations"};
  std::string catalog_path_ = dir_.path() + "/catalog.json";
};

TEST_P(MeteringAggregationTest, EachMetricReadsItsEventsWithItsAggregation) {
  TimePoint hour = HourStart(ClockNow()) - std::chrono::hours(3);
  auto at = [&](int minutes) { return hour + std::chrono::minutes(minutes); };
  // The latest storage reading arrives first; older ones after it do not replace it.
  Send(Batch({At(at(150), "s3", "storage", 40)}), platform_key_);
  Send(Batch({At(at(10), "s1", "storage", 90), At(at(70), "s2", "storage", 60),
              // Two readings of one millisecond: the larger one is the latest.
              At(at(150), "s4", "storage", 45), At(at(150), "s5", "storage", 20), At(at(5), "p1", "seats", 3),
              At(at(65), "p2", "seats", 7), At(at(130), "p3", "seats", 5), At(at(1), "c1", "api_calls", 400),
              At(at(2), "c2", "api_calls", 0), At(at(90), "c3", "api_calls", 100),
              At(at(3), "i1", "impressions", 100, R"({"region":"eu"})"),
              At(at(4), "i2", "impressions", 200, R"({"region":"us"})"),
              At(at(75), "i3", "impressions", 50, R"({"region":"eu","app":"x"})"), At(at(76), "i4", "impressions", 25),
              At(at(6), "v1", "video", 9, R"({"region":"eu","hd":true})"),
              At(at(7), "v2", "video", 4, R"({"region":"eu","hd":"true"})")}),
       platform_key_);
  std::map<std::string, int64_t> expected = {
      {"impressions", 375}, {"impressions_eu", 150}, {"api_calls", 500}, {"requests", 3},
      {"seats", 7},         {"storage", 45},         {"video_eu", 9}};
  EXPECT_EQ(Usage(), expected);

  // Resending changes nothing: not the count, the peak or the latest value.
  auto resend =
      Send(Batch({At(at(160), "s3", "storage", 1), At(at(170), "p2", "seats", 70), At(at(1), "c1", "api_calls", 400),
                  At(at(3), "i1", "impressions", 100, R"({"region":"eu"})")}),
           platform_key_);
  EXPECT_EQ(resend.at("accepted").as_int64(), 0);
  EXPECT_EQ(Usage(), expected);

  // A derived metric's id is not an event name.
  auto refused = Send(Batch({At(at(8), "x1", "impressions_eu", 1)}), platform_key_);
  ASSERT_EQ(refused.at("rejected").as_array().size(), 1u);
  EXPECT_EQ(refused.at("rejected").as_array()[0].as_object().at("reason").as_string(),
            "unknown metric 'impressions_eu'");

  // Seats are priced at their peak: 7 x $10.00.
  HttpClient client(billingd_->base_url());
  HttpResult current = client.Get("/api/v1/billing/usage/current?customer_id=" + customer_a_, {platform_key_});
  json::value current_body = json::parse(current.body);
  for (const auto& m : current_body.as_object().at("metrics").as_array()) {
    if (m.as_object().at("metric").as_string() != "seats") continue;
    EXPECT_EQ(m.as_object().at("aggregation").as_string(), "max");
    EXPECT_EQ(m.as_object().at("overage_amount").as_object().at("minor").as_int64(), 7000);
  }

  // History: each hour's value under the metric's aggregation, and a day's.
  std::string range = "&from=" + FormatIso8601(hour) + "&to=" + FormatIso8601(hour + std::chrono::hours(3));
  for (const char* granularity : {"hour", "day"}) {
    HttpResult r = client.Get(
        "/api/v1/billing/usage/history?granularity=" + std::string(granularity) + "&customer_id=" + customer_a_ + range,
        {platform_key_});
    ASSERT_EQ(r.status, 200) << r.body;
    std::map<std::string, std::vector<int64_t>> series;
    json::value body = json::parse(r.body);
    for (const auto& s : body.as_object().at("series").as_array()) {
      auto& values = series[std::string(s.as_object().at("metric").as_string())];
      for (const auto& p : s.as_object().at("points").as_array())
        values.push_back(p.as_object().at("value").as_int64());
    }
    if (std::string(granularity) == "hour") {
      EXPECT_EQ(series["seats"], (std::vector<int64_t>{3, 7, 5}));
      EXPECT_EQ(series["storage"], (std::vector<int64_t>{90, 60, 45}));
      EXPECT_EQ(series["requests"], (std::vector<int64_t>{2, 1}));
      EXPECT_EQ(series["impressions_eu"], (std::vector<int64_t>{100, 50}));
    } else if (series["seats"].size() == 1) {  // the three hours fall in one UTC day
      EXPECT_EQ(series["seats"], std::vector<int64_t>{7});
      EXPECT_EQ(series["storage"], std::vector<int64_t>{45});
      EXPECT_EQ(series["requests"], std::vector<int64_t>{3});
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Stores, MeteringAggregationTest, ::testing::ValuesIn(UsageStores()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace meterline::testing
