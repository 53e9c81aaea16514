// The billingd binary as an operator meets it: CLI, start-up errors, migrate,
// graceful shutdown under load, running out of descriptors.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
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

// Occurrences of `text` in `haystack`.
int Count(const std::string& haystack, const std::string& text) {
  int n = 0;
  for (size_t at = haystack.find(text); at != std::string::npos; at = haystack.find(text, at + 1)) ++n;
  return n;
}

// CPU time the process has used so far (user + system), from /proc/<pid>/stat.
double CpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));  // after "pid (comm) "
  std::string field;
  long ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14 || i == 15) ticks += std::stol(field);  // utime, stime
  }
  return static_cast<double>(ticks) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// Opens `n` TCP connections to 127.0.0.1:port that send `bytes` and then
// nothing. The kernel completes them from the listen backlog whether or not
// billingd accepts them.
std::vector<int> OpenConnections(int port, int n, const std::string& bytes = "") {
  std::vector<int> fds;
  for (int i = 0; i < n; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ADD_FAILURE() << "connection " << i << " failed: " << std::strerror(errno);
      if (fd >= 0) ::close(fd);
      break;
    }
    fds.push_back(fd);
    if (!bytes.empty()) (void)::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  }
  return fds;
}

// The value of one sample in a /metrics body, or -1 when absent.
long MetricValue(const std::string& body, const std::string& sample) {
  size_t at = body.find("\n" + sample + " ");
  if (at == std::string::npos) return -1;
  return std::stol(body.substr(at + sample.size() + 2));
}

// Asks for /health on new connections until one answers 200 or `timeout` passes.
long HealthWithin(const std::string& base, std::chrono::seconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  long status = 0;
  while (status != 200 && std::chrono::steady_clock::now() < deadline) {
    HttpClient client(base);
    client.set_timeout_ms(2000);
    status = client.Get("/health").status;
  }
  return status;
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
  RunResult top = RunBillingd({"--help"}, Env());
  EXPECT_EQ(top.exit_code, 0);
  EXPECT_NE(top.out.find("Usage: billingd"), std::string::npos);
  // Every command the overview lists answers --help with its own usage, and changes nothing.
  std::vector<std::string> commands;
  std::istringstream lines(top.out.substr(top.out.find("Commands:")));
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("  ", 0) == 0 && line.size() > 2 && line[2] != ' ')
      commands.push_back(line.substr(2, line.find(' ', 2) - 2));
  }
  EXPECT_GE(commands.size(), 20u) << top.out;
  for (const std::string& command : commands) {
    RunResult r = RunBillingd({command, "--help"}, Env());
    EXPECT_EQ(r.exit_code, 0) << command << ": " << r.err;
    EXPECT_NE(r.out.find("Usage: billingd " + command), std::string::npos) << command << ":\n" << r.out;
  }
  EXPECT_FALSE(fs::exists(data_dir_ / "meterline.db")) << "--help must not open the database";
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

// A wrong setting stops start-up (and every command) with exit 2 and one line
// naming the variable, before any migration runs.
TEST_F(ProcessTest, ConfigurationMistakesFoundLateStillStopStartupWithExit2) {
  auto one_line_exit_2 = [&](const RunResult& r, const std::string& expect) {
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_EQ(CountLines(r.err), 1) << r.err;
    EXPECT_EQ(r.err.rfind("billingd: " + expect, 0), 0u) << r.err;
  };
  one_line_exit_2(RunBillingd({"serve"}, Env({{"RATE_LIMITS", "biling=100000/15m"}})),
                  "RATE_LIMITS: unknown group 'biling'; the groups are admin, auth, billing, console, ingest, webhook");
  fs::path catalog = data_dir_ / "catalog.json";
  std::ofstream(catalog) << R"({"metrics": [], "plans": 7})";
  one_line_exit_2(RunBillingd({"serve"}, Env({{"CATALOG_PATH", catalog.string()}})),
                  "CATALOG_PATH " + catalog.string() + ": catalog:");
  one_line_exit_2(RunBillingd({"migrate"}, Env({{"CATALOG_PATH", (data_dir_ / "missing.json").string()}})),
                  "CATALOG_PATH: cannot read");
  one_line_exit_2(RunBillingd({"serve"}, Env({{"DATABASE_URL", "sqlite:" + (data_dir_ / "typo" / "m.db").string()}})),
                  "DATABASE_URL: folder " + (data_dir_ / "typo").string() + " does not exist");
  one_line_exit_2(RunBillingd({"serve"}, Env({{"TRUSTED_PROXIES", "10.0.0.0/99"}})), "TRUSTED_PROXIES:");
  EXPECT_FALSE(fs::exists(data_dir_ / "meterline.db")) << "nothing was migrated";
}

