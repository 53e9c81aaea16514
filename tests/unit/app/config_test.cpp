#include "app/config.hpp"

#include <gtest/gtest.h>

#include <map>

#include "app/wiring.hpp"
#include "reconciliation/options.hpp"

namespace meterline::app {
namespace {

EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(ConfigTest, DefaultsRunOnEmbeddedSqlite) {
  auto config = LoadConfig(Env({}));
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->port, 4000);
  EXPECT_EQ(config->EffectiveDatabaseUrl(), "sqlite:./data/meterline.db");
  EXPECT_TRUE(config->features.billing);
  EXPECT_FALSE(config->features.ab_testing);
  EXPECT_TRUE(config->ShouldMigrateOnStart());
}

TEST(ConfigTest, ReadsTheSpecVariables) {
  auto config = LoadConfig(Env({{"PORT", "4100"},
                                {"DATABASE_URL", "postgresql://u:pw@db:5432/billing"},
                                {"BILLING_ENABLED", "false"},
                                {"AB_TESTING_ENABLED", "true"},
                                {"MODE", "production"},
                                {"JWT_SECRET", std::string(32, 'k')},
                                {"STRIPE_SECRET_KEY", "sk_test_abc"},
                                {"STRIPE_WEBHOOK_SECRET", "whsec_abc"}}));
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->port, 4100);
  EXPECT_FALSE(config->features.billing);
  EXPECT_TRUE(config->features.ab_testing);
  EXPECT_EQ(config->mode, Mode::kProduction);
  EXPECT_FALSE(config->ShouldMigrateOnStart());
}

TEST(ConfigTest, InvalidValuesNameTheVariable) {
  struct Case {
    const char* name;
    const char* value;
    const char* expect;
  };
  for (const Case& c :
       {Case{"PORT", "abc", "PORT must be an integer between 0 and 65535, got 'abc'"},
        Case{"PORT", "70000", "PORT must be an integer"},
        Case{"BILLING_ENABLED", "maybe", "BILLING_ENABLED must be true or false, got 'maybe'"},
        Case{"MODE", "prod", "MODE must be development or production"},
        Case{"DATABASE_URL", "mysql://x", "DATABASE_URL must start with"},
        Case{"REDIS_URL", "http://x", "REDIS_URL must be a redis:// URL"},
        Case{"LOG_LEVEL", "loud", "LOG_LEVEL must be one of"},
        Case{"RECONCILE_ALERT_THRESHOLD", "lots", "RECONCILE_ALERT_THRESHOLD: 'lots' is not one amount"},
        Case{"RECONCILE_ALERT_THRESHOLD", "1000,XYZ=5", "RECONCILE_ALERT_THRESHOLD: 'XYZ' is not a currency"},
        Case{"RECONCILE_ALERT_THRESHOLD", "1000,EUR=", "RECONCILE_ALERT_THRESHOLD: 'EUR=' needs an amount"},
        Case{"RECONCILE_ALERT_THRESHOLD", "1000,2000", "RECONCILE_ALERT_THRESHOLD: '2000' is not one amount"},
        Case{"RECONCILE_ALERT_THRESHOLD", "-5", "RECONCILE_ALERT_THRESHOLD: '-5' is not one amount"},
        Case{"INGEST_MAX_EVENT_VALUE", "1050019585252138",
             "INGEST_MAX_EVENT_VALUE must be an integer between 1 and 1050019585252137"},
        Case{"DUNNING_RETRY_SCHEDULE", "3d,2d",
             "DUNNING_RETRY_SCHEDULE: retry '2d' must come after the retry before it"},
        Case{"DUNNING_RETRY_SCHEDULE", "3w", "DUNNING_RETRY_SCHEDULE: retry '3w' must end in a unit: s, m, h or d"},
        Case{"DUNNING_RETRY_SCHEDULE", "91d", "DUNNING_RETRY_SCHEDULE: retry '91d' is more than 90 days"},
        Case{"DUNNING_RETRY_SCHEDULE", "", "DUNNING_RETRY_SCHEDULE: at least one retry is needed"},
        Case{"DUNNING_RETRY_SCHEDULE", "1d,2d,3d,4d,5d,6d,7d,8d,9d,10d,11d",
             "DUNNING_RETRY_SCHEDULE: at most 10 retries"},
        Case{"DUNNING_FINAL_ACTION", "shrug",
             "DUNNING_FINAL_ACTION must be mark_uncollectible, cancel_subscription or leave_past_due, got 'shrug'"}}) {
    auto config = LoadConfig(Env({{c.name, c.value}}));
    ASSERT_FALSE(config.ok()) << c.name;
    EXPECT_EQ(config.error().message.rfind(c.expect, 0), 0u) << config.error().message;
  }
}

