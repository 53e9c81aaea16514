// The billingd binary as an operator meets it: CLI, start-up errors, migrate,
// graceful shutdown under load.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "support/child_process.hpp"
#include "support/http_client.hpp"
#include "support/test_database.hpp"

namespace meterline::testing {
namespace {

namespace fs = std::filesystem;

int CountLines(const std::string& text) {
  int lines = 0;
  for (char c : text) lines += c == '\n';
  return lines;
}

class ProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_dir_ = fs::temp_directory_path() / ("mtl_proc_" + std::to_string(::getpid()) + "_" +
                                             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(data_dir_);
  }
  void TearDown() override { fs::remove_all(data_dir_); }
  std::map<std::string, std::string> Env(std::map<std::string, std::string> extra = {}) {
    extra.emplace("DATA_DIR", data_dir_.string());
    extra.emplace("CONSOLE_DIR", "/nonexistent");
    return extra;
  }
  fs::path data_dir_;
};

TEST_F(ProcessTest, HelpForEveryCommand) {
  for (std::vector<std::string> args : {std::vector<std::string>{"--help"}, {"serve", "--help"},
                                        {"migrate", "--help"}, {"version", "--help"}}) {
    RunResult r = RunBillingd(args, Env());
    EXPECT_EQ(r.exit_code, 0) << args[0];
    EXPECT_NE(r.out.find("Usage: billingd"), std::string::npos) << args[0];
  }
  RunResult version = RunBillingd({"version"}, Env());
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out.rfind("billingd ", 0), 0u);
}

TEST_F(ProcessTest, BadCommandLineIsOneLineAndExit2) {
  RunResult flag = RunBillingd({"serve", "--bogus"}, Env());
  EXPECT_EQ(flag.exit_code, 2);
  EXPECT_EQ(flag.err, "billingd: unknown flag --bogus\n");
  RunResult command = RunBillingd({"frobnicate"}, Env());
  EXPECT_EQ(command.exit_code, 2);
  EXPECT_EQ(CountLines(command.err), 1);
  RunResult migrate_flag = RunBillingd({"migrate", "--port", "1"}, Env());
  EXPECT_EQ(migrate_flag.exit_code, 2);
  EXPECT_EQ(CountLines(migrate_flag.err), 1);
}

TEST_F(ProcessTest, InvalidEnvironmentStopsStartupNamingTheVariable) {
  RunResult r = RunBillingd({"serve"}, Env({{"PORT", "http"}}));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "billingd: PORT must be an integer between 0 and 65535, got 'http'\n");
  RunResult secret = RunBillingd({"serve"}, Env({{"STRIPE_SECRET_KEY", "pk_live_DoNotPrintMe"}}));
  EXPECT_EQ(secret.exit_code, 2);
  EXPECT_EQ(secret.err.find("DoNotPrintMe"), std::string::npos);
  EXPECT_NE(secret.err.find("STRIPE_SECRET_KEY"), std::string::npos);
}

TEST_F(ProcessTest, MigrateAppliesAndReportsStatus) {
  RunResult before = RunBillingd({"migrate", "--status"}, Env());
  EXPECT_EQ(before.exit_code, 0) << before.err;
  EXPECT_NE(before.out.find("pending"), std::string::npos) << before.out;
  RunResult apply = RunBillingd({"migrate"}, Env());
  EXPECT_EQ(apply.exit_code, 0) << apply.err;
  EXPECT_NE(apply.out.find("applied 0001_init.sql"), std::string::npos) << apply.out;
  RunResult after = RunBillingd({"migrate", "--status"}, Env());
  EXPECT_EQ(after.exit_code, 0);
  EXPECT_NE(after.out.find("applied"), std::string::npos);
  EXPECT_EQ(after.out.find("pending"), std::string::npos) << after.out;
  RunResult again = RunBillingd({"migrate"}, Env());
  EXPECT_NE(again.out.find("0 migration(s) applied"), std::string::npos) << again.out;
}

