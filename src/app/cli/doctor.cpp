// billingd doctor: checks the configuration and everything it names, and says
// in plain words what is wrong (docs/operations.md "Doctor").
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "app/cli/cli.hpp"
#include "app/config.hpp"
#include "app/console_assets.hpp"
#include "app/wiring.hpp"
#include "clickhouse/client.hpp"
#include "clickhouse/schema.hpp"
#include "ratelimit/rate_limiter.hpp"
#include "storage/migrator.hpp"
#include "stripe/client.hpp"

namespace meterline::app {

namespace {

namespace fs = std::filesystem;

constexpr const char* kUsage = R"(Usage: billingd doctor

Checks the configuration (environment variables, README "Configuration") and
what it names: the database and its schema, the data directory, ClickHouse,
Redis, Stripe's API key (one read-only call, GET /v1/balance) and the web
console. Prints one line per check: ok, warn (works, but look at it) or FAIL
with what to do. Exits 1 when a check failed, 2 when the configuration cannot
be read.
)";

class Report {
 public:
  void Ok(const std::string& what, const std::string& detail) { Line("ok  ", what, detail); }
  void Warn(const std::string& what, const std::string& detail) { Line("warn", what, detail); }
  void Fail(const std::string& what, const std::string& detail) {
    ++failed_;
    Line("FAIL", what, detail);
  }
  int failed() const { return failed_; }

