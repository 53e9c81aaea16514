// billingd end to end through the real transport and pipeline, once per backend.
#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <unistd.h>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>

#include "support/billingd_harness.hpp"
#include "support/http_client.hpp"

namespace meterline::testing {
namespace {

class ApiTest : public ::testing::TestWithParam<storage::Backend> {
 protected:
  std::unique_ptr<BillingdHarness> Start(std::map<std::string, std::string> env = {},
                                         std::function<void(app::App&)> customize = {}) {
    return std::make_unique<BillingdHarness>(
        BillingdHarness::Options{.backend = GetParam(), .env = std::move(env), .customize = std::move(customize)});
  }
  static boost::json::object ErrorOf(const HttpResult& r) {
    return boost::json::parse(r.body).as_object().at("error").as_object();
  }
};

TEST_P(ApiTest, FeaturesReflectTheEnvironment) {
  auto billingd = Start({{"BILLING_ENABLED", "false"}, {"AB_TESTING_ENABLED", "true"}});
  HttpClient client(billingd->base_url());
  HttpResult r = client.Get("/api/v1/meta/features");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.Header("Content-Type"), "application/json");
  auto flags = boost::json::parse(r.body).as_object();
  EXPECT_EQ(flags.at("billing").as_bool(), false);
  EXPECT_EQ(flags.at("abTesting").as_bool(), true);
  EXPECT_EQ(flags.at("transparency").as_bool(), false);
  EXPECT_EQ(flags.at("fraudDetection").as_bool(), false);
  EXPECT_FALSE(r.Header("X-Request-Id").empty());
}

TEST_P(ApiTest, BillingRoutesDisappearWhenBillingIsDisabled) {
  auto billingd = Start({{"BILLING_ENABLED", "false"}});
  HttpClient client(billingd->base_url());
  HttpResult r = client.Get("/api/v1/billing/customers");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(ErrorOf(r).at("code").as_string(), "feature_disabled");
  auto enabled = Start();
  HttpClient enabled_client(enabled->base_url());
  EXPECT_EQ(enabled_client.Get("/api/v1/billing/customers").status, 401) << "exists, needs credentials";
}

TEST_P(ApiTest, InfoNamesVersionAndStartTime) {
  auto billingd = Start();
  HttpClient client(billingd->base_url());
  HttpResult r = client.Get("/api/v1/meta/info");
  ASSERT_EQ(r.status, 200);
  auto info = boost::json::parse(r.body).as_object();
  EXPECT_EQ(info.at("name").as_string(), "meterline");
  EXPECT_EQ(info.at("apiVersion").as_string(), "v1");
  EXPECT_FALSE(info.at("version").as_string().empty());
  EXPECT_FALSE(info.at("gitCommit").as_string().empty());
  EXPECT_TRUE(ParseIso8601(std::string(info.at("startedAt").as_string())).has_value());
}

TEST_P(ApiTest, HealthAndReadiness) {
  auto billingd = Start();
  HttpClient client(billingd->base_url());
  EXPECT_EQ(client.Get("/health").status, 200);
  HttpResult ready = client.Get("/ready");
  ASSERT_EQ(ready.status, 200) << ready.body;
  auto body = boost::json::parse(ready.body).as_object();
  EXPECT_EQ(body.at("status").as_string(), "ready");
  EXPECT_EQ(body.at("checks").as_object().at("migrations").as_string(), "ok");
}

TEST_P(ApiTest, ReadinessFailsWhenAMigrationWasEdited) {
  auto billingd = Start();
  ASSERT_TRUE(billingd->database().db().Execute("UPDATE schema_migrations SET checksum = $1", {"edited"}).ok());
  HttpClient client(billingd->base_url());
  HttpResult ready = client.Get("/ready");
  EXPECT_EQ(ready.status, 503);
  auto body = boost::json::parse(ready.body).as_object();
  EXPECT_EQ(body.at("status").as_string(), "not_ready");
  // Public: which check failed, not the reason (that goes to the log).
  EXPECT_EQ(body.at("checks").as_object().at("migrations").as_string(), "failed") << ready.body;
}

TEST_P(ApiTest, ErrorsUseTheErrorSchema) {
  auto billingd = Start({}, [](app::App& app) {
    http::Route echo;
    echo.method = http::Method::kPost;
    echo.pattern = "/api/v1/test/echo";
    echo.json_body = true;
    echo.handler = [](http::Request& r) -> Result<http::Response> { return http::Response::Json(200, r.body); };
    app.router.Add(std::move(echo));
    http::Route down;
    down.method = http::Method::kGet;
    down.pattern = "/api/v1/test/down";
    down.handler = [](http::Request&) -> Result<http::Response> {
      return Error(ErrorCode::kUnavailable, "database_unavailable",
                   "cannot connect to PostgreSQL at postgresql://db-7.internal/billing: timeout");
    };
    app.router.Add(std::move(down));
  });
  HttpClient client(billingd->base_url());

  // A dependency's failure is a 503 that does not name our hosts.
  HttpResult down = client.Get("/api/v1/test/down");
  EXPECT_EQ(down.status, 503);
  EXPECT_EQ(ErrorOf(down).at("code").as_string(), "database_unavailable");
  EXPECT_EQ(down.body.find("db-7.internal"), std::string::npos) << down.body;
  EXPECT_NE(std::string(ErrorOf(down).at("message").as_string()).find(down.Header("X-Request-Id")), std::string::npos);

  HttpResult missing = client.Get("/api/v1/no/such/route");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(ErrorOf(missing).at("code").as_string(), "not_found");
  EXPECT_EQ(ErrorOf(missing).at("request_id").as_string(), missing.Header("X-Request-Id"));

  HttpResult wrong_method = client.Send("DELETE", "/api/v1/meta/features", "", {});
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_EQ(wrong_method.Header("Allow"), "GET");

  HttpResult bad_json = client.Post("/api/v1/test/echo", "{bad json");
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_EQ(ErrorOf(bad_json).at("code").as_string(), "invalid_json");

  HttpResult good_json = client.Post("/api/v1/test/echo", R"({"a":1})");
  EXPECT_EQ(good_json.status, 200);
  EXPECT_EQ(good_json.body, R"({"a":1})");

  std::string big(2 << 20, 'x');
  HttpResult too_big = client.Post("/api/v1/test/echo", big);
  EXPECT_EQ(too_big.status, 413);
  EXPECT_EQ(ErrorOf(too_big).at("code").as_string(), "payload_too_large");

  // The connection closed after the 413 must not break the next request.
  EXPECT_EQ(client.Get("/health").status, 200);
}

TEST_P(ApiTest, MetricsPassPromtool) {
  auto billingd = Start();
  // Stripe work waiting two hours, and one row dead: what an operator alerts on.
  int64_t two_hours_ago = ToUnixMillis(billingd->clock().Now() - std::chrono::hours(2));
  ASSERT_TRUE(billingd->database()
                  .db()
                  .Execute("INSERT INTO stripe_outbox (operation, object_id, status, attempts, next_attempt_at, "
                           "created_at, updated_at) VALUES ('sync_invoice', 'inv_a', 'pending', 0, $1, $1, $1), "
                           "('sync_invoice', 'inv_b', 'dead', 10, $1, $1, $1)",
                           {two_hours_ago})
                  .ok());
  HttpClient client(billingd->base_url());
  client.Get("/api/v1/meta/features");
  client.Get("/nope");
  HttpResult metrics = client.Get("/metrics");
  for (const char* line :
       {"\nmeterline_stripe_outbox_rows{state=\"pending\"} 1\n", "\nmeterline_stripe_outbox_rows{state=\"dead\"} 1\n",
        "\nmeterline_stripe_webhook_inbox_rows{state=\"pending\"} 0\n",
        "\nmeterline_stripe_webhook_inbox_lag_seconds 0\n", "\nmeterline_events_pending 0\n",
        "\nmeterline_dunning_campaigns_active 0\n", "\nmeterline_build_info{version=\"", "\nprocess_cpu_seconds_total ",
        "\nprocess_resident_memory_bytes ", "\nprocess_open_fds ", "\nprocess_max_fds ",
        "\nprocess_start_time_seconds ", "# TYPE meterline_invoice_run_last_success_timestamp_seconds gauge",
        "# TYPE meterline_invoice_run_failures_total counter", "# TYPE meterline_stripe_api_requests_total counter",
        "# TYPE meterline_ingest_events_total counter"}) {
    EXPECT_NE(metrics.body.find(line), std::string::npos) << line;
  }
  // Every metric the shipped alerts and dashboard read is one billingd exposes.
  for (const char* file : {"/deploy/prometheus/alerts.yml", "/deploy/grafana/meterline.json"}) {
    std::ifstream in(std::string(MTL_SOURCE_DIR) + file);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_FALSE(text.empty()) << file;
    std::regex name(R"((meterline|process)_[a-z_]+)");
    for (auto it = std::sregex_iterator(text.begin(), text.end(), name); it != std::sregex_iterator(); ++it) {
      std::string family = it->str();
      for (const char* suffix : {"_bucket", "_count", "_sum"}) {
        if (family.size() > std::strlen(suffix) &&
            family.compare(family.size() - std::strlen(suffix), std::string::npos, suffix) == 0) {
          family.resize(family.size() - std::strlen(suffix));
        }
      }
      EXPECT_NE(metrics.body.find("# TYPE " + family + " "), std::string::npos) << file << " reads " << family;
    }
  }
  size_t age = metrics.body.find("\nmeterline_stripe_outbox_oldest_pending_age_seconds ");
  ASSERT_NE(age, std::string::npos);
  double seconds = std::stod(metrics.body.substr(age + 52));
  EXPECT_GE(seconds, 7200);
  EXPECT_LT(seconds, 7200 + 600);
  ASSERT_EQ(metrics.status, 200);
  EXPECT_NE(
      metrics.body.find(R"(meterline_http_requests_total{route="/api/v1/meta/features",method="GET",status="200"} 1)"),
      std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("meterline_db_pool_connections_limit"), std::string::npos);
  EXPECT_NE(metrics.body.find("meterline_http_request_duration_seconds_bucket"), std::string::npos);
  // The transport's connection metrics.
  EXPECT_NE(metrics.body.find("\nmeterline_http_connections_open "), std::string::npos) << metrics.body;
  EXPECT_NE(metrics.body.find(R"(meterline_http_connections_refused_total{reason="descriptors"} 0)"),
            std::string::npos);

  std::string path = ::testing::TempDir() + "/metrics_" + std::to_string(::getpid()) + ".txt";
  std::ofstream(path) << metrics.body;
  std::string command = "promtool check metrics < " + path + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buf[512];
  while (fgets(buf, sizeof buf, pipe)) output += buf;
  int status = ::pclose(pipe);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_NE(WEXITSTATUS(status), 127) << "promtool is not installed; run scripts/install-deps";
  EXPECT_EQ(WEXITSTATUS(status), 0) << output;
  std::remove(path.c_str());
}

TEST_P(ApiTest, OpenApiDocumentIsServed) {
  auto billingd = Start();
  HttpClient client(billingd->base_url());
  HttpResult r = client.Get("/api/v1/openapi.yaml");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body.rfind("openapi: 3.1", 0), 0u);
  EXPECT_NE(r.Header("Content-Type").find("yaml"), std::string::npos);
}