TEST_F(ProcessTest, SecretsMayComeFromFiles) {
  fs::path jwt = data_dir_ / "jwt.secret";
  std::ofstream(jwt) << std::string(40, 'j') << "\n";
  fs::path url = data_dir_ / "database.url";
  std::ofstream(url) << "sqlite:" << (data_dir_ / "from-file.db").string() << "\n";
  RunResult r = RunBillingd({"customer", "create", "--name", "Files"},
                            Env({{"JWT_SECRET_FILE", jwt.string()}, {"DATABASE_URL_FILE", url.string()}}));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(data_dir_ / "from-file.db"));
  EXPECT_FALSE(fs::exists(data_dir_ / "jwt_secret")) << "the file's secret is used, none generated";
  std::ofstream(jwt, std::ios::trunc) << "short\n";
  RunResult weak = RunBillingd({"serve"}, Env({{"JWT_SECRET_FILE", jwt.string()}}));
  EXPECT_EQ(weak.exit_code, 2);
  EXPECT_EQ(weak.err, "billingd: JWT_SECRET_FILE must be at least 32 bytes\n");
  RunResult both =
      RunBillingd({"serve"}, Env({{"JWT_SECRET_FILE", jwt.string()}, {"JWT_SECRET", std::string(40, 'k')}}));
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_EQ(both.err, "billingd: set JWT_SECRET or JWT_SECRET_FILE, not both\n");
  RunResult missing = RunBillingd({"serve"}, Env({{"STRIPE_SECRET_KEY_FILE", (data_dir_ / "nope").string()}}));
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_EQ(missing.err, "billingd: STRIPE_SECRET_KEY_FILE: cannot read " + (data_dir_ / "nope").string() + "\n");
}

TEST_F(ProcessTest, TheEmbeddedDatabaseAndItsFolderAreTheOwnersAlone) {
  fs::path fresh = data_dir_ / "fresh";
  std::map<std::string, std::string> env = Env();
  env["DATA_DIR"] = fresh.string();
  RunResult r = RunBillingd({"customer", "create", "--name", "Private"}, env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(fs::status(fresh).permissions() & fs::perms::all, fs::perms::owner_all);
  for (const char* name : {"meterline.db", "jwt_secret"}) {
    ASSERT_TRUE(fs::exists(fresh / name)) << name;
    EXPECT_EQ(fs::status(fresh / name).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write)
        << name;
  }
}

TEST_F(ProcessTest, CustomersAreScriptableWithExternalIdsAndMetadata) {
  RunResult created = RunBillingd(
      {"customer", "create", "--name", "Pixel Press", "--external-id", "pub-42", "--metadata", "tier=gold,region=eu"},
      Env());
  ASSERT_EQ(created.exit_code, 0) << created.err;
  std::string id = created.out.substr(0, created.out.find('\n'));
  EXPECT_EQ(id.rfind("cus_", 0), 0u) << created.out;
  RunResult taken = RunBillingd({"customer", "create", "--name", "Copy", "--external-id", "pub-42"}, Env());
  EXPECT_EQ(taken.exit_code, 1);
  EXPECT_NE(taken.err.find("external_id"), std::string::npos) << taken.err;
  RunResult bad = RunBillingd({"customer", "update", "--id", id, "--metadata", "nokey"}, Env());
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(std::count(bad.err.begin(), bad.err.end(), '\n'), 1) << "one line: " << bad.err;
  RunResult updated =
      RunBillingd({"customer", "update", "--id", id, "--name", "Pixel Press Ltd", "--external-id", "pub-43"}, Env());
  ASSERT_EQ(updated.exit_code, 0) << updated.err;
  RunResult listed = RunBillingd({"customer", "list", "--search", "PUB-43"}, Env());
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find(id), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("Pixel Press Ltd"), std::string::npos) << listed.out;
  RunResult none = RunBillingd({"customer", "list", "--search", "pub-42"}, Env());
  EXPECT_EQ(none.out.find(id), std::string::npos) << none.out;
  EXPECT_EQ(RunBillingd({"customer", "update", "--id", "cus_nope", "--name", "x"}, Env()).exit_code, 1);
  EXPECT_EQ(RunBillingd({"customer", "list", "--limit", "0"}, Env()).exit_code, 2);
}

// `billingd usage events` pages the store by cursor: the newest first, as many as asked.
TEST_F(ProcessTest, UsageEventsAreListedNewestFirstFromTheCommandLine) {
  ASSERT_EQ(RunBillingd({"demo"}, Env()).exit_code, 0);
  RunResult customers = RunBillingd({"customer", "list", "--search", "Delta Apps"}, Env());
  ASSERT_EQ(customers.exit_code, 0) << customers.err;
  size_t at = customers.out.find("cus_");
  ASSERT_NE(at, std::string::npos) << customers.out;
  std::string id = customers.out.substr(at, customers.out.find(' ', at) - at);
  // 1,500 events: two pages of the store, walked by cursor.
  RunResult listed = RunBillingd({"usage", "events", "--customer", id, "--limit", "1500"}, Env());
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  std::vector<std::string> lines;
  for (size_t start = 0, end; (end = listed.out.find('\n', start)) != std::string::npos; start = end + 1) {
    lines.push_back(listed.out.substr(start, end - start));
  }
  ASSERT_EQ(lines.size(), 1501u);
  EXPECT_EQ(lines[0].rfind("TIMESTAMP", 0), 0u);
  std::set<std::string> ids;
  for (size_t i = 1; i < lines.size(); ++i) {
    ids.insert(lines[i].substr(lines[i].rfind(' ') + 1));
    if (i > 1) {
      EXPECT_GE(lines[i - 1].substr(0, 24), lines[i].substr(0, 24)) << "not newest first at line " << i;
    }
  }
  EXPECT_EQ(ids.size(), 1500u) << "an event listed twice";
  RunResult calls = RunBillingd({"usage", "events", "--customer", id, "--metric", "api_calls", "--limit", "3"}, Env());
  ASSERT_EQ(calls.exit_code, 0) << calls.err;
  EXPECT_EQ(std::count(calls.out.begin(), calls.out.end(), '\n'), 4) << calls.out;
  EXPECT_EQ(calls.out.find("impressions"), std::string::npos) << calls.out;
  RunResult unknown = RunBillingd({"usage", "events", "--customer", "cus_nobody"}, Env());
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_EQ(std::count(unknown.err.begin(), unknown.err.end(), '\n'), 1) << unknown.err;
  EXPECT_EQ(RunBillingd({"usage", "events", "--customer", id, "--from", "soon"}, Env()).exit_code, 2);
  EXPECT_EQ(RunBillingd({"usage", "events"}, Env()).exit_code, 2);
}

