// Migrations, run once per backend.
#include "storage/migrator.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include <thread>

#include "support/test_database.hpp"

namespace meterline::storage {
namespace {

using testing::TestDatabase;

class MigratorTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override { test_db_ = TestDatabase::Create(GetParam()); }
  Database& db() { return test_db_->db(); }
  std::unique_ptr<TestDatabase> test_db_;
};

TEST_P(MigratorTest, AppliesEverythingOnceAndReportsIt) {
  Migrator migrator(db());
  auto before = migrator.Status();
  ASSERT_TRUE(before.ok()) << before.error().message;
  ASSERT_GE(before->size(), 2u);
  EXPECT_EQ(before->front().name, "0001_init.sql");
  EXPECT_FALSE(before->front().applied);
  EXPECT_FALSE(migrator.CheckCurrent().ok());

  std::vector<std::string> seen;
  auto applied = migrator.Apply([&](const MigrationStatus& m) { seen.push_back(m.name); });
  ASSERT_TRUE(applied.ok()) << applied.error().message;
  EXPECT_EQ(*applied, static_cast<int>(before->size()));
  EXPECT_EQ(seen.front(), "0001_init.sql");
  EXPECT_TRUE(migrator.CheckCurrent().ok());

  auto again = migrator.Apply();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0);
  auto after = migrator.Status();
  for (const auto& m : *after) {
    EXPECT_TRUE(m.applied) << m.name;
    EXPECT_TRUE(m.checksum_ok) << m.name;
    EXPECT_FALSE(m.applied_at.empty());
  }
}

TEST_P(MigratorTest, EditedMigrationStopsEverything) {
  Migrator migrator(db());
  ASSERT_TRUE(migrator.Apply().ok());
  ASSERT_TRUE(db().Execute("UPDATE schema_migrations SET checksum = $1 WHERE version = 1", {"edited"}).ok());
  auto apply = migrator.Apply();
  ASSERT_FALSE(apply.ok());
  EXPECT_EQ(apply.error().Reason(), "migration_checksum_mismatch");
  EXPECT_NE(apply.error().message.find("0001_init.sql"), std::string::npos);
  Status current = migrator.CheckCurrent();
  ASSERT_FALSE(current.ok());
  EXPECT_EQ(current.error().Reason(), "migration_checksum_mismatch");
  auto status = migrator.Status();
  EXPECT_FALSE(status->front().checksum_ok);
}

TEST_P(MigratorTest, UnknownAppliedVersionIsRefused) {
  Migrator migrator(db());
  ASSERT_TRUE(migrator.Apply().ok());
  ASSERT_TRUE(db().Execute("INSERT INTO schema_migrations (version, name, checksum, applied_at) "
                           "VALUES (9999, '9999_future.sql', 'x', 0)")
                  .ok());
  auto apply = migrator.Apply();
  ASSERT_FALSE(apply.ok());
  EXPECT_EQ(apply.error().Reason(), "unknown_migration");
}

// Rolling upgrades (docs/operations.md): the previous release keeps running
// against this release's schema when every migration it does not know is an
// expand step marked compatible with it; a contract step (or an unmarked
// migration) makes it refuse and say to upgrade billingd.
TEST_P(MigratorTest, AnOlderReleaseRunsWithTheExpandStepsOfANewerOne) {
  auto markers = Migrator::Markers(GetParam());
  ASSERT_GE(markers.size(), 23u);
  int latest = std::stoi(markers.back().first);
  // The newest expand step: the release before it runs with it applied.
  auto expand = std::find_if(markers.rbegin(), markers.rend(), [](const auto& m) { return m.second.release; });
  ASSERT_NE(expand, markers.rend());
  int expand_version = std::stoi(expand->first);
  ASSERT_TRUE(Migrator(db()).Apply({}, expand_version).ok());
  Migrator previous(db(), expand_version - 1);
  EXPECT_TRUE(previous.CheckCurrent().ok()) << previous.CheckCurrent().error().message;
  auto nothing = previous.Apply();
  ASSERT_TRUE(nothing.ok()) << nothing.error().message;
  EXPECT_EQ(*nothing, 0);
  auto listed = previous.Status();
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(static_cast<int>(listed->size()), expand_version - 1);

  Migrator current(db());
  ASSERT_TRUE(current.Apply().ok());
  // A contract step after it ("none"): the release before it refuses and says to upgrade.
  for (const auto& [version, marker] : markers) {
    if (std::stoi(version) <= expand_version || marker.release) continue;
    Migrator before(db(), std::stoi(version) - 1);
    Status refused = before.CheckCurrent();
    ASSERT_FALSE(refused.ok()) << version;
    EXPECT_NE(refused.error().message.find("upgrade billingd"), std::string::npos) << refused.error().message;
  }
  EXPECT_TRUE(current.CheckCurrent().ok());
  EXPECT_EQ(static_cast<int>(current.Status()->size()), latest);

  // A release before 0022 meets 0022, which declares nothing: it refuses, and says to upgrade.
  Migrator older(db(), 21);
  Status refused = older.CheckCurrent();
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().Reason(), "unknown_migration");
  EXPECT_NE(refused.error().message.find("0022_hosted_invoice_url.sql"), std::string::npos) << refused.error().message;
  EXPECT_NE(refused.error().message.find("upgrade billingd"), std::string::npos);
  EXPECT_FALSE(older.Apply().ok());

  // A newer release's contract step ("none") is never run with.
  ASSERT_TRUE(db().Execute("INSERT INTO schema_migrations (version, name, checksum, applied_at, compatible_with) "
                           "VALUES (9998, '9998_expand.sql', 'x', 0, $1)",
                           {int64_t{latest}})
                  .ok());
  EXPECT_TRUE(current.CheckCurrent().ok()) << "a newer expand step is ignored by this release";
  ASSERT_TRUE(db().Execute("INSERT INTO schema_migrations (version, name, checksum, applied_at) "
                           "VALUES (9999, '9999_contract.sql', 'x', 0)")
                  .ok());
  Status contract = current.CheckCurrent();
  ASSERT_FALSE(contract.ok());
  EXPECT_NE(contract.error().message.find("9999_contract.sql"), std::string::npos);
}

