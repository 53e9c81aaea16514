#include "app/config.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "http/client_address.hpp"
#include "metering/usage_limits.hpp"
#include "reconciliation/options.hpp"
#include "storage/database.hpp"

namespace meterline::app {

namespace {

Error Invalid(const std::string& name, const std::string& what, const std::string& got, bool secret = false) {
  std::string message = name + " " + what;
  if (!secret) message += ", got '" + got + "'";
  return InvalidArgument(message);
}

Result<int64_t> ParseInt(const std::string& name, const std::string& text, int64_t min, int64_t max) {
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || value < min || value > max) {
    return Invalid(name, "must be an integer between " + std::to_string(min) + " and " + std::to_string(max), text);
  }
  return value;
}

Result<bool> ParseBool(const std::string& name, const std::string& text) {
  if (text == "true" || text == "1" || text == "yes" || text == "on") return true;
  if (text == "false" || text == "0" || text == "no" || text == "off") return false;
  return Invalid(name, "must be true or false", text);
}

Result<Mode> ParseMode(const std::string& name, const std::string& text) {
  if (text == "development") return Mode::kDevelopment;
  if (text == "production") return Mode::kProduction;
  return Invalid(name, "must be development or production", text);
}

Result<log::Level> ParseLogLevel(const std::string& name, const std::string& text) {
  log::Level level;
  if (!log::ParseLevel(text, level)) return Invalid(name, "must be one of debug, info, warn, error, off", text);
  return level;
}

bool StartsWith(const std::string& s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }

// A whole file, or nullopt when it cannot be read.
std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return text.str();
}

// The secrets that may also be given as a file (NAME_FILE), as container
// platforms mount them.
bool IsSecretFromFile(const std::string& name) {
  return name == "JWT_SECRET" || name == "STRIPE_SECRET_KEY" || name == "STRIPE_WEBHOOK_SECRET" ||
         name == "DATABASE_URL";
}

// One settable field: its environment name, its flag (or ""), and how to set it.
struct Setting {
  const char* env;
  const char* flag;
  std::function<Status(const std::string& name, const std::string& value, Config&)> apply;
};

template <typename T>
Status Assign(Result<T> parsed, T& field) {
  if (!parsed.ok()) return std::move(parsed).error();
  field = std::move(parsed).value();
  return OkStatus();
}

// A setting holding an int within [min, max].
Setting IntSetting(const char* env, const char* flag, int Config::*field, int64_t min, int64_t max) {
  return {env, flag, [field, min, max](const std::string& n, const std::string& v, Config& c) {
            auto parsed = ParseInt(n, v, min, max);
            if (!parsed.ok()) return Status(parsed.error());
            c.*field = static_cast<int>(*parsed);
            return OkStatus();
          }};
}