// `billingd price` prints what the invoice run would compute, line by line.
TEST_F(ProcessTest, PricePreviewsAnInvoiceFromTheCommandLine) {
  RunResult priced =
      RunBillingd({"price", "--plan", "growth", "--usage",
                   "impressions=12345678,api_calls=3000000,data_transfer=612000000000", "--tax-rate", "0.19"},
                  Env());
  ASSERT_EQ(priced.exit_code, 0) << priced.err;
  // 2,345,678 x 0.50 / 1,000 = 1,172.839 -> 1,172.84 (half to even once per line).
  EXPECT_NE(priced.out.find("Ad impressions over 10,000,000 included (12,345,678 used)"), std::string::npos)
      << priced.out;
  EXPECT_NE(priced.out.find("1172.84\n"), std::string::npos) << priced.out;
  EXPECT_NE(priced.out.find("1677.44\n"), std::string::npos) << priced.out;  // 299 + 1,172.84 + 200 + 5.60
  EXPECT_NE(priced.out.find("318.71\n"), std::string::npos) << priced.out;   // 1,677.44 x 0.19 = 318.7136
  EXPECT_NE(priced.out.find("1996.15 USD\n"), std::string::npos) << priced.out;
  // A catalog with tiers and a minimum (CATALOG_PATH): the same command shows their lines.
  fs::path catalog = data_dir_ / "tiered.json";
  std::ofstream(catalog) << R"({"metrics": [{"id": "impressions", "name": "Ad impressions", "unit": "impression",
      "overage_price": {"amount": "0.50", "per": 1000}}],
    "plans": [{"id": "tiered", "name": "Tiered", "currency": "EUR", "base_fee": "0", "minimum_commitment": "50.00",
      "limits": {"impressions": 1000000},
      "charges": {"impressions": {"model": "graduated", "tiers": [
        {"up_to": 1000000, "unit_price": {"amount": "0", "per": 1000}},
        {"unit_price": {"amount": "0.40", "per": 1000}}]}}}]})";
  std::map<std::string, std::string> tiered_env = Env();
  tiered_env["CATALOG_PATH"] = catalog.string();
  RunResult tiered = RunBillingd({"price", "--plan", "tiered", "--usage", "impressions=1100000"}, tiered_env);
  ASSERT_EQ(tiered.exit_code, 0) << tiered.err;
  EXPECT_NE(tiered.out.find("Ad impressions 1,000,001\u20131,100,000 at 0.40 EUR per 1,000"), std::string::npos)
      << tiered.out;
  EXPECT_NE(tiered.out.find("Minimum commitment of 50.00 EUR (charges 40.00)"), std::string::npos) << tiered.out;
  EXPECT_NE(tiered.out.find("50.00 EUR\n"), std::string::npos) << tiered.out;
  RunResult unknown = RunBillingd({"price", "--plan", "platinum"}, Env());
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_EQ(unknown.err, "billingd: no plan 'platinum'\n");
  EXPECT_EQ(RunBillingd({"price", "--plan", "growth", "--usage", "impressions=lots"}, Env()).exit_code, 2);
  EXPECT_EQ(RunBillingd({"price", "--plan", "growth", "--usage", "seats=3"}, Env()).exit_code, 1);
}