TEST(MigrationMarkers, EveryMigrationFromRollingUpgradesOnDeclaresItsCompatibility) {
  // From 0023 on each migration says which older release may run with it
  // (`-- compatible_with: NNNN` or `none`), the same on both backends.
  auto sqlite = Migrator::Markers(Backend::kSqlite);
  auto postgres = Migrator::Markers(Backend::kPostgres);
  ASSERT_EQ(sqlite.size(), postgres.size());
  for (size_t i = 0; i < sqlite.size(); ++i) {
    EXPECT_EQ(sqlite[i].first, postgres[i].first);
    EXPECT_EQ(sqlite[i].second.release, postgres[i].second.release) << sqlite[i].first;
    if (std::stoi(sqlite[i].first) >= 23) {
      EXPECT_TRUE(sqlite[i].second.declared) << sqlite[i].first;
    }
    if (sqlite[i].second.release) {
      EXPECT_LT(*sqlite[i].second.release, std::stoi(sqlite[i].first)) << "compatible with an older release only";
    }
  }
}

TEST_P(MigratorTest, ConcurrentMigratorsApplyEachFileOnce) {
  auto other = test_db_->OpenAnother();
  Result<int> first = 0, second = 0;
  std::thread a([&] { first = Migrator(db()).Apply(); });
  std::thread b([&] { second = Migrator(*other).Apply(); });
  a.join();
  b.join();
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_TRUE(second.ok()) << second.error().message;
  auto total = Migrator(db()).Status();
  EXPECT_EQ(*first + *second, static_cast<int>(total->size()));
  auto rows = db().Execute("SELECT version, COUNT(*) FROM schema_migrations GROUP BY version HAVING COUNT(*) > 1");
  EXPECT_TRUE(rows->rows.empty());
}

TEST_P(MigratorTest, SpecTablesExistWithTheirConstraints) {
  ASSERT_TRUE(Migrator(db()).Apply().ok());
  for (const char* table :
       {"customers", "plans", "subscriptions", "invoices", "invoice_line_items", "billing_audit", "billing_idempotency",
        "usage_alerts", "events", "stripe_webhook_events", "users", "api_keys"}) {
    auto r = db().Execute(std::string("SELECT COUNT(*) FROM ") + table);
    EXPECT_TRUE(r.ok()) << table << ": " << (r.ok() ? "" : r.error().message);
  }
  const char* insert =
      "INSERT INTO stripe_webhook_events (stripe_event_id, type, payload, event_created, created_at) "
      "VALUES ($1, 'invoice.paid', '{}', 1, 1)";
  ASSERT_TRUE(db().Execute(insert, {"evt_1"}).ok());
  auto duplicate = db().Execute(insert, {"evt_1"});
  ASSERT_FALSE(duplicate.ok());
  EXPECT_EQ(duplicate.error().code, ErrorCode::kConflict);
  auto bad_status =
      db().Execute("INSERT INTO customers (id, name, created_at, updated_at) VALUES ('cus_1', 'A', 1, 1)");
  ASSERT_TRUE(bad_status.ok());
  auto bad_invoice = db().Execute(
      "INSERT INTO invoices (id, customer_id, period_start, period_end, status, currency, created_at, updated_at) "
      "VALUES ('inv_1', 'cus_1', 0, 1, 'bogus', 'USD', 1, 1)");
  EXPECT_FALSE(bad_invoice.ok());
}