const std::vector<Setting>& Settings() {
  static const std::vector<Setting> kSettings = {
      {"MODE", "--mode", [](auto& n, auto& v, Config& c) { return Assign(ParseMode(n, v), c.mode); }},
      {"HOST", "--host",
       [](auto&, auto& v, Config& c) {
         c.host = v;
         return OkStatus();
       }},
      {"TRUSTED_PROXIES", "",
       [](auto& n, auto& v, Config& c) {
         auto parsed = http::TrustedProxies::Parse(v);
         if (!parsed.ok()) return Status(InvalidArgument(n + ": " + parsed.error().message));
         c.trusted_proxies = v;
         return OkStatus();
       }},
      IntSetting("PORT", "--port", &Config::port, 0, 65535),
      IntSetting("IO_THREADS", "", &Config::io_threads, 0, 256),
      IntSetting("WORKER_THREADS", "", &Config::worker_threads, 1, 1024),
      IntSetting("MAX_CONNECTIONS", "", &Config::max_connections, 0, 1000000),
      IntSetting("MAX_CONNECTIONS_PER_ADDRESS", "", &Config::max_connections_per_address, 0, 1000000),
      {"MAX_BODY_BYTES", "",
       [](auto& n, auto& v, Config& c) { return Assign(ParseInt(n, v, 1024, int64_t{1} << 30), c.max_body_bytes); }},
      {"DATA_DIR", "--data-dir",
       [](auto& n, auto& v, Config& c) {
         if (v.empty()) return Status(Invalid(n, "must not be empty", v));
         c.data_dir = v;
         return OkStatus();
       }},
      {"DATABASE_URL", "--database-url",
       [](auto& n, auto& v, Config& c) {
         if (!v.empty() && !StartsWith(v, "postgresql://") && !StartsWith(v, "postgres://") &&
             !StartsWith(v, "sqlite:") && !StartsWith(v, "file:")) {
           return Status(InvalidArgument(n + " must start with postgresql://, postgres:// or sqlite:, got '" +
                                         storage::RedactUrl(v) + "'"));
         }
         if (StartsWith(v, "sqlite:") || StartsWith(v, "file:")) {
           // An explicit file goes where it is told, or nowhere: a typo in its
           // folder must not start an empty database somewhere else.
           std::filesystem::path folder = std::filesystem::path(v.substr(v.find(':') + 1)).parent_path();
           std::error_code ec;
           if (!folder.empty() && !std::filesystem::is_directory(folder, ec)) {
             return Status(InvalidArgument(n + ": folder " + folder.string() + " does not exist"));
           }
         }
         c.database_url = v;
         return OkStatus();
       }},
      IntSetting("DATABASE_POOL_SIZE", "", &Config::database_pool_size, 1, 512),
      {"MIGRATE_ON_START", "",
       [](auto& n, auto& v, Config& c) {
         auto b = ParseBool(n, v);
         if (!b.ok()) return Status(b.error());
         c.migrate_on_start = *b;
         return OkStatus();
       }},
      {"CLICKHOUSE_URL", "",
       [](auto& n, auto& v, Config& c) {
         if (!v.empty() && !StartsWith(v, "http://") && !StartsWith(v, "https://")) {
           return Status(
               InvalidArgument(n + " must be an http:// or https:// URL, got '" + storage::RedactUrl(v) + "'"));
         }
         c.clickhouse_url = v;
         return OkStatus();
       }},
      {"CLICKHOUSE_CLUSTER", "",
       [](auto& n, auto& v, Config& c) {
         for (char ch : v) {
           if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_') {
             return Status(InvalidArgument(n + " must be a cluster name of letters, digits and _, got '" + v + "'"));
           }
         }
         c.clickhouse_cluster = v;
         return OkStatus();
       }},
      {"CLICKHOUSE_SHARD_URLS", "",
       [](auto& n, auto& v, Config& c) {
         c.clickhouse_shard_urls.clear();
         for (size_t start = 0; start < v.size();) {
           size_t end = v.find(',', start);
           if (end == std::string::npos) end = v.size();
           std::string url = v.substr(start, end - start);
           if (!StartsWith(url, "http://") && !StartsWith(url, "https://")) {
             return Status(InvalidArgument(n + " must list http:// URLs separated by commas, got '" +
                                           storage::RedactUrl(url) + "'"));
           }
           c.clickhouse_shard_urls.push_back(url);
           start = end + 1;
         }
         return OkStatus();
       }},
      {"REDIS_URL", "",
       [](auto& n, auto& v, Config& c) {
         if (!v.empty() && !StartsWith(v, "redis://") && !StartsWith(v, "rediss://")) {
           return Status(InvalidArgument(n + " must be a redis:// URL, got '" + storage::RedactUrl(v) + "'"));
         }
         c.redis_url = v;
         return OkStatus();
       }},
      {"STRIPE_SECRET_KEY", "",
       [](auto& n, auto& v, Config& c) {
         if (!v.empty() && !StartsWith(v, "sk_") && !StartsWith(v, "rk_")) {
           return Status(Invalid(n, "must start with sk_ or rk_", v, /*secret=*/true));
         }
         c.stripe_secret_key = v;
         return OkStatus();
       }},
      {"STRIPE_WEBHOOK_SECRET", "",
       [](auto& n, auto& v, Config& c) {
         if (!v.empty() && !StartsWith(v, "whsec_")) {
           return Status(Invalid(n, "must start with whsec_", v, /*secret=*/true));
         }
         c.stripe_webhook_secret = v;
         return OkStatus();
       }},
      {"STRIPE_API_BASE", "",
       [](auto& n, auto& v, Config& c) {
         if (!StartsWith(v, "http://") && !StartsWith(v, "https://")) {
           return Status(Invalid(n, "must be an http:// or https:// URL", v));
         }
         c.stripe_api_base = v;
         while (!c.stripe_api_base.empty() && c.stripe_api_base.back() == '/') c.stripe_api_base.pop_back();
         return OkStatus();
       }},
      {"BILLING_ENABLED", "", [](auto& n, auto& v, Config& c) { return Assign(ParseBool(n, v), c.features.billing); }},
      {"TRANSPARENCY_ENABLED", "",
       [](auto& n, auto& v, Config& c) { return Assign(ParseBool(n, v), c.features.transparency); }},
      {"FRAUD_DETECTION_ENABLED", "",
       [](auto& n, auto& v, Config& c) { return Assign(ParseBool(n, v), c.features.fraud_detection); }},
      {"AB_TESTING_ENABLED", "",
       [](auto& n, auto& v, Config& c) { return Assign(ParseBool(n, v), c.features.ab_testing); }},
      {"JWT_SECRET", "",
       [](auto& n, auto& v, Config& c) {
         if (v.size() < 32) return Status(Invalid(n, "must be at least 32 bytes", v, /*secret=*/true));
         c.jwt_secret = v;
         return OkStatus();
       }},
      IntSetting("SESSION_TTL_MINUTES", "", &Config::session_ttl_minutes, 5, int64_t{30} * 24 * 60),
      IntSetting("LOGIN_LOCKOUT_AFTER", "", &Config::login_lockout_after, 1, 1000000),
      IntSetting("LOGIN_ADDRESS_LOCKOUT_AFTER", "", &Config::login_address_lockout_after, 1, 1000000),
      {"RATE_LIMITS", "",
       [](auto& n, auto& v, Config& c) {
         std::string_view rest = v;
         while (!rest.empty()) {
           std::string_view item = rest.substr(0, rest.find(','));
           rest = item.size() == rest.size() ? std::string_view() : rest.substr(item.size() + 1);
           auto eq = item.find('=');
           if (eq == std::string_view::npos || eq == 0) {
             return Status(Invalid(n, "must look like billing=100/15m,auth=30/1m", v));
           }
           std::string group(item.substr(0, eq));
           const auto defaults = DefaultRateLimits();
           if (!defaults.count(group)) {
             std::string known;
             for (const auto& [name, unused] : defaults) known += (known.empty() ? "" : ", ") + name;
             return Status(InvalidArgument(n + ": unknown group '" + group + "'; the groups are " + known));
           }
           auto limit = ratelimit::ParseLimit(item.substr(eq + 1));
           if (!limit.ok()) return Status(InvalidArgument(n + ": " + limit.error().message));
           c.rate_limits[group] = *limit;
         }
         return OkStatus();
       }},
      {"CATALOG_PATH", "",
       [](auto& n, auto& v, Config& c) {
         c.catalog_path = v;
         c.catalog.reset();
         if (v.empty()) return OkStatus();
         auto text = ReadFile(v);
         if (!text) return Status(InvalidArgument(n + ": cannot read " + v));
         auto parsed = catalog::Catalog::Parse(*text);
         if (!parsed.ok()) return Status(InvalidArgument(n + " " + v + ": " + parsed.error().message));
         c.catalog = std::make_shared<const catalog::Catalog>(std::move(parsed).value());
         return OkStatus();
       }},
      {"SELF_SERVICE_PLAN_CHANGES", "",
       [](auto& n, auto& v, Config& c) { return Assign(ParseBool(n, v), c.self_service_plan_changes); }},
      IntSetting("INGEST_MAX_BATCH", "", &Config::ingest_max_batch, 1, 100000),
      IntSetting("INGEST_QUEUE_EVENTS", "", &Config::ingest_queue_events, 1, 10000000),
      IntSetting("INGEST_COMMIT_EVENTS", "", &Config::ingest_commit_events, 1, 1000000),
      IntSetting("INGEST_WRITERS", "", &Config::ingest_writers, 0, 64),
      IntSetting("USAGE_SHARDS", "", &Config::usage_shards, 0, 64),
      {"INGEST_MAX_BODY_BYTES", "",
       [](auto& n, auto& v, Config& c) {
         return Assign(ParseInt(n, v, 1024, int64_t{1} << 30), c.ingest_max_body_bytes);
       }},
      IntSetting("INGEST_MAX_AGE_DAYS", "", &Config::ingest_max_age_days, 1, 3650),
      IntSetting("INGEST_MAX_FUTURE_MINUTES", "", &Config::ingest_max_future_minutes, 0, int64_t{24} * 60),
      {"INGEST_MAX_EVENT_VALUE", "",
       [](auto& n, auto& v, Config& c) {
         return Assign(ParseInt(n, v, 1, metering::kMaxHourlyUsage), c.ingest_max_event_value);
       }},
      {"INVOICE_NUMBER_PREFIX", "",
       [](auto& n, auto& v, Config& c) {
         if (v.empty() || v.size() > 16 || !std::all_of(v.begin(), v.end(), [](char ch) {
               return std::isupper(static_cast<unsigned char>(ch)) || std::isdigit(static_cast<unsigned char>(ch));
             })) {
           return Status(InvalidArgument(n + " must be 1-16 capital letters or digits, got '" + v + "'"));
         }
         c.invoice_number_prefix = v;
         return OkStatus();
       }},
      IntSetting("INVOICE_NET_DAYS", "", &Config::invoice_net_days, 0, 365),
      IntSetting("INVOICE_GRACE_MINUTES", "", &Config::invoice_grace_minutes, 0, int64_t{7} * 24 * 60),
      IntSetting("INVOICE_SCHEDULE_SECONDS", "", &Config::invoice_schedule_seconds, 0, int64_t{24} * 3600),
      IntSetting("STRIPE_SYNC_SECONDS", "", &Config::stripe_sync_seconds, 0, int64_t{24} * 3600),
      {"WEBHOOK_ALLOW_PRIVATE_TARGETS", "",
       [](auto& n, auto& v, Config& c) { return Assign(ParseBool(n, v), c.webhook_allow_private_targets); }},
      IntSetting("WEBHOOK_DELIVERY_SECONDS", "", &Config::webhook_delivery_seconds, 0, 3600),
      IntSetting("WEBHOOK_RETRY_FIRST_SECONDS", "", &Config::webhook_retry_first_seconds, 1, 3600),
      IntSetting("WEBHOOK_RETRY_MAX_SECONDS", "", &Config::webhook_retry_max_seconds, 1, int64_t{24} * 3600),
      IntSetting("WEBHOOK_RETRY_HOURS", "", &Config::webhook_retry_hours, 0, int64_t{30} * 24),
      IntSetting("WEBHOOK_DISABLE_AFTER_HOURS", "", &Config::webhook_disable_after_hours, 1, int64_t{30} * 24),
      // Longer than one attempt can take (connect + total timeouts).
      IntSetting("WEBHOOK_LEASE_SECONDS", "", &Config::webhook_lease_seconds, 20, 3600),
      {"DUNNING_ENABLED", "",
       [](auto& n, auto& v, Config& c) { return Assign(ParseBool(n, v), c.dunning.enabled); }},
      {"DUNNING_RETRY_SCHEDULE", "",
       [](auto& n, auto& v, Config& c) {
         auto retries = dunning::ParseRetrySchedule(v);
         if (!retries.ok()) return Status(InvalidArgument(n + ": " + retries.error().message));
         c.dunning.retries = *retries;
         return OkStatus();
       }},
      {"DUNNING_FINAL_ACTION", "",
       [](auto& n, auto& v, Config& c) {
         auto action = dunning::ParseFinalAction(v);
         if (!action) {
           return Status(InvalidArgument(n + " must be mark_uncollectible, cancel_subscription or leave_past_due, got '" +
                                         v.substr(0, 40) + "'"));
         }
         c.dunning.final_action = *action;
         return OkStatus();
       }},
      IntSetting("DUNNING_RUN_SECONDS", "", &Config::dunning_run_seconds, 0, int64_t{24} * 3600),
      // Longer than a pay request with the client's retries can take.
      IntSetting("DUNNING_LEASE_SECONDS", "", &Config::dunning_lease_seconds, 60, 3600),
      IntSetting("BUDGET_CHECK_SECONDS", "", &Config::budget_check_seconds, 0, int64_t{24} * 3600),
      IntSetting("ANALYTICS_REFRESH_SECONDS", "", &Config::analytics_refresh_seconds, 0, int64_t{24} * 3600),
      {"TAX_RATES", "",
       [](auto& n, auto& v, Config& c) {
         c.tax_rates.clear();
         for (size_t start = 0; start < v.size();) {
           size_t end = v.find(',', start);
           if (end == std::string::npos) end = v.size();
           std::string item = v.substr(start, end - start);
           size_t eq = item.find('=');
           auto rate = eq == std::string::npos ? std::nullopt : money::Decimal::Parse(item.substr(eq + 1));
           if (eq == 0 || !rate || rate->units() < 0 || !(*rate < money::Decimal(1, 0))) {
             return Status(InvalidArgument(n + ": '" + item + "' must be KEY=RATE with 0 <= RATE < 1, e.g. DE=0.19"));
           }
           c.tax_rates[item.substr(0, eq)] = *rate;
           start = end + 1;
         }
         return OkStatus();
       }},
      {"RECONCILE_TOLERANCE", "",
       [](auto& n, auto& v, Config& c) {
         auto rate = money::Decimal::Parse(v);
         if (!rate || rate->units() < 0 || !(*rate < money::Decimal(1, 0))) {
           return Status(InvalidArgument(n + ": '" + v + "' must be a fraction 0 <= x < 1, e.g. 0.005"));
         }
         c.reconcile_tolerance = *rate;
         return OkStatus();
       }},
      {"RECONCILE_ALERT_THRESHOLD", "",
       [](auto& n, auto& v, Config& c) {
         reconciliation::Options options;
         Status parsed = reconciliation::ParseAlertThreshold(v, options);
         if (!parsed.ok()) {
           return Status(InvalidArgument(n + ": " + parsed.error().message +
                                         " (expected e.g. 1000, 1000.00 or 1000,JPY=150000)"));
         }
         c.reconcile_alert_threshold = v;
         return OkStatus();
       }},
      {"ALERT_WEBHOOK_URL", "",
       [](auto& n, auto& v, Config& c) {
         if (!v.empty() && !StartsWith(v, "http://") && !StartsWith(v, "https://")) {
           return Status(Invalid(n, "must be an http:// or https:// URL", v, /*secret=*/true));
         }
         c.alert_webhook_url = v;
         return OkStatus();
       }},
      {"COMPANY_NAME", "",
       [](auto&, auto& v, Config& c) {
         c.company_name = v;
         return OkStatus();
       }},
      {"COMPANY_ADDRESS", "",
       [](auto&, auto& v, Config& c) {
         c.company_address.clear();
         for (size_t start = 0; start <= v.size();) {
           size_t end = v.find('|', start);
           if (end == std::string::npos) end = v.size();
           if (end > start) c.company_address.push_back(v.substr(start, end - start));
           start = end + 1;
         }
         return OkStatus();
       }},
      {"COMPANY_LOGO_PATH", "",
       [](auto&, auto& v, Config& c) {
         c.company_logo_path = v;
         return OkStatus();
       }},
      {"CONSOLE_DIR", "--console-dir",
       [](auto&, auto& v, Config& c) {
         c.console_dir = v;
         return OkStatus();
       }},
      {"LOG_LEVEL", "--log-level",
       [](auto& n, auto& v, Config& c) { return Assign(ParseLogLevel(n, v), c.log_level); }},
  };
  return kSettings;
}

}  // namespace

