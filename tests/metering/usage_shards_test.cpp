// Sharded usage on SQLite (metering/usage_shards.hpp): usage moves to where
// USAGE_SHARDS puts it when that changes — from the main file into shards,
// between shard counts, back into the main file — keeping every event, its
// dedupe and its rollups; an interrupted move finishes on the next start.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "metering/usage_shards.hpp"
#include "storage/sqlite/usage_shard_files.hpp"
#include "support/billingd_harness.hpp"

namespace meterline::testing {
namespace {

constexpr int kCustomers = 8;
constexpr int kEventsPerCustomer = 30;

class UsageShardsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    database_ = TestDatabase::Create(storage::Backend::kSqlite);
    db_path_ = database_->url().substr(std::string("sqlite:").size());
  }

  std::unique_ptr<BillingdHarness> Start(int shards, std::map<std::string, std::string> env = {}) {
    env["USAGE_SHARDS"] = std::to_string(shards);
    return std::make_unique<BillingdHarness>(BillingdHarness::Options{.env = env, .shared_database = database_.get()});
  }

  void CreateCustomers(app::App& app) {
    for (int k = 0; k < kCustomers; ++k) {
      customers_.push_back(
          app.customers->Create({"C" + std::to_string(k), "", "DE", "EUR"}, "test", auth::RequestOrigin{"", "test"})
              ->id);
    }
  }

  // Customer k's events: value k + 1 each, a minute apart over the last hours.
  std::vector<metering::UsageEvent> EventsOf(int k) const {
    std::vector<metering::UsageEvent> out;
    for (int i = 0; i < kEventsPerCustomer; ++i) {
      out.push_back({"e" + std::to_string(i), customers_[static_cast<size_t>(k)], "api_calls", k + 1,
                     now_ - std::chrono::minutes(2 * i + 1), ""});
    }
    return out;
  }

  // Writes each customer's events; returns how many the store took as new.
  int64_t WriteAll(app::App& app) {
    int64_t accepted = 0;
    for (int k = 0; k < kCustomers; ++k) {
      auto events = EventsOf(k);
      std::vector<metering::UsageEventRef> refs(events.begin(), events.end());
      auto written = app.usage_store->Write(refs, now_, {});
      EXPECT_TRUE(written.ok()) << written.error().message;
      if (written.ok()) accepted += written->accepted;
    }
    return accepted;
  }

  // Every customer's usage is whole, in its place under `shards`, and only there.
  void ExpectPlaced(app::App& app, int shards) {
    for (int k = 0; k < kCustomers; ++k) {
      const std::string& customer = customers_[static_cast<size_t>(k)];
      auto audit = app.usage_store->AuditMetric(customer, "api_calls");
      ASSERT_TRUE(audit.ok()) << audit.error().message;
      EXPECT_EQ(audit->events, kEventsPerCustomer) << customer;
      EXPECT_EQ(audit->event_total, int64_t{kEventsPerCustomer} * (k + 1)) << customer;
      EXPECT_EQ(audit->rollup_total, audit->event_total) << customer;
    }
    std::vector<std::pair<int, std::string>> files = storage::ExistingUsageShards(db_path_);
    ASSERT_EQ(files.size(), static_cast<size_t>(shards));
    auto main_rows = database_->db().Execute(
        "SELECT (SELECT COUNT(*) FROM usage_events) + "
        "(SELECT COUNT(*) FROM usage_rollups_hourly)");
    if (shards == 0) {
      EXPECT_EQ(main_rows->rows[0].Int(0),
                static_cast<int64_t>(kCustomers) * kEventsPerCustomer + CountRollups(database_->db()));
      return;
    }
    EXPECT_EQ(main_rows->rows[0].Int(0), 0) << "usage left in the main file";
    for (const auto& [index, path] : files) {
      auto shard = storage::Database::Open({.url = "sqlite:" + path});
      ASSERT_TRUE(shard.ok());
      auto rows = (*shard)->Execute("SELECT customer_id, COUNT(*) FROM usage_events GROUP BY customer_id");
      for (const auto& row : rows->rows) {
        EXPECT_EQ(metering::ShardOf(row.Text(0), shards), index) << row.Text(0) << " in the wrong file";
      }
      auto recorded = (*shard)->Execute("SELECT shards FROM usage_shard");
      EXPECT_EQ(recorded->rows[0].Int(0), shards);
    }
  }