// Rollups written before 0015 (sums and counts only) gain the peak and the
// latest value of their hour from the events, which are all kept.
TEST_P(MigratorTest, RollupsFromBeforeAggregationsAreFilledFromTheirEvents) {
  ASSERT_TRUE(Migrator(db()).Apply({}, 14).ok());
  ASSERT_TRUE(db().Execute("INSERT INTO customers (id, name, country, currency, created_at, updated_at) "
                           "VALUES ('cus_old', 'Old Ads', 'US', 'USD', 0, 0)")
                  .ok());
  // Hour 0: 5 at 1 s, 9 at 2 s, 3 and 7 at 3 s (a tie: the larger is the latest); hour 1: 4.
  struct Event {
    const char* id;
    int64_t value, at_ms;
  };
  for (const Event& e :
       std::vector<Event>{{"e1", 5, 1000}, {"e2", 9, 2000}, {"e3", 3, 3000}, {"e4", 7, 3000}, {"e5", 4, 3'600'000}}) {
    ASSERT_TRUE(
        db().Execute("INSERT INTO usage_events (customer_id, event_id, metric, value, occurred_at, received_at) "
                     "VALUES ('cus_old', $1, 'seats', $2, $3, 0)",
                     {e.id, e.value, e.at_ms})
            .ok());
  }
  ASSERT_TRUE(db().Execute("INSERT INTO usage_rollups_hourly (customer_id, metric, hour_start, total, events) "
                           "VALUES ('cus_old', 'seats', 0, 24, 4), ('cus_old', 'seats', 3600000, 4, 1)")
                  .ok());
  auto rest = Migrator(db()).Apply();
  ASSERT_TRUE(rest.ok()) << rest.error().message;
  auto rows = db().Execute(
      "SELECT hour_start, total, events, peak, latest, latest_at FROM usage_rollups_hourly "
      "ORDER BY hour_start");
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  ASSERT_EQ(rows->rows.size(), 2u);
  std::vector<int64_t> first, second;
  for (int c = 0; c < 6; ++c) first.push_back(rows->rows[0].Int(c));
  for (int c = 0; c < 6; ++c) second.push_back(rows->rows[1].Int(c));
  EXPECT_EQ(first, (std::vector<int64_t>{0, 24, 4, 9, 7, 3000}));
  EXPECT_EQ(second, (std::vector<int64_t>{3'600'000, 4, 1, 4, 4, 3'600'000}));
}

// Migration 0026 (SQLite: usage_events rebuilt WITHOUT ROWID) keeps every
// stored event, its dedupe and the time order of the list.
TEST_P(MigratorTest, UsageEventsKeepTheirRowsAndDedupeThroughTheWithoutRowidRebuild) {
  ASSERT_TRUE(Migrator(db()).Apply({}, 25).ok());
  ASSERT_TRUE(db().Execute("INSERT INTO customers (id, name, country, currency, created_at, updated_at) "
                           "VALUES ('cus_old', 'Old Ads', 'US', 'USD', 0, 0), ('cus_two', 'Two', 'US', 'USD', 0, 0)")
                  .ok());
  for (int i = 0; i < 500; ++i) {
    ASSERT_TRUE(
        db().Execute("INSERT INTO usage_events (customer_id, event_id, metric, value, occurred_at, received_at, "
                     "properties) VALUES ($1, $2, 'impressions', $3, $4, 7, $5)",
                     {std::string(i % 2 == 0 ? "cus_old" : "cus_two"), "evt-" + std::to_string(i), int64_t{i},
                      int64_t{1000} * (i / 10), i % 3 == 0 ? storage::Value("{\"a\":1}") : storage::Value(nullptr)})
            .ok());
  }
  auto before = db().Execute(
      "SELECT customer_id, event_id, metric, value, occurred_at, received_at, properties FROM usage_events "
      "ORDER BY customer_id, event_id");
  ASSERT_TRUE(before.ok());
  auto rest = Migrator(db()).Apply();
  ASSERT_TRUE(rest.ok()) << rest.error().message;
  auto after = db().Execute(
      "SELECT customer_id, event_id, metric, value, occurred_at, received_at, properties FROM usage_events "
      "ORDER BY customer_id, event_id");
  ASSERT_TRUE(after.ok());
  ASSERT_EQ(after->rows.size(), 500u);
  for (size_t r = 0; r < after->rows.size(); ++r) {
    for (size_t c = 0; c < 7; ++c) {
      EXPECT_EQ(after->rows[r].OptText(c), before->rows[r].OptText(c)) << r << "," << c;
    }
  }
  auto again = db().Execute(
      "INSERT INTO usage_events (customer_id, event_id, metric, value, occurred_at, received_at) "
      "VALUES ('cus_old', 'evt-0', 'impressions', 1, 0, 0)");
  ASSERT_FALSE(again.ok()) << "the key still dedupes";
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  if (GetParam() == Backend::kSqlite) {
    EXPECT_FALSE(db().Execute("SELECT rowid FROM usage_events LIMIT 1").ok()) << "a WITHOUT ROWID table";
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, MigratorTest, ::testing::ValuesIn(testing::TestBackends()),
                         [](const auto& info) { return testing::BackendParamName(info.param); });

}  // namespace
}  // namespace meterline::storage