std::string Config::EffectiveDatabaseUrl() const {
  if (!database_url.empty()) return database_url;
  return "sqlite:" + data_dir + "/meterline.db";
}

std::string Config::Describe() const {
  std::string out = "mode=" + std::string(mode == Mode::kProduction ? "production" : "development");
  out += " listen=" + host + ":" + std::to_string(port);
  out += " database=" + storage::RedactUrl(EffectiveDatabaseUrl());
  out += " clickhouse=" + (clickhouse_url.empty() ? std::string("off") : storage::RedactUrl(clickhouse_url));
  if (!clickhouse_cluster.empty()) out += " clickhouse_cluster=" + clickhouse_cluster;
  out += " redis=" + (redis_url.empty() ? std::string("off") : storage::RedactUrl(redis_url));
  out += " stripe_api_base=" + stripe_api_base;
  out += " stripe_secret_key=" + std::string(stripe_secret_key.empty() ? "unset" : "set");
  out += " stripe_webhook_secret=" + std::string(stripe_webhook_secret.empty() ? "unset" : "set");
  out += " alert_webhook_url=" + std::string(alert_webhook_url.empty() ? "unset" : "set");
  out += " dunning=" + (dunning.enabled ? dunning::FormatRetrySchedule(dunning.retries) + "," +
                                              dunning::FinalActionName(dunning.final_action)
                                        : std::string("off"));
  out += " jwt_secret=" + std::string(jwt_secret.empty() ? "generated" : "set");
  out += " features=billing:" + std::string(features.billing ? "on" : "off") +
         ",transparency:" + (features.transparency ? "on" : "off") +
         ",fraudDetection:" + (features.fraud_detection ? "on" : "off") +
         ",abTesting:" + (features.ab_testing ? "on" : "off");
  return out;
}