TEST(ConfigTest, DunningScheduleAndFinalAction) {
  auto defaults = LoadConfig(Env({}));
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(dunning::FormatRetrySchedule(defaults->dunning.retries), "3d,7d,14d,21d");
  EXPECT_EQ(defaults->dunning.final_action, dunning::FinalAction::kMarkUncollectible);
  EXPECT_NE(defaults->Describe().find("dunning=3d,7d,14d,21d,mark_uncollectible"), std::string::npos);
  auto set = LoadConfig(Env({{"DUNNING_RETRY_SCHEDULE", "90s, 2h,36h,3d"},
                             {"DUNNING_FINAL_ACTION", "cancel_subscription"},
                             {"DUNNING_ENABLED", "false"}}));
  ASSERT_TRUE(set.ok()) << set.error().message;
  ASSERT_EQ(set->dunning.retries.size(), 4u);
  EXPECT_EQ(set->dunning.retries[0], std::chrono::seconds(90));
  EXPECT_EQ(set->dunning.retries[2], std::chrono::hours(36));
  EXPECT_EQ(dunning::FormatRetrySchedule(set->dunning.retries), "90s,2h,36h,3d");
  EXPECT_EQ(set->dunning.final_action, dunning::FinalAction::kCancelSubscription);
  EXPECT_FALSE(set->dunning.enabled);
  EXPECT_NE(set->Describe().find("dunning=off"), std::string::npos);
}