TEST_P(ApiTest, RootWithoutConsoleIs404Json) {
  auto billingd = Start();
  HttpClient client(billingd->base_url());
  HttpResult r = client.Get("/");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(ErrorOf(r).at("code").as_string(), "not_found");
}

// "/API/V1/…" is no route, but it is the API's: a JSON 404, never the console's page.
TEST_P(ApiTest, ApiPathsInAnyCaseAreNeverTheConsole) {
  std::string console = ::testing::TempDir() + "mtl-console-" + std::to_string(::getpid());
  std::filesystem::create_directories(console);
  std::ofstream(console + "/index.html") << "<!doctype html><title>console</title>";
  auto billingd = Start({{"CONSOLE_DIR", console}});
  HttpClient client(billingd->base_url());
  EXPECT_NE(client.Get("/invoices").body.find("<title>console</title>"), std::string::npos);
  for (const char* path : {"/API/V1/meta/features", "/Api/v1/billing/invoices", "/API", "/api/V1/nothing"}) {
    HttpResult r = client.Get(path);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_EQ(r.Header("Content-Type").rfind("application/json", 0), 0u) << path << ": " << r.body.substr(0, 60);
  }
  std::filesystem::remove_all(console);
}

INSTANTIATE_TEST_SUITE_P(Backends, ApiTest, ::testing::ValuesIn(TestBackends()),
                         [](const auto& info) { return BackendParamName(info.param); });

}  // namespace
}  // namespace meterline::testing