 private:
  static void Line(const char* mark, const std::string& what, const std::string& detail) {
    std::printf("%s  %-13s %s\n", mark, what.c_str(), detail.c_str());
  }
  int failed_ = 0;
};

void CheckDatabase(const Config& config, Report& report) {
  std::string url = config.EffectiveDatabaseUrl();
  bool sqlite = url.rfind("sqlite:", 0) == 0;
  if (sqlite) {
    fs::path file = url.substr(7);
    fs::path dir = file.parent_path().empty() ? fs::path(".") : file.parent_path();
    std::error_code ec;
    if (!fs::exists(dir, ec)) {
      report.Fail("data dir", dir.string() + " does not exist: create it, or set DATA_DIR");
      return;
    }
    fs::path probe = dir / ".doctor-write-test";
    if (std::ofstream(probe) << "x") {
      fs::remove(probe, ec);
      report.Ok("data dir", dir.string() + " is writable");
    } else {
      report.Fail("data dir", dir.string() + " is not writable by this user: fix its owner or mode");
      return;
    }
    if (!fs::exists(file, ec)) {
      report.Fail("database", "no database at " + file.string() + ": run 'billingd migrate' (or 'billingd demo')");
      return;
    }
  }
  auto db = OpenDatabase(config);
  if (!db.ok()) {
    report.Fail("database", "cannot open " + storage::RedactUrl(url) + ": " + db.error().message);
    return;
  }
  auto ping = (*db)->Execute("SELECT 1");
  if (!ping.ok()) {
    report.Fail("database", storage::RedactUrl(url) + " does not answer: " + ping.error().message);
    return;
  }
  report.Ok("database", storage::RedactUrl(url) + " answers");
  storage::Migrator migrator(**db);
  Status current = migrator.CheckCurrent();
  auto listed = migrator.Status();
  if (current.ok()) {
    report.Ok("schema", "current (" + std::to_string(listed.ok() ? listed->size() : 0) + " migrations applied)");
  } else if (current.error().Reason() == "migrations_pending") {
    report.Fail("schema", current.error().message + ": run 'billingd migrate'");
  } else {
    report.Fail("schema", current.error().message);
  }
  if (!sqlite || !config.clickhouse_url.empty() || !current.ok()) return;
  // Where usage events live on SQLite (USAGE_SHARDS): opened, not moved.
  auto shards = OpenUsageShards(config, **db, false);
  if (!shards.ok()) {
    report.Fail("usage", shards.error().message);
  } else if (shards->shards.empty()) {
    report.Ok("usage", "in the main database file (USAGE_SHARDS=0)");
  } else {
    report.Ok("usage",
              "in " + std::to_string(shards->shards.size()) + " shard files beside the database, each answering");
  }
}

void CheckClickHouse(const Config& config, Report& report) {
  if (config.clickhouse_url.empty()) return;
  auto layout = ClickHouseLayout(config);
  if (!layout.ok()) {
    report.Fail("clickhouse", layout.error().message);
    return;
  }
  clickhouse::Client client(layout->front, 5'000);
  if (Status ping = client.Ping(); !ping.ok()) {
    report.Fail("clickhouse", storage::RedactUrl(config.clickhouse_url) + " does not answer: " + ping.error().message);
    return;
  }
  if (Status schema = clickhouse::CheckSchema(client); !schema.ok()) {
    report.Fail("clickhouse", schema.error().message + ": run 'billingd migrate'");
    return;
  }
  report.Ok("clickhouse", storage::RedactUrl(config.clickhouse_url) + " answers; usage tables present");
}

void CheckRedis(const Config& config, Report& report) {
  if (config.redis_url.empty()) {
    report.Ok("redis", "not configured: rate limits are counted per instance");
    return;
  }
  if (Status ping = ratelimit::PingRedis(config.redis_url, std::chrono::seconds(3)); !ping.ok()) {
    report.Fail("redis", storage::RedactUrl(config.redis_url) + ": " + ping.error().message +
                             " (rate limits fail open meanwhile)");
    return;
  }
  report.Ok("redis", storage::RedactUrl(config.redis_url) + " answers PING");
}

void CheckStripe(const Config& config, Report& report) {
  if (config.stripe_secret_key.empty()) {
    report.Ok("stripe", "not configured: invoices stay in Meterline, no payments or dunning");
    return;
  }
  stripe::ClientOptions options;
  options.api_base = config.stripe_api_base;
  options.secret_key = config.stripe_secret_key;
  options.max_attempts = 1;
  options.timeout_ms = 10'000;
  stripe::StripeClient client(options);
  auto balance = client.Get("balance");
  if (!balance.ok()) {
    const Error& e = balance.error();
    if (e.code == ErrorCode::kInternal) {  // 401 or 403: the key
      report.Fail("stripe",
                  "STRIPE_SECRET_KEY was refused by " + config.stripe_api_base + " (" + e.message + "): check the key");
    } else if (e.code == ErrorCode::kUnavailable) {
      report.Fail("stripe", config.stripe_api_base + " cannot be reached: " + e.message);
    } else {
      report.Fail("stripe", e.message);
    }
    return;
  }
  report.Ok("stripe", "STRIPE_SECRET_KEY works against " + config.stripe_api_base);
  if (config.stripe_webhook_secret.empty()) {
    report.Warn("stripe", "STRIPE_WEBHOOK_SECRET is not set: Stripe's events (payments, failures) are refused");
  }
}

void CheckConsole(const Config& config, Report& report) {
  if (!config.console_dir.empty()) {
    if (fs::exists(fs::path(config.console_dir) / "index.html")) {
      report.Ok("console", "served from " + config.console_dir);
    } else {
      report.Warn("console", "CONSOLE_DIR " + config.console_dir + " has no index.html: the console is not served");
    }
  } else if (!RegisteredConsole().empty()) {
    report.Ok("console", "built into billingd");
  } else {
    report.Warn("console", "not built into this billingd and no CONSOLE_DIR: the console is not served");
  }
}

}  // namespace

int RunDoctor(const std::vector<std::string>& args) {
  if (WantsHelp(args)) {
    std::cout << kUsage;
    return 0;
  }
  if (!args.empty()) {
    std::cerr << kUsage;
    return 2;
  }
  auto config = LoadConfig(ProcessEnvironment());
  if (!config.ok()) {
    std::printf("FAIL  %-13s %s\n", "configuration", config.error().message.c_str());
    return 2;
  }
  Report report;
  report.Ok("configuration", std::string("mode ") + (config->mode == Mode::kProduction ? "production" : "development"));
  if (config->mode == Mode::kDevelopment && config->jwt_secret.empty()) {
    report.Warn("configuration", "JWT_SECRET is not set: a random one is made at each start, so sessions end then");
  }
  CheckDatabase(*config, report);
  CheckClickHouse(*config, report);
  CheckRedis(*config, report);
  CheckStripe(*config, report);
  CheckConsole(*config, report);
  if (report.failed() > 0) {
    std::printf("%d check%s failed\n", report.failed(), report.failed() == 1 ? "" : "s");
    return 1;
  }
  std::printf("all checks passed\n");
  return 0;
}

}  // namespace meterline::app
