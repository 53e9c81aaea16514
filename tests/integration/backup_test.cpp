// Backups of the embedded database while billingd serves: a client streams
// usage batches; `billingd backup` copies the database in the middle of it;
// the copy, restored in place of the database, holds every batch
// acknowledged before the backup began (and nothing half-written), passes
// its checksum, and a damaged copy is refused.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "core/clock.hpp"
#include "storage/database.hpp"
#include "support/child_process.hpp"
#include "support/http_client.hpp"
#include "support/usage_batches.hpp"

namespace meterline::testing {
namespace {

namespace fs = std::filesystem;

constexpr int kEventsPerBatch = 100;

std::string BatchBody(int batch, const std::string& customer) {
  return UsageBatchBody(batch, customer, kEventsPerBatch);
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