TEST_F(ProcessTest, DevelopmentKeepsAGeneratedJwtSecretPrivate) {
  RunResult r = RunBillingd({"customer", "create", "--name", "Dev"}, Env());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  fs::path secret = data_dir_ / "jwt_secret";
  ASSERT_TRUE(fs::exists(secret));
  EXPECT_EQ(fs::status(secret).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_GE(fs::file_size(secret), 32u);
  // The same secret is used on the next start (sessions survive restarts).
  auto before = fs::last_write_time(secret);
  ASSERT_EQ(RunBillingd({"customer", "create", "--name", "Dev2"}, Env()).exit_code, 0);
  EXPECT_EQ(fs::last_write_time(secret), before);
}

TEST_F(ProcessTest, DemoFillsTheDatabaseOnce) {
  RunResult first = RunBillingd({"demo"}, Env());
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.out.find("admin@meterline.demo"), std::string::npos);
  EXPECT_NE(first.out.find("member@delta.demo"), std::string::npos);
  RunResult again = RunBillingd({"demo"}, Env());
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_NE(again.out.find("already present"), std::string::npos);
  // The enterprise customer is past 100 % of every limit this period.
  auto db = storage::Database::Open({.url = "sqlite:" + (data_dir_ / "meterline.db").string()});
  ASSERT_TRUE(db.ok());
  auto alerts = (*db)->Execute(
      "SELECT COUNT(*) FROM usage_alerts a JOIN subscriptions s ON s.customer_id = a.customer_id "
      "WHERE a.threshold_percent = 100 AND s.plan_id = 'enterprise' "
      "AND a.period_start = (SELECT MAX(period_start) FROM usage_alerts)");
  EXPECT_EQ(alerts->rows[0].Int(0), 3);
  // Past invoices in every status.
  auto statuses = (*db)->Execute("SELECT COUNT(DISTINCT status) FROM invoices");
  EXPECT_EQ(statuses->rows[0].Int(0), 5);
  auto customers = (*db)->Execute("SELECT COUNT(*) FROM subscriptions");
  EXPECT_EQ(customers->rows[0].Int(0), 4);
  RunResult sub = RunBillingd({"subscription", "create", "--customer", "cus_missing", "--plan", "starter"}, Env());
  EXPECT_EQ(sub.exit_code, 1);
  EXPECT_EQ(sub.err, "billingd: no customer cus_missing\n");
  RunResult bad_plan = RunBillingd({"subscription", "create", "--customer", "cus_x", "--plan", "gold"}, Env());
  EXPECT_EQ(bad_plan.err, "billingd: no plan 'gold' in the catalog\n");
}

TEST_F(ProcessTest, ProductionRefusesAnUnmigratedDatabase) {
  RunResult r = RunBillingd({"serve", "--port", "0"},
                            Env({{"MODE", "production"}, {"JWT_SECRET", std::string(40, 's')}}));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("billingd migrate"), std::string::npos) << r.err;
}

TEST_F(ProcessTest, SigtermUnderLoadFinishesInFlightRequestsAndExitsZero) {
  ChildProcess billingd(BillingdPath(), {"serve", "--port", "0", "--host", "127.0.0.1"}, Env());
  auto port = billingd.WaitForListeningPort(std::chrono::seconds(15));
  ASSERT_TRUE(port.has_value()) << billingd.Stderr();
  std::string base = "http://127.0.0.1:" + std::to_string(*port);

  std::atomic<bool> stop{false};
  std::atomic<int> complete{0}, refused{0}, cut{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&, t] {
      HttpClient client(base);
      client.set_timeout_ms(5000);
      while (!stop) {
        HttpResult r = client.Get(t % 2 == 0 ? "/ready" : "/api/v1/meta/features");
        if (r.status == 200 && !r.body.empty() && r.body.back() == '}') {
          ++complete;
        } else if (r.status == 0 && (r.error.find("partial") != std::string::npos ||
                                     r.error.find("Transferred") != std::string::npos)) {
          ++cut;  // a response that started and was not finished
        } else if (r.status == 0) {
          ++refused;
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
        } else {
          ++cut;  // a response other than a complete 200 is also a failure here
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  int before = complete.load();
  billingd.Signal(SIGTERM);
  auto code = billingd.Wait(std::chrono::seconds(20));
  stop = true;
  for (auto& c : clients) c.join();
  ASSERT_TRUE(code.has_value()) << "billingd did not exit after SIGTERM";
  EXPECT_EQ(*code, 0) << billingd.Stderr();
  EXPECT_GT(before, 0);
  EXPECT_EQ(cut.load(), 0);
  EXPECT_NE(billingd.Stderr().find("\"msg\":\"stopped\""), std::string::npos);
}

}  // namespace
}  // namespace meterline::testing