EnvLookup ProcessEnvironment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

Result<Config> LoadConfig(const EnvLookup& env) {
  Config config;
  for (const Setting& setting : Settings()) {
    std::optional<std::string> value = env(setting.env);
    std::string name = setting.env;
    if (IsSecretFromFile(name)) {
      std::optional<std::string> file = env(name + "_FILE");
      if (file && value) return InvalidArgument("set " + name + " or " + name + "_FILE, not both");
      if (file) {
        value = ReadFile(*file);
        if (!value) return InvalidArgument(name + "_FILE: cannot read " + *file);
        if (!value->empty() && value->back() == '\n') value->pop_back();
        if (!value->empty() && value->back() == '\r') value->pop_back();
        name += "_FILE";
      }
    }
    if (!value) continue;
    MTL_RETURN_IF_ERROR(setting.apply(name, *value, config));
  }
  MTL_RETURN_IF_ERROR(Validate(config));
  return config;
}

Status ApplyServeFlags(const std::vector<std::string>& args, Config& config) {
  for (size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    std::string value;
    bool has_value = false;
    if (auto eq = arg.find('='); eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_value = true;
    }
    const Setting* match = nullptr;
    for (const Setting& s : Settings()) {
      if (s.flag[0] != '\0' && arg == s.flag) match = &s;
    }
    if (match == nullptr) return InvalidArgument("unknown flag " + arg);
    if (!has_value) {
      if (i + 1 >= args.size()) return InvalidArgument("flag " + arg + " needs a value");
      value = args[++i];
    }
    MTL_RETURN_IF_ERROR(match->apply(arg, value, config));
  }
  return Validate(config);
}

Status Validate(const Config& config) {
  if (config.mode == Mode::kProduction && config.jwt_secret.empty()) {
    return InvalidArgument("JWT_SECRET must be set (at least 32 bytes) in production mode");
  }
  if (!config.clickhouse_cluster.empty() && config.clickhouse_url.empty()) {
    return InvalidArgument("CLICKHOUSE_CLUSTER needs CLICKHOUSE_URL (the node billingd talks to)");
  }
  if (!config.clickhouse_cluster.empty() && config.clickhouse_shard_urls.empty()) {
    return InvalidArgument("CLICKHOUSE_CLUSTER needs CLICKHOUSE_SHARD_URLS (one node per shard, for migrations)");
  }
  return OkStatus();
}

std::map<std::string, ratelimit::Limit> DefaultRateLimits() {
  using std::chrono::minutes;
  // console: billing and admin requests of console sessions (a person reading
  // pages, several requests per page; see docs/console.md).
  return {{"billing", {100, minutes(15)}}, {"console", {3000, minutes(15)}}, {"auth", {30, minutes(1)}},
          {"admin", {1000, minutes(15)}},  {"ingest", {60000, minutes(1)}},  {"webhook", {6000, minutes(1)}}};
}

}  // namespace meterline::app