  static int64_t CountRollups(storage::Database& db) {
    return db.Execute("SELECT COUNT(*) FROM usage_rollups_hourly")->rows[0].Int(0);
  }

  std::unique_ptr<TestDatabase> database_;
  std::string db_path_;
  std::vector<std::string> customers_;
  TimePoint now_ = SystemClock().Now();
};

TEST_F(UsageShardsTest, UsageFollowsTheShardCountAndStaysExactlyOnce) {
  {
    auto billingd = Start(0);
    CreateCustomers(billingd->app());
    EXPECT_EQ(WriteAll(billingd->app()), int64_t{kCustomers} * kEventsPerCustomer);
    ExpectPlaced(billingd->app(), 0);
  }
  for (int shards : {2, 3, 1, 0, 2}) {
    SCOPED_TRACE("USAGE_SHARDS=" + std::to_string(shards));
    auto billingd = Start(shards);
    ExpectPlaced(billingd->app(), shards);
    // Moved events still deduplicate: every resend is a duplicate.
    EXPECT_EQ(WriteAll(billingd->app()), 0);
  }
}

TEST_F(UsageShardsTest, AnInterruptedMoveFinishesOnTheNextStart) {
  {
    auto billingd = Start(0);
    CreateCustomers(billingd->app());
    WriteAll(billingd->app());
  }
  // As a crash mid-move leaves it: half of customer 0's events already copied
  // into its shard (no rollups yet), all of them still in the main file.
  {
    auto shards = metering::OpenUsageShards(db_path_, 2, {});
    ASSERT_TRUE(shards.ok()) << shards.error().message;
    auto& shard = *(*shards)[static_cast<size_t>(metering::ShardOf(customers_[0], 2))];
    auto copied = shard.Execute(
        "INSERT INTO usage_events (customer_id, event_id, metric, value, occurred_at, received_at) VALUES "
        "($1, 'e0', 'api_calls', 1, $2, $2), ($1, 'e1', 'api_calls', 1, $2, $2)",
        {customers_[0], ToUnixMillis(now_)});
    ASSERT_TRUE(copied.ok()) << copied.error().message;
  }
  auto billingd = Start(2);
  ExpectPlaced(billingd->app(), 2);
}

TEST_F(UsageShardsTest, WithoutMigrateOnStartAMisplacedLayoutRefusesToStart) {
  { auto billingd = Start(2); }
  try {
    auto billingd = Start(3, {{"MIGRATE_ON_START", "false"}});
    FAIL() << "started with usage laid out for 2 shards and USAGE_SHARDS=3";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("billingd migrate"), std::string::npos) << e.what();
  }
  auto billingd = Start(3);  // migrating on start (the development default) places it
  EXPECT_EQ(storage::ExistingUsageShards(db_path_).size(), 3u);
}

// Moving usage needs the layout lock alone: while another billingd uses the
// files (holding it shared), a start that would move them refuses.
TEST_F(UsageShardsTest, UsageIsNotMovedWhileAnotherInstanceUsesTheFiles) {
  auto running = Start(2);
  try {
    auto second = Start(3);
    FAIL() << "moved usage under a running instance";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("another billingd process is using the usage files"), std::string::npos)
        << e.what();
  }
  EXPECT_EQ(storage::ExistingUsageShards(db_path_).size(), 2u) << "nothing moved";
  auto same_layout = Start(2);  // the same layout: shared, no move
  running.reset();
  same_layout.reset();
  auto alone = Start(3);
  EXPECT_EQ(storage::ExistingUsageShards(db_path_).size(), 3u);
}

}  // namespace
}  // namespace meterline::testing