// An operator scripts plans: create from a file, a new version, list, show,
// move subscriptions at period end, archive; mistakes exit 2 (command line)
// or 1 (refused), each with one line.
TEST_F(ProcessTest, PlansAreManagedFromTheCommandLine) {
  fs::path plan = data_dir_ / "pro.json";
  std::ofstream(plan) << R"({"id": "pro", "name": "Pro", "currency": "USD", "base_fee": "99.00",
    "limits": {"impressions": 2000000, "api_calls": 200000, "data_transfer": 100000000000}})";
  RunResult created = RunBillingd({"plans", "create", "--file", plan.string()}, Env());
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_NE(created.out.find("version 1 (current): Pro, 99.00 USD per month"), std::string::npos) << created.out;
  RunResult twice = RunBillingd({"plans", "create", "--file", plan.string()}, Env());
  EXPECT_EQ(twice.exit_code, 1);
  EXPECT_EQ(twice.err, "billingd: plan pro already exists\n");

  std::ofstream(plan) << R"({"name": "Pro", "currency": "USD", "base_fee": "119.00",
    "limits": {"impressions": 2000000, "api_calls": 200000, "data_transfer": 100000000000}})";
  RunResult customer = RunBillingd({"customer", "create", "--name", "Pro Ads"}, Env());
  ASSERT_EQ(customer.exit_code, 0) << customer.err;
  std::string customer_id = customer.out.substr(0, customer.out.find_first_of(" \n"));
  ASSERT_EQ(RunBillingd({"subscription", "create", "--customer", customer_id, "--plan", "pro"}, Env()).exit_code, 0);
  RunResult v2 = RunBillingd({"plans", "add-version", "--plan", "pro", "--file", plan.string()}, Env());
  ASSERT_EQ(v2.exit_code, 0) << v2.err;
  EXPECT_NE(v2.out.find("version 2 (current): Pro, 119.00 USD per month"), std::string::npos) << v2.out;

  RunResult listed = RunBillingd({"plans", "list"}, Env());
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("starter"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("pro "), std::string::npos) << listed.out;

  RunResult moved =
      RunBillingd({"plans", "migrate", "--plan", "pro", "--to-version", "2", "--at", "period-end"}, Env());
  ASSERT_EQ(moved.exit_code, 0) << moved.err;
  EXPECT_EQ(moved.out, "moved 1 subscriptions of pro to version 2 from their next period (0 already there)\n");
  EXPECT_EQ(RunBillingd({"plans", "migrate", "--plan", "pro", "--to-version", "2", "--at", "now"}, Env()).exit_code, 2);
  EXPECT_EQ(RunBillingd({"plans", "migrate", "--plan", "pro", "--to-version", "x"}, Env()).exit_code, 2);
  RunResult no_version =
      RunBillingd({"plans", "migrate", "--plan", "pro", "--to-version", "5", "--at", "period-end"}, Env());
  EXPECT_EQ(no_version.exit_code, 1);
  EXPECT_EQ(no_version.err, "billingd: plan pro has no version 5\n");

  RunResult archived = RunBillingd({"plans", "archive", "pro"}, Env());
  ASSERT_EQ(archived.exit_code, 0) << archived.err;
  EXPECT_NE(archived.out.find("pro (archived)"), std::string::npos) << archived.out;
  RunResult shown = RunBillingd({"plans", "show", "growth"}, Env());
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_NE(shown.out.find("impressions: Ad impressions: first 10,000,000 included; then 0.50 USD per 1,000"),
            std::string::npos)
      << shown.out;
  EXPECT_EQ(RunBillingd({"plans", "show", "gold"}, Env()).err, "billingd: no plan 'gold'\n");
  std::ofstream(plan) << R"({"id": "bad", "name": "Bad", "currency": "USD", "base_fee": "1", "limits": {}})";
  RunResult bad = RunBillingd({"plans", "create", "--file", plan.string()}, Env());
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_EQ(bad.err, "billingd: limits.impressions is missing\n");
  EXPECT_EQ(RunBillingd({"plans", "fly"}, Env()).exit_code, 2);
}

// Prepaid credits and credit notes from the command line: grants show up in
// the balance and the ledger; refusals are one line with exit 1, mistakes exit 2.
TEST_F(ProcessTest, CreditsAreGrantedAndCreditNotesRefusedClearlyFromTheCommandLine) {
  RunResult customer = RunBillingd({"customer", "create", "--name", "Credit Ads"}, Env());
  ASSERT_EQ(customer.exit_code, 0) << customer.err;
  std::string id = customer.out.substr(0, customer.out.find_first_of(" \n"));
  RunResult granted = RunBillingd({"credits", "grant", "--customer", id, "--amount", "2500", "--currency", "USD",
                                   "--description", "Launch promotion", "--priority", "3"},
                                  Env());
  ASSERT_EQ(granted.exit_code, 0) << granted.err;
  EXPECT_NE(granted.out.find("grant 25.00 USD"), std::string::npos) << granted.out;
  RunResult shown = RunBillingd({"credits", "show", "--customer", id}, Env());
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_NE(shown.out.find("available 25.00 USD"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("granted"), std::string::npos) << shown.out;

  RunResult past = RunBillingd({"credits", "grant", "--customer", id, "--amount", "100", "--currency", "USD",
                                "--description", "x", "--expires-at", "2020-01-01T00:00:00Z"},
                               Env());
  EXPECT_EQ(past.exit_code, 1);
  EXPECT_EQ(past.err, "billingd: expires_at must be in the future\n");
  RunResult nobody = RunBillingd(
      {"credits", "grant", "--customer", "cus_nobody", "--amount", "100", "--currency", "USD", "--description", "x"},
      Env());
  EXPECT_EQ(nobody.exit_code, 1);
  EXPECT_EQ(nobody.err, "billingd: no customer cus_nobody\n");
  EXPECT_EQ(RunBillingd({"credits", "grant", "--customer", id}, Env()).exit_code, 2);

  RunResult missing = RunBillingd(
      {"credit-note", "issue", "--invoice", "inv_nothing", "--reason", "duplicate", "--amount", "100"}, Env());
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err, "billingd: no invoice inv_nothing\n");
  EXPECT_EQ(RunBillingd({"credit-note", "issue", "--invoice", "inv_x", "--reason", "whim"}, Env()).exit_code, 2);
  EXPECT_EQ(
      RunBillingd({"credit-note", "issue", "--invoice", "inv_x", "--reason", "duplicate", "--lines", "a:b"}, Env())
          .exit_code,
      2);
  EXPECT_EQ(RunBillingd({"credit-note", "list"}, Env()).exit_code, 2);
}

