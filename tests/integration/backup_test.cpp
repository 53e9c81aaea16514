// Backups of the embedded database while billingd serves: a client streams
// usage batches; `billingd backup` copies the database in the middle of it;
// the copy, restored in place of the database, holds every batch
// acknowledged before the backup began (and nothing half-written), passes
// its checksum, and a damaged copy is refused. With usage shard files beside
// the database, the backup is one file holding their usage, and a restore
// removes the shards it replaces.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "core/clock.hpp"
#include "storage/database.hpp"
#include "storage/migrator.hpp"
#include "storage/sqlite/sqlite_backup.hpp"
#include "storage/sqlite/usage_shard_files.hpp"
#include "support/child_process.hpp"
#include "support/http_client.hpp"
#include "support/temp_dir.hpp"
#include "support/usage_batches.hpp"

namespace meterline::testing {
namespace {

namespace fs = std::filesystem;

constexpr int kEventsPerBatch = 100;

std::string BatchBody(int batch, const std::string& customer) {
  return UsageBatchBody(batch, customer, kEventsPerBatch);
}

std::unique_ptr<storage::Database> OpenSqlite(const std::string& path) {
  auto db = storage::Database::Open({.url = "sqlite:" + path});
  EXPECT_TRUE(db.ok()) << path;
  return db.ok() ? std::move(*db) : nullptr;
}

void Sql(storage::Executor& db, const std::string& sql, const std::vector<storage::Value>& params = {}) {
  auto r = db.Execute(sql, params);
  ASSERT_TRUE(r.ok()) << sql << ": " << r.error().message;
}

// A shard file as the sharded store lays it out, holding `events` (value
// each) of `customer` in one hour and their rollup.
std::unique_ptr<storage::Database> MakeShard(const std::string& path, int shard, const std::string& customer,
                                             const std::vector<int64_t>& values) {
  auto db = OpenSqlite(path);
  if (!db) return nullptr;
  Sql(*db,
      "CREATE TABLE usage_events (customer_id TEXT NOT NULL, event_id TEXT NOT NULL, metric TEXT NOT NULL, "
      "value BIGINT NOT NULL, occurred_at BIGINT NOT NULL, received_at BIGINT NOT NULL, properties TEXT, "
      "PRIMARY KEY (customer_id, event_id)) WITHOUT ROWID");
  Sql(*db,
      "CREATE TABLE usage_rollups_hourly (customer_id TEXT NOT NULL, metric TEXT NOT NULL, "
      "hour_start BIGINT NOT NULL, total BIGINT NOT NULL, events BIGINT NOT NULL, peak BIGINT NOT NULL, "
      "latest BIGINT NOT NULL, latest_at BIGINT NOT NULL, PRIMARY KEY (customer_id, metric, hour_start))");
  Sql(*db,
      "CREATE TABLE usage_shard (id INTEGER PRIMARY KEY CHECK (id = 1), shards INTEGER NOT NULL, "
      "shard INTEGER NOT NULL)");
  Sql(*db, "INSERT INTO usage_shard (id, shards, shard) VALUES (1, 2, $1)", {int64_t{shard}});
  constexpr int64_t kHour = 1767225600000;  // 2026-01-01T00:00:00Z
  int64_t total = 0, peak = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    int64_t at = kHour + 1000 * static_cast<int64_t>(i);
    Sql(*db,
        "INSERT INTO usage_events (customer_id, event_id, metric, value, occurred_at, received_at, properties) "
        "VALUES ($1, $2, 'api_calls', $3, $4, $4, $5)",
        {customer, "e" + std::to_string(i), values[i], at, std::string(R"({"shard":)") + std::to_string(shard) + "}"});
    total += values[i];
    peak = std::max(peak, values[i]);
  }
  Sql(*db,
      "INSERT INTO usage_rollups_hourly (customer_id, metric, hour_start, total, events, peak, latest, latest_at) "
      "VALUES ($1, 'api_calls', $2, $3, $4, $5, $6, $7)",
      {customer, kHour, total, static_cast<int64_t>(values.size()), peak, values.back(),
       kHour + 1000 * static_cast<int64_t>(values.size() - 1)});
  return db;
}

// "customer events sum" per customer, and the rollups, as text to compare whole.
std::string UsageSummary(storage::Database& db) {
  std::string out;
  auto events = db.Execute(
      "SELECT customer_id, COUNT(*), SUM(value), MIN(properties) FROM usage_events GROUP BY customer_id "
      "ORDER BY customer_id");
  if (!events.ok()) return "error: " + events.error().message;
  for (const auto& row : events->rows) {
    out += "events " + row.Text(0) + " " + row.Text(1) + " " + row.Text(2) + " " + row.Text(3) + "\n";
  }
  auto rollups = db.Execute(
      "SELECT customer_id, metric, hour_start, total, events, peak, latest, latest_at FROM usage_rollups_hourly "
      "ORDER BY customer_id, metric, hour_start");
  if (!rollups.ok()) return "error: " + rollups.error().message;
  for (const auto& row : rollups->rows) {
    out += "rollup";
    for (size_t i = 0; i < row.size(); ++i) out += " " + row.Text(i);
    out += "\n";
  }
  return out;
}

TEST(BackupTest, UsageShardsAreFoldedIntoTheBackupAndRemovedByARestore) {
  TempDir tmp("mtl_backup_shards");
  std::string db_path = tmp.path() + "/data/meterline.db";
  auto main = OpenSqlite(db_path);
  ASSERT_TRUE(main);
  storage::Migrator migrator(*main);
  ASSERT_TRUE(migrator.Apply().ok());
  for (const char* id : {"cus_a", "cus_b"}) {
    Sql(*main, "INSERT INTO customers (id, name, created_at, updated_at) VALUES ($1, $1, 0, 0)", {std::string(id)});
  }
  // Shard 0 stays open: its rows are still in its write-ahead log.
  auto shard0 = MakeShard(storage::UsageShardPath(db_path, 0), 0, "cus_a", {1, 2, 3});
  ASSERT_TRUE(shard0);
  auto shard1 = MakeShard(storage::UsageShardPath(db_path, 1), 1, "cus_b", {10, 20});
  ASSERT_TRUE(shard1);
  // Usage of a customer the main database does not hold (one created after
  // the backup copied it): left out, or the copy would break its foreign keys.
  Sql(*shard1,
      "INSERT INTO usage_events (customer_id, event_id, metric, value, occurred_at, received_at, properties) "
      "VALUES ('cus_late', 'e0', 'api_calls', 5, $1, $1, '{}')",
      {int64_t{1767225600000}});
  Sql(*shard1,
      "INSERT INTO usage_rollups_hourly (customer_id, metric, hour_start, total, events, peak, latest, latest_at) "
      "VALUES ('cus_late', 'api_calls', $1, 5, 1, 5, 5, $1)",
      {int64_t{1767225600000}});
  shard1.reset();
  ASSERT_EQ(storage::ExistingUsageShards(db_path).size(), 2u);
  const std::string expected =
      "events cus_a 3 6 {\"shard\":0}\n"
      "events cus_b 2 30 {\"shard\":1}\n"
      "rollup cus_a api_calls 1767225600000 6 3 3 3 1767225602000\n"
      "rollup cus_b api_calls 1767225600000 30 2 20 20 1767225601000\n";

  std::string file = tmp.path() + "/backup.db";
  auto made = storage::BackupSqlite(db_path, file);
  ASSERT_TRUE(made.ok()) << made.error().message;
  EXPECT_FALSE(std::filesystem::exists(file + ".partial"));
  ASSERT_TRUE(storage::VerifySqliteBackup(file).ok());
  {
    // Read a copy: opening the backup itself would turn on WAL and change it.
    std::string look = tmp.path() + "/look.db";
    std::filesystem::copy_file(file, look);
    auto copy = OpenSqlite(look);
    ASSERT_TRUE(copy);
    EXPECT_EQ(UsageSummary(*copy), expected) << "the backup holds every shard's usage";
    auto orphans = copy->Execute("PRAGMA foreign_key_check");
    ASSERT_TRUE(orphans.ok()) << orphans.error().message;
    EXPECT_TRUE(orphans->rows.empty()) << orphans->rows.front().Text(0);
  }
  EXPECT_EQ(storage::ExistingUsageShards(db_path).size(), 2u) << "the backup leaves the shards alone";
  auto left = shard0->Execute("SELECT COUNT(*) FROM usage_events");
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(left->rows[0].Int(0), 3);

  // A shard that cannot be read fails the backup, naming it, and leaves no file.
  {
    std::ofstream(storage::UsageShardPath(db_path, 2)) << std::string(4096, 'x');
    std::string broken = tmp.path() + "/broken.db";
    auto refused = storage::BackupSqlite(db_path, broken);
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.error().message.find(storage::UsageShardPath(db_path, 2)), std::string::npos)
        << refused.error().message;
    EXPECT_FALSE(std::filesystem::exists(broken));
    EXPECT_FALSE(std::filesystem::exists(broken + ".partial"));
  }
  shard0.reset();
  main.reset();