TEST(ConfigTest, AlertThresholdsAreInEachCurrencysOwnUnits) {
  reconciliation::Options options;
  ASSERT_TRUE(reconciliation::ParseAlertThreshold("1000.50,JPY=150000,EUR=900", options).ok());
  EXPECT_EQ(options.AlertThresholdMinor("USD"), 100'050);
  EXPECT_EQ(options.AlertThresholdMinor("EUR"), 90'000);
  EXPECT_EQ(options.AlertThresholdMinor("JPY"), 150'000);  // no minor unit
  ASSERT_TRUE(reconciliation::ParseAlertThreshold("1000.50", options).ok());
  EXPECT_EQ(options.AlertThresholdMinor("JPY"), 1'000) << "finer than a yen: down to the yen";
  EXPECT_EQ(options.AlertThresholdMinor("EUR"), 100'050) << "a new value replaces the old per-currency ones";
  auto config = LoadConfig(Env({{"RECONCILE_ALERT_THRESHOLD", "250,JPY=40000"}}));
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->reconcile_alert_threshold, "250,JPY=40000");
}

TEST(ConfigTest, ProductionNeedsAStrongJwtSecret) {
  auto missing = LoadConfig(Env({{"MODE", "production"}}));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "JWT_SECRET must be set (at least 32 bytes) in production mode");
  auto short_secret = LoadConfig(Env({{"JWT_SECRET", "too-short-secret"}}));
  ASSERT_FALSE(short_secret.ok());
  EXPECT_EQ(short_secret.error().message, "JWT_SECRET must be at least 32 bytes");
}

TEST(ConfigTest, RateLimitsAreConfigurablePerGroup) {
  auto config = LoadConfig(Env({{"RATE_LIMITS", "billing=5/1m,ingest=100/1s"}}));
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->rate_limits.at("billing").requests, 5);
  EXPECT_EQ(config->rate_limits.at("billing").window, std::chrono::seconds(60));
  EXPECT_EQ(config->rate_limits.at("ingest").window, std::chrono::seconds(1));
  EXPECT_EQ(config->rate_limits.at("auth").requests, 30);  // default kept
  EXPECT_FALSE(LoadConfig(Env({{"RATE_LIMITS", "billing=lots"}})).ok());
  EXPECT_FALSE(LoadConfig(Env({{"RATE_LIMITS", "billing"}})).ok());
}

TEST(ConfigTest, SecretsNeverAppearInErrorsOrDescriptions) {
  auto bad = LoadConfig(Env({{"STRIPE_SECRET_KEY", "pk_live_supersecret"}}));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message.find("supersecret"), std::string::npos);
  auto bad_url = LoadConfig(Env({{"DATABASE_URL", "mysql://user:hunter2@host/db"}}));
  ASSERT_FALSE(bad_url.ok());
  EXPECT_EQ(bad_url.error().message.find("hunter2"), std::string::npos) << bad_url.error().message;

  auto good = LoadConfig(Env({{"STRIPE_SECRET_KEY", "sk_live_supersecret"},
                              {"STRIPE_WEBHOOK_SECRET", "whsec_topsecret"},
                              {"DATABASE_URL", "postgresql://u:hunter2@db/billing"}}));
  ASSERT_TRUE(good.ok());
  std::string described = good->Describe();
  EXPECT_EQ(described.find("supersecret"), std::string::npos);
  EXPECT_EQ(described.find("topsecret"), std::string::npos);
  EXPECT_EQ(described.find("hunter2"), std::string::npos);
  EXPECT_NE(described.find("stripe_secret_key=set"), std::string::npos);
}

TEST(ConfigTest, ConnectionCapsAreConfigurable) {
  auto defaults = LoadConfig(Env({}));
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->max_connections, 0);  // 10,000, or fewer to fit the descriptor limit
  EXPECT_EQ(defaults->max_connections_per_address, 256);
  auto config = LoadConfig(Env({{"MAX_CONNECTIONS", "500"}, {"MAX_CONNECTIONS_PER_ADDRESS", "0"}}));
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->max_connections, 500);
  EXPECT_EQ(config->max_connections_per_address, 0);
  auto negative = LoadConfig(Env({{"MAX_CONNECTIONS", "-1"}}));
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.error().message, "MAX_CONNECTIONS must be an integer between 0 and 1000000, got '-1'");
  EXPECT_FALSE(LoadConfig(Env({{"MAX_CONNECTIONS_PER_ADDRESS", "many"}})).ok());

  // The server gets them, a descriptor reserve that grows with the database
  // pool, and the app's connection metrics.
  App app;
  app.connection_metrics = std::make_unique<http::ConnectionMetrics>(app.metrics);
  config->database_pool_size = 10;
  http::ServerOptions options = ServerOptionsFor(*config, app);
  EXPECT_EQ(options.max_connections, 500u);
  EXPECT_EQ(options.max_connections_per_address, 0u);
  EXPECT_EQ(options.reserved_descriptors, 64u + 30u);
  EXPECT_EQ(options.metrics, app.connection_metrics.get());
}

TEST(ConfigTest, FlagsOverrideEnvironment) {
  auto config = LoadConfig(Env({{"PORT", "4100"}}));
  ASSERT_TRUE(config.ok());
  ASSERT_TRUE(ApplyServeFlags({"--port", "4200", "--log-level=warn"}, *config).ok());
  EXPECT_EQ(config->port, 4200);
  EXPECT_EQ(config->log_level, log::Level::kWarn);
  Status unknown = ApplyServeFlags({"--prot", "1"}, *config);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().message, "unknown flag --prot");
  EXPECT_FALSE(ApplyServeFlags({"--port"}, *config).ok());
}

// The tests' cheap password hashing is code's choice alone, and never in
// production mode (before anything is opened).
TEST(ConfigTest, TheTestsOnlyPasswordCostIsRefusedInProduction) {
  auto config = LoadConfig(Env({{"MODE", "production"},
                                {"JWT_SECRET", std::string(32, 'k')},
                                {"DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none"}}));
  ASSERT_TRUE(config.ok()) << config.error().message;
  SystemClock clock;
  auto app = BuildApp(*config, clock, {.password_cost = auth::PasswordCost::kTestsOnlyMinimum});
  ASSERT_FALSE(app.ok());
  EXPECT_EQ(app.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(app.error().message.find("for tests only"), std::string::npos) << app.error().message;
}

}  // namespace
}  // namespace meterline::app