// An operator scripts plan changes and cancellations by customer id; each
// refusal is one line with exit 1, each command-line mistake exit 2.
TEST_F(ProcessTest, SubscriptionsAreChangedAndCanceledFromTheCommandLine) {
  RunResult customer = RunBillingd({"customer", "create", "--name", "Switch Ads"}, Env());
  ASSERT_EQ(customer.exit_code, 0) << customer.err;
  std::string id = customer.out.substr(0, customer.out.find_first_of(" \n"));
  ASSERT_EQ(RunBillingd({"subscription", "create", "--customer", id, "--plan", "growth"}, Env()).exit_code, 0);

  RunResult preview = RunBillingd({"subscription", "preview", "--customer", id, "--plan", "scale"}, Env());
  ASSERT_EQ(preview.exit_code, 0) << preview.err;
  EXPECT_NE(preview.out.find("growth -> scale at "), std::string::npos) << preview.out;
  EXPECT_NE(preview.out.find("Scale plan, monthly fee"), std::string::npos) << preview.out;

  RunResult down = RunBillingd({"subscription", "change", "--customer", id, "--plan", "starter"}, Env());
  ASSERT_EQ(down.exit_code, 0) << down.err;
  EXPECT_NE(down.out.find("growth version 1 -> starter version 1"), std::string::npos) << down.out;
  EXPECT_NE(down.out.find("(period_end)"), std::string::npos) << down.out;
  EXPECT_NE(down.out.find("changes to starter version 1 at "), std::string::npos) << down.out;
  RunResult kept = RunBillingd({"subscription", "withdraw-change", "--customer", id}, Env());
  ASSERT_EQ(kept.exit_code, 0) << kept.err;
  EXPECT_EQ(kept.out.find("changes to"), std::string::npos) << kept.out;
  RunResult none = RunBillingd({"subscription", "withdraw-change", "--customer", id}, Env());
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_NE(none.err.find("has no scheduled plan change"), std::string::npos) << none.err;

  RunResult ending = RunBillingd({"subscription", "cancel", "--customer", id}, Env());
  ASSERT_EQ(ending.exit_code, 0) << ending.err;
  EXPECT_NE(ending.out.find("ends at "), std::string::npos) << ending.out;
  ASSERT_EQ(RunBillingd({"subscription", "reactivate", "--customer", id}, Env()).exit_code, 0);
  RunResult now = RunBillingd({"subscription", "cancel", "--customer", id, "--at", "now"}, Env());
  ASSERT_EQ(now.exit_code, 0) << now.err;
  EXPECT_NE(now.out.find("canceled"), std::string::npos) << now.out;
  RunResult final_state = RunBillingd({"subscription", "change", "--customer", id, "--plan", "scale"}, Env());
  EXPECT_EQ(final_state.exit_code, 1);
  EXPECT_NE(final_state.err.find("a canceled subscription stays canceled"), std::string::npos) << final_state.err;

  EXPECT_EQ(RunBillingd({"subscription", "cancel", "--customer", id, "--at", "later"}, Env()).exit_code, 2);
  EXPECT_EQ(RunBillingd({"subscription", "change", "--customer", id}, Env()).exit_code, 2);
  EXPECT_EQ(RunBillingd({"subscription", "show"}, Env()).exit_code, 2);
  RunResult unknown = RunBillingd({"subscription", "pause", "--customer", id}, Env());
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_EQ(unknown.err, "billingd: unknown subscription command 'pause' (see billingd subscription --help)\n");
}

