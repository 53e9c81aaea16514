// Durability and exactly-once under crashes: clients stream usage batches
// while the test kills billingd with SIGKILL at random moments, restarts it and
// resends every batch that was not acknowledged. At the end every event counts
// exactly once: nothing acknowledged is lost, nothing resent is counted twice.
// Several clients send at once, so the kills land in group commits
// (metering/group_commit.hpp) that hold several requests. Usage is sharded
// (the default USAGE_SHARDS=2) and every batch holds events of two customers
// in different shard files, so kills also land between a batch's two shard
// commits.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <random>
#include <thread>

#include "core/clock.hpp"
#include "metering/usage_shards.hpp"
#include "storage/database.hpp"
#include "storage/sqlite/usage_shard_files.hpp"
#include "support/child_process.hpp"
#include "support/http_client.hpp"
#include "support/usage_batches.hpp"

namespace meterline::testing {
namespace {

namespace fs = std::filesystem;

constexpr int kBatches = 400;
constexpr int kEventsPerBatch = 200;
constexpr int kClients = 4;  // client c sends the batches b with b % kClients == c

std::string BatchBody(int batch, const std::vector<std::string>& customers) {
  return UsageBatchBody(batch, customers, kEventsPerBatch);
}

TEST(CrashTest, SigkillAtRandomPointsLosesAndDoublesNothing) {
  fs::path dir = fs::temp_directory_path() / ("mtl_crash_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::map<std::string, std::string> env = {
      {"DATA_DIR", dir.string()}, {"CONSOLE_DIR", "/nonexistent"}, {"RATE_LIMITS", "ingest=1000000/1m"}};
  // Two customers whose usage lives in different shard files.
  std::vector<std::string> customers;
  for (int attempt = 0; attempt < 20 && customers.size() < 2; ++attempt) {
    RunResult customer = RunBillingd({"customer", "create", "--name", "Crash Corp"}, env);
    ASSERT_EQ(customer.exit_code, 0) << customer.err;
    std::string id = customer.out.substr(0, customer.out.find('\n'));
    if (!customers.empty() && metering::ShardOf(id, 2) == metering::ShardOf(customers[0], 2)) continue;
    ASSERT_EQ(RunBillingd({"subscription", "create", "--customer", id, "--plan", "enterprise"}, env).exit_code, 0);
    customers.push_back(id);
  }
  ASSERT_EQ(customers.size(), 2u);
  RunResult key = RunBillingd({"apikey", "create", "--name", "crash", "--role", "service"}, env);
  ASSERT_EQ(key.exit_code, 0);
  std::string auth = "Authorization: Bearer " + key.out.substr(0, key.out.find('\n'));

  std::vector<char> acknowledged(kBatches, 0);  // bytes, not bits: each client writes its own
  std::mt19937 rng(12345);
  int kills = 0;
  for (int round = 0; round < 12 && std::count(acknowledged.begin(), acknowledged.end(), 0) > 0; ++round) {
    ChildProcess billingd(BillingdPath(), {"serve", "--port", "0", "--host", "127.0.0.1"}, env);
    auto port = billingd.WaitForListeningPort(std::chrono::seconds(15));
    ASSERT_TRUE(port.has_value()) << billingd.Stderr();
    std::atomic<bool> stop{false};
    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) {
      clients.emplace_back([&, c] {
        HttpClient http("http://127.0.0.1:" + std::to_string(*port));
        http.set_timeout_ms(5000);
        for (int b = c; b < kBatches && !stop; b += kClients) {
          if (acknowledged[b]) continue;
          HttpResult r = http.Post("/api/v1/usage/events", BatchBody(b, customers), {auth});
          if (r.status == 200) {
            acknowledged[b] = 1;  // only now may the client forget the batch
          } else {
            return;  // the server died mid-request: resend from here next round
          }
        }
      });
    }
    bool last_round = round >= 10;
    if (!last_round) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20 + rng() % 150));
      billingd.Signal(SIGKILL);
      ++kills;
    }
    for (auto& client : clients) client.join();
    stop = true;
    if (last_round) {
      billingd.Signal(SIGTERM);
      EXPECT_EQ(billingd.Wait(std::chrono::seconds(20)), 0);
    } else {
      billingd.Wait(std::chrono::seconds(10));
    }
  }
  ASSERT_EQ(std::count(acknowledged.begin(), acknowledged.end(), 0), 0) << "not every batch was acknowledged";
  EXPECT_GE(kills, 3) << "the test must actually crash billingd mid-stream";

  // Resending everything once more changes nothing.
  {
    ChildProcess billingd(BillingdPath(), {"serve", "--port", "0", "--host", "127.0.0.1"}, env);
    auto port = billingd.WaitForListeningPort(std::chrono::seconds(15));
    ASSERT_TRUE(port.has_value());
    HttpClient http("http://127.0.0.1:" + std::to_string(*port));
    for (int b = 0; b < kBatches; ++b) {
      HttpResult r = http.Post("/api/v1/usage/events", BatchBody(b, customers), {auth});
      ASSERT_EQ(r.status, 200);
      EXPECT_NE(r.body.find("\"accepted\":0"), std::string::npos) << "batch " << b << " counted again";
    }
    billingd.Signal(SIGTERM);
    billingd.Wait(std::chrono::seconds(20));
  }

  // Each customer's usage is in its shard file, and nowhere else.
  constexpr int64_t kPerCustomer = kBatches * kEventsPerBatch / 2;
  for (const std::string& customer_id : customers) {
    auto shard =
        storage::Database::Open({.url = "sqlite:" + storage::UsageShardPath((dir / "meterline.db").string(),
                                                                            metering::ShardOf(customer_id, 2))});
    ASSERT_TRUE(shard.ok());
    auto events =
        (*shard)->Execute("SELECT COUNT(*), SUM(value) FROM usage_events WHERE customer_id = $1", {customer_id});
    auto rollups = (*shard)->Execute("SELECT SUM(total), SUM(events) FROM usage_rollups_hourly WHERE customer_id = $1",
                                     {customer_id});
    EXPECT_EQ(events->rows[0].Int(0), kPerCustomer);
    EXPECT_EQ(events->rows[0].Int(1), kPerCustomer);
    EXPECT_EQ(rollups->rows[0].Int(0), kPerCustomer) << "rollups must match the events exactly";
    EXPECT_EQ(rollups->rows[0].Int(1), kPerCustomer);
  }
  auto main = storage::Database::Open({.url = "sqlite:" + (dir / "meterline.db").string()});
  ASSERT_TRUE(main.ok());
  auto in_main = (*main)->Execute("SELECT COUNT(*) FROM usage_events");
  EXPECT_EQ(in_main->rows[0].Int(0), 0) << "sharded usage must not be in the main file";
  fs::remove_all(dir);
}

}  // namespace
}  // namespace meterline::testing