  // Restore into a data directory with an old database and stale shards.
  std::string target = tmp.path() + "/restore/meterline.db";
  std::filesystem::create_directories(tmp.path() + "/restore");
  std::vector<std::string> stale = {target, target + "-wal"};
  for (int index : {0, 3}) {
    std::string shard = storage::UsageShardPath(target, index);
    for (const std::string& path : {shard, shard + "-wal", shard + "-shm"}) stale.push_back(path);
  }
  std::string unrelated = tmp.path() + "/restore/meterline-usage-notes.txt";
  stale.push_back(unrelated);
  for (const auto& path : stale) std::ofstream(path) << "stale";
  ASSERT_EQ(storage::ExistingUsageShards(target).size(), 2u);
  auto restored = storage::RestoreSqlite(file, target);
  ASSERT_TRUE(restored.ok()) << restored.error().message;
  for (const auto& path : stale) {
    if (path == target || path == unrelated) continue;
    EXPECT_FALSE(std::filesystem::exists(path)) << path << " should have been removed";
  }
  EXPECT_TRUE(std::filesystem::exists(unrelated)) << "only shard files are removed";
  EXPECT_TRUE(storage::ExistingUsageShards(target).empty());
  auto back = OpenSqlite(target);
  ASSERT_TRUE(back);
  EXPECT_EQ(UsageSummary(*back), expected) << "the restored database holds the usage";
  auto customers = back->Execute("SELECT COUNT(*) FROM customers");
  ASSERT_TRUE(customers.ok());
  EXPECT_EQ(customers->rows[0].Int(0), 2);
}