// The one binary serves its console, compressed as the browser asks, without CONSOLE_DIR.
TEST_F(ProcessTest, TheBinaryServesItsOwnConsole) {
#ifndef MTL_CONSOLE_EMBEDDED
  GTEST_SKIP() << "billingd was built without its console (Node.js missing or MTL_EMBED_CONSOLE=OFF)";
#endif
  std::map<std::string, std::string> env = {{"DATA_DIR", data_dir_.string()}};
  ChildProcess billingd(BillingdPath(), {"serve", "--port", "0", "--host", "127.0.0.1"}, env);
  auto port = billingd.WaitForListeningPort(std::chrono::seconds(15));
  ASSERT_TRUE(port.has_value()) << billingd.Stderr();
  HttpClient http("http://127.0.0.1:" + std::to_string(*port));
  HttpResult index = http.Get("/billing/invoices");
  ASSERT_EQ(index.status, 200);
  EXPECT_EQ(index.Header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(index.Header("Cache-Control"), "no-cache");
  size_t at = index.body.find("/assets/");
  ASSERT_NE(at, std::string::npos) << index.body;
  std::string script = index.body.substr(at, index.body.find('"', at) - at);
  ASSERT_NE(script.find(".js"), std::string::npos) << script;
  HttpResult br = http.Get(script, {"Accept-Encoding: gzip, br"});
  EXPECT_EQ(br.status, 200);
  EXPECT_EQ(br.Header("Content-Encoding"), "br");
  EXPECT_EQ(br.Header("Vary"), "Accept-Encoding");
  EXPECT_EQ(br.Header("Cache-Control"), "public, max-age=31536000, immutable");
  HttpResult plain = http.Get(script, {"Accept-Encoding: identity"});
  EXPECT_EQ(plain.Header("Content-Encoding"), "");
  EXPECT_GT(plain.body.size(), br.body.size() * 2) << "brotli is worth it";
  EXPECT_EQ(http.Get(script + ".map").status, 404) << "no source maps";
  billingd.Signal(SIGTERM);
  EXPECT_EQ(billingd.Wait(std::chrono::seconds(20)), 0);
}

// SIGTERM the moment billingd says it listens (what a supervisor or a test
// may do): a graceful stop with exit 0, never a kill by the signal (143).
TEST_F(ProcessTest, ASigtermAsSoonAsItListensIsAGracefulStop) {
  std::map<std::string, std::string> env = {{"DATA_DIR", data_dir_.string()}};
  for (int attempt = 0; attempt < 5; ++attempt) {
    ChildProcess billingd(BillingdPath(), {"serve", "--port", "0", "--host", "127.0.0.1"}, env);
    auto port = billingd.WaitForListeningPort(std::chrono::seconds(15));
    ASSERT_TRUE(port.has_value()) << billingd.Stderr();
    billingd.Signal(SIGTERM);
    EXPECT_EQ(billingd.Wait(std::chrono::seconds(20)), 0) << "attempt " << attempt << ": " << billingd.Stderr();
  }
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
  EXPECT_EQ(customers->rows[0].Int(0), 5);
  // One of them four days into a 14-day trial, with its notice not yet due.
  EXPECT_NE(first.out.find("member@echo.demo"), std::string::npos);
  auto trialing = (*db)->Execute(
      "SELECT COUNT(*) FROM subscriptions WHERE status = 'trialing' AND trial_start IS NOT NULL AND "
      "billing_anchor - trial_start = 1209600000");
  EXPECT_EQ(trialing->rows[0].Int(0), 1);
  // Delta Apps' latest invoice failed to be paid: its dunning campaign runs.
  auto past_due = (*db)->Execute(
      "SELECT COUNT(*) FROM subscriptions s JOIN customers c ON c.id = s.customer_id WHERE s.status = 'past_due' "
      "AND c.name = 'Delta Apps'");
  EXPECT_EQ(past_due->rows[0].Int(0), 1);
  RunResult dunning = RunBillingd({"dunning", "list", "--state", "active"}, Env());
  EXPECT_EQ(dunning.exit_code, 0) << dunning.err;
  EXPECT_NE(dunning.out.find("active    retries 0/4"), std::string::npos) << dunning.out;
  EXPECT_NE(dunning.out.find("final mark_uncollectible"), std::string::npos) << dunning.out;
  RunResult none = RunBillingd({"dunning", "list", "--state", "recovered"}, Env());
  EXPECT_EQ(none.out, "no dunning campaigns\n");
  EXPECT_EQ(RunBillingd({"dunning", "list", "--state", "bogus"}, Env()).err,
            "billingd: --state must be active, recovered, exhausted or closed\n");
  RunResult run = RunBillingd({"dunning", "run"}, Env());
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.err, "billingd: dunning retries go through Stripe: set STRIPE_SECRET_KEY\n");
  RunResult sub = RunBillingd({"subscription", "create", "--customer", "cus_missing", "--plan", "starter"}, Env());
  EXPECT_EQ(sub.exit_code, 1);
  EXPECT_EQ(sub.err, "billingd: no customer cus_missing\n");
  RunResult bad_plan = RunBillingd({"subscription", "create", "--customer", "cus_x", "--plan", "gold"}, Env());
  EXPECT_EQ(bad_plan.err, "billingd: no plan 'gold'\n");
}

TEST_F(ProcessTest, ProductionRefusesAnUnmigratedDatabase) {
  RunResult r =
      RunBillingd({"serve", "--port", "0"}, Env({{"MODE", "production"}, {"JWT_SECRET", std::string(40, 's')}}));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("billingd migrate"), std::string::npos) << r.err;
}

TEST_F(ProcessTest, ProductionRunsWithANewerReleasesExpandStepsButNotItsContractSteps) {
  auto production = Env({{"MODE", "production"}, {"JWT_SECRET", std::string(40, 's')}});
  ASSERT_EQ(RunBillingd({"migrate"}, production).exit_code, 0);
  auto db = storage::Database::Open({.url = "sqlite:" + (data_dir_ / "meterline.db").string()});
  ASSERT_TRUE(db.ok());
  // A newer release applied an expand step marked compatible with this one: this binary still starts.
  auto latest = (*db)->Execute("SELECT MAX(version) FROM schema_migrations");
  ASSERT_TRUE((*db)
                  ->Execute("INSERT INTO schema_migrations (version, name, checksum, applied_at, compatible_with) "
                            "VALUES (9998, '9998_newer_expand.sql', 'x', 0, $1)",
                            {latest->rows[0].Int(0)})
                  .ok());
  RunResult runs = RunBillingd({"dunning", "list"}, production);
  EXPECT_EQ(runs.exit_code, 0) << runs.err;
  // Then a contract step: this binary refuses, and says to upgrade it rather than to migrate.
  ASSERT_TRUE((*db)
                  ->Execute("INSERT INTO schema_migrations (version, name, checksum, applied_at) "
                            "VALUES (9999, '9999_newer_contract.sql', 'x', 0)")
                  .ok());
  RunResult refused = RunBillingd({"serve", "--port", "0"}, production);
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("9999_newer_contract.sql"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("upgrade billingd"), std::string::npos) << refused.err;
  EXPECT_EQ(refused.err.find("run 'billingd migrate' first"), std::string::npos) << refused.err;
}