TEST(BackupTest, ABackupUnderIngestionHoldsEveryAcknowledgedEventAndRestores) {
  fs::path dir = fs::temp_directory_path() / ("mtl_backup_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir / "data");
  std::map<std::string, std::string> env = {
      {"DATA_DIR", (dir / "data").string()}, {"CONSOLE_DIR", "/nonexistent"}, {"RATE_LIMITS", "ingest=1000000/1m"}};
  RunResult customer = RunBillingd({"customer", "create", "--name", "Backup Corp"}, env);
  ASSERT_EQ(customer.exit_code, 0) << customer.err;
  std::string customer_id = customer.out.substr(0, customer.out.find('\n'));
  ASSERT_EQ(RunBillingd({"subscription", "create", "--customer", customer_id, "--plan", "enterprise"}, env).exit_code,
            0);
  RunResult key = RunBillingd({"apikey", "create", "--name", "backup", "--role", "service"}, env);
  ASSERT_EQ(key.exit_code, 0);
  std::string auth = "Authorization: Bearer " + key.out.substr(0, key.out.find('\n'));

  ChildProcess billingd(BillingdPath(), {"serve", "--port", "0", "--host", "127.0.0.1"}, env);
  auto port = billingd.WaitForListeningPort(std::chrono::seconds(15));
  ASSERT_TRUE(port.has_value()) << billingd.Stderr();
  std::atomic<bool> stop{false};
  std::atomic<int> acknowledged{0};  // batches 0..acknowledged-1 answered 200, in order
  std::thread client([&] {
    HttpClient http("http://127.0.0.1:" + std::to_string(*port));
    http.set_timeout_ms(10000);
    for (int b = 0; !stop; ++b) {
      HttpResult r = http.Post("/api/v1/usage/events", BatchBody(b, customer_id), {auth});
      if (r.status != 200) return;
      acknowledged = b + 1;
    }
  });
  while (acknowledged < 20) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  int before = acknowledged.load();
  std::string file = (dir / "meterline-backup.db").string();
  RunResult backup = RunBillingd({"backup", "--to", file}, env);
  int after = acknowledged.load();
  // Ingestion goes on after the backup too.
  while (acknowledged < after + 10) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  stop = true;
  client.join();
  ASSERT_EQ(backup.exit_code, 0) << backup.err;
  EXPECT_NE(backup.out.find("sha256"), std::string::npos) << backup.out;
  EXPECT_GT(after, before) << "the backup should have run while batches were being acknowledged";
  ASSERT_TRUE(fs::exists(file + ".sha256"));
  EXPECT_FALSE(fs::exists(file + ".partial"));
  // A second backup to the same file is refused.
  EXPECT_EQ(RunBillingd({"backup", "--to", file}, env).exit_code, 1);

  billingd.Signal(SIGTERM);
  ASSERT_EQ(billingd.Wait(std::chrono::seconds(20)), 0);
  int total = acknowledged.load();

  // Restoring over the live database needs --force.
  RunResult refused = RunBillingd({"restore", "--from", file}, env);
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("--force"), std::string::npos) << refused.err;
  RunResult restored = RunBillingd({"restore", "--from", file, "--force"}, env);
  ASSERT_EQ(restored.exit_code, 0) << restored.err;

  auto db = storage::Database::Open({.url = "sqlite:" + (dir / "data" / "meterline.db").string()});
  ASSERT_TRUE(db.ok());
  auto events = (*db)->Execute("SELECT COUNT(*) FROM usage_events WHERE customer_id = $1", {customer_id});
  int64_t count = events->rows[0].Int(0);
  EXPECT_GE(count, int64_t{before} * kEventsPerBatch) << "an acknowledged batch is missing from the backup";
  EXPECT_LE(count, int64_t{after} * kEventsPerBatch);
  EXPECT_LT(count, int64_t{total} * kEventsPerBatch) << "the restore should have brought back the older state";
  EXPECT_EQ(count % kEventsPerBatch, 0) << "a batch is all or nothing";
  auto rollups = (*db)->Execute("SELECT SUM(total) FROM usage_rollups_hourly WHERE customer_id = $1", {customer_id});
  EXPECT_EQ(rollups->rows[0].Int(0), count) << "rollups match the events in the copy";
  for (int b = 0; b < before; ++b) {
    auto one = (*db)->Execute("SELECT COUNT(*) FROM usage_events WHERE customer_id = $1 AND event_id = $2",
                              {customer_id, "b" + std::to_string(b) + "-e0"});
    ASSERT_EQ(one->rows[0].Int(0), 1) << "batch " << b;
  }
  db->reset();
  // The restored database serves.
  ChildProcess again(BillingdPath(), {"serve", "--port", "0", "--host", "127.0.0.1"}, env);
  ASSERT_TRUE(again.WaitForListeningPort(std::chrono::seconds(15)).has_value()) << again.Stderr();
  again.Signal(SIGTERM);
  EXPECT_EQ(again.Wait(std::chrono::seconds(20)), 0);

  // A damaged copy is refused before anything is replaced.
  {
    std::fstream damage(file, std::ios::in | std::ios::out | std::ios::binary);
    damage.seekp(5000);
    damage.write("garbage", 7);
  }
  RunResult bad = RunBillingd({"restore", "--from", file, "--force"}, env);
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("checksum"), std::string::npos) << bad.err;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace meterline::testing