TEST_F(ProcessTest, DoctorSaysWhatIsWrongInPlainWords) {
  RunResult fresh = RunBillingd({"doctor"}, Env());
  EXPECT_EQ(fresh.exit_code, 1);
  EXPECT_NE(fresh.out.find("FAIL  database      no database at"), std::string::npos) << fresh.out;
  EXPECT_NE(fresh.out.find("run 'billingd migrate'"), std::string::npos) << fresh.out;
  ASSERT_EQ(RunBillingd({"migrate"}, Env()).exit_code, 0);
  RunResult healthy = RunBillingd({"doctor"}, Env());
  EXPECT_EQ(healthy.exit_code, 0) << healthy.out;
  EXPECT_NE(healthy.out.find("ok    schema        current"), std::string::npos) << healthy.out;
  EXPECT_NE(healthy.out.find("all checks passed"), std::string::npos);
  EXPECT_NE(healthy.out.find("ok    usage         in 2 shard files"), std::string::npos) << healthy.out;
  // Usage laid out for two shard files, asked for three without migrating: named, exit 1.
  RunResult misplaced = RunBillingd({"doctor"}, Env({{"USAGE_SHARDS", "3"}, {"MIGRATE_ON_START", "false"}}));
  EXPECT_EQ(misplaced.exit_code, 1) << misplaced.out;
  EXPECT_NE(misplaced.out.find("FAIL  usage         usage events are not laid out for USAGE_SHARDS=3; run "
                               "'billingd migrate' first"),
            std::string::npos)
      << misplaced.out;

  // Redis on a closed port, and a Stripe that refuses the key: both named, exit 1.
  int closed = 1;  // a closed local port (nothing listens on port 1 here)
  RunResult broken = RunBillingd({"doctor"}, Env({{"REDIS_URL", "redis://127.0.0.1:" + std::to_string(closed)},
                                                  {"STRIPE_SECRET_KEY", "rk_not_a_secret_key"},
                                                  {"STRIPE_API_BASE", "http://127.0.0.1:" + std::to_string(closed)}}));
  EXPECT_EQ(broken.exit_code, 1);
  EXPECT_NE(broken.out.find("FAIL  redis"), std::string::npos) << broken.out;
  EXPECT_NE(broken.out.find("FAIL  stripe"), std::string::npos) << broken.out;
  EXPECT_NE(broken.out.find("cannot be reached"), std::string::npos) << broken.out;
  EXPECT_EQ(broken.out.find("rk_not_a_secret_key"), std::string::npos) << "the key is never printed";
  RunResult bad_config = RunBillingd({"doctor"}, Env({{"PORT", "nope"}}));
  EXPECT_EQ(bad_config.exit_code, 2);
  EXPECT_NE(bad_config.out.find("FAIL  configuration PORT must be an integer"), std::string::npos) << bad_config.out;
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
        } else if (r.status == 0 &&
                   (r.error.find("partial") != std::string::npos || r.error.find("Transferred") != std::string::npos)) {
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

// 300 connections against 256 descriptors, with MAX_CONNECTIONS above what they
// allow: accept() runs out of descriptors. billingd must not spin on it (it used
// to log accept failures 100,000 times a second and burn a core), must warn a
// bounded number of times, and must answer again once they are released. A few
// idle connections come first: billingd closes them to free descriptors. The
// 300 send a request header and hold back the body they announced, so they are
// busy, not idle, and the exhaustion lasts until the clients leave.
TEST_F(ProcessTest, RunningOutOfDescriptorsPausesAcceptingWithoutSpinningAndRecovers) {
#if defined(__SANITIZE_ADDRESS__)
  // Without descriptors UBSan cannot open the pipe it checks memory with, and
  // then reports every polymorphic object it looks at (Boost.System's error
  // category) as having an invalid vptr: a sanitizer artifact, not ours.
  GTEST_SKIP() << "runs in the plain build: sanitizers need file descriptors of their own";
#endif
  ChildProcess billingd(BillingdPath(), {"serve", "--port", "0", "--host", "127.0.0.1"},
                        Env({{"MAX_CONNECTIONS", "1000"}, {"MAX_CONNECTIONS_PER_ADDRESS", "0"}}), "",
                        /*max_open_files=*/256);
  auto port = billingd.WaitForListeningPort(std::chrono::seconds(15));
  ASSERT_TRUE(port.has_value()) << billingd.Stderr();
  std::string base = "http://127.0.0.1:" + std::to_string(*port);
  ASSERT_EQ(HealthWithin(base, std::chrono::seconds(5)), 200);
  EXPECT_NE(billingd.Stderr().find("max_connections exceeds what the descriptor limit leaves"), std::string::npos);

  std::vector<int> idle = OpenConnections(*port, 10);
  std::vector<int> held =
      OpenConnections(*port, 300, "POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n");
  ASSERT_EQ(held.size(), 300u);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (billingd.Stderr().find("out of file descriptors") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_NE(billingd.Stderr().find("out of file descriptors"), std::string::npos) << billingd.Stderr();

  // Exhausted for over a second: a generous bound on CPU (half a core) tells
  // a paused accept loop from a spinning one, which uses a whole core.
  double cpu_before = CpuSeconds(billingd.pid());
  auto started = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  double cpu = CpuSeconds(billingd.pid()) - cpu_before;
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_LT(cpu, 0.5 * elapsed) << "billingd used " << cpu << " s of CPU in " << elapsed << " s";
  // One warning per 10 s interval, whatever the number of failed accepts.
  EXPECT_LE(Count(billingd.Stderr(), "out of file descriptors"), 2) << billingd.Stderr();
  // The connection idle longest was closed to free a descriptor.
  timeval wait{5, 0};
  ::setsockopt(idle[0], SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait);
  char byte;
  EXPECT_EQ(::recv(idle[0], &byte, 1, 0), 0);

  for (int fd : idle) ::close(fd);
  for (int fd : held) ::close(fd);
  ASSERT_EQ(HealthWithin(base, std::chrono::seconds(15)), 200) << billingd.Stderr();
  HttpClient client(base);
  HttpResult metrics = client.Get("/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_GT(MetricValue(metrics.body, R"(meterline_http_connections_refused_total{reason="descriptors"})"), 0)
      << metrics.body;
  EXPECT_GT(MetricValue(metrics.body, R"(meterline_http_connections_evicted_total{reason="descriptors"})"), 0);
  EXPECT_EQ(MetricValue(metrics.body, "meterline_http_connections_limit"), 1000);

  billingd.Signal(SIGTERM);
  auto code = billingd.Wait(std::chrono::seconds(20));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << billingd.Stderr();
}

// The same 300 idle connections with the default cap, which fits the 256
// descriptors: descriptors never run out, the connections idle longest make
// room for new ones, and a new client is answered while the others stay open.
TEST_F(ProcessTest, DefaultConnectionCapFitsTheDescriptorLimitAndMakesRoomForNewClients) {
  ChildProcess billingd(BillingdPath(), {"serve", "--port", "0", "--host", "127.0.0.1"},
                        Env({{"MAX_CONNECTIONS_PER_ADDRESS", "0"}}), "", /*max_open_files=*/256);
  auto port = billingd.WaitForListeningPort(std::chrono::seconds(15));
  ASSERT_TRUE(port.has_value()) << billingd.Stderr();
  std::string base = "http://127.0.0.1:" + std::to_string(*port);
  ASSERT_EQ(HealthWithin(base, std::chrono::seconds(5)), 200);
  EXPECT_NE(billingd.Stderr().find("max_connections lowered to fit the descriptor limit"), std::string::npos)
      << billingd.Stderr();

  std::vector<int> idle = OpenConnections(*port, 300);
  ASSERT_EQ(idle.size(), 300u);
  EXPECT_EQ(HealthWithin(base, std::chrono::seconds(10)), 200) << billingd.Stderr();
  HttpClient client(base);
  HttpResult metrics = client.Get("/metrics");
  ASSERT_EQ(metrics.status, 200);
  long limit = MetricValue(metrics.body, "meterline_http_connections_limit");
  EXPECT_GT(limit, 0);
  EXPECT_LT(limit, 256);
  // The connection this request came on made room; the one it closed may not have ended yet.
  EXPECT_LE(MetricValue(metrics.body, "meterline_http_connections_open"), limit + 1);
  EXPECT_GE(MetricValue(metrics.body, R"(meterline_http_connections_evicted_total{reason="total_cap"})"), 300 - limit);
  EXPECT_EQ(MetricValue(metrics.body, R"(meterline_http_connections_refused_total{reason="descriptors"})"), 0);
  EXPECT_EQ(billingd.Stderr().find("out of file descriptors"), std::string::npos);
  EXPECT_LE(Count(billingd.Stderr(), "connections at their cap"), 2) << billingd.Stderr();
  for (int fd : idle) ::close(fd);
}

}  // namespace
}  // namespace meterline::testing
