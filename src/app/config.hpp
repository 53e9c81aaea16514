// Config: everything billingd can be told, in one struct, filled from the
// environment and then from `billingd serve` flags (flags win), and validated
// once. An invalid value stops start-up with one line naming the variable.
// With nothing set, billingd runs on the embedded SQLite default.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.hpp"
#include "core/feature_flags.hpp"
#include "core/log.hpp"
#include "core/result.hpp"
#include "dunning/policy.hpp"
#include "money/decimal.hpp"
#include "ratelimit/rate_limiter.hpp"

namespace meterline::app {

enum class Mode { kDevelopment, kProduction };

// billing: the spec's 100 requests per 15 minutes per user; auth: login attempts
// per address (on top of the per-account lockout); admin and ingest: generous.
std::map<std::string, ratelimit::Limit> DefaultRateLimits();

struct Config {
  // MODE: "development" (default) or "production". Production refuses unsafe
  // defaults and does not migrate on start unless MIGRATE_ON_START=true.
  Mode mode = Mode::kDevelopment;

  // TRUSTED_PROXIES: reverse proxies (CIDR blocks or addresses, comma-separated)
  // whose X-Forwarded-For / Forwarded name the client; default none, and then
  // those headers are ignored (README, "Access").
  std::string trusted_proxies;

  // HOST / --host: interface to listen on.
  std::string host = "0.0.0.0";
  // PORT / --port: TCP port (0 picks a free one; the chosen port is logged).
  int port = 4000;
  // IO_THREADS: event-loop threads; 0 = one per core.
  int io_threads = 0;
  // WORKER_THREADS: threads for handlers that touch the database or the network.
  int worker_threads = 16;
  // MAX_CONNECTIONS: most client connections open at once; 0 = 10,000, or fewer when the descriptor
  // limit (RLIMIT_NOFILE, less what the database and files need) is lower. At the cap the connection
  // idle longest is closed to make room; when all are busy, the new one is closed at once.
  int max_connections = 0;
  // MAX_CONNECTIONS_PER_ADDRESS: most from one client address, with the same policy; 0 = no such cap
  // (behind a proxy or load balancer every client has its address).
  int max_connections_per_address = 256;
  // MAX_BODY_BYTES: largest accepted request body; larger gets 413.
  int64_t max_body_bytes = 1 << 20;

  // DATA_DIR / --data-dir: where the embedded database and generated secrets live.
  std::string data_dir = "./data";
  // DATABASE_URL / --database-url: postgresql://user:pass@host:port/db for
  // PostgreSQL; empty = SQLite at DATA_DIR/meterline.db. A secret (may hold a password).
  std::string database_url;
  // DATABASE_POOL_SIZE: pooled connections.
  int database_pool_size = 8;
  // MIGRATE_ON_START: apply pending migrations at start (default: on in
  // development, off in production, where `billingd migrate` is a deploy step).
  std::optional<bool> migrate_on_start;

  // CLICKHOUSE_URL: http://host:8123 to keep usage events in ClickHouse.
  std::string clickhouse_url;
  // CLICKHOUSE_CLUSTER: a cluster from the servers' remote_servers config; the
  // usage tables are then Distributed over its shards, whose nodes
  // CLICKHOUSE_SHARD_URLS lists (comma-separated) for 'billingd migrate'.
  std::string clickhouse_cluster;
  std::vector<std::string> clickhouse_shard_urls;
  // REDIS_URL: redis://host:6379 to share rate-limit counters between instances.
  std::string redis_url;

  // STRIPE_SECRET_KEY (secret): sk_test_… / sk_live_… / rk_…
  std::string stripe_secret_key;
  // STRIPE_WEBHOOK_SECRET (secret): whsec_…
  std::string stripe_webhook_secret;
  // STRIPE_API_BASE: Stripe's API root; tests point it at the fake Stripe.
  std::string stripe_api_base = "https://api.stripe.com";

  // BILLING_ENABLED, TRANSPARENCY_ENABLED, FRAUD_DETECTION_ENABLED, AB_TESTING_ENABLED.
  FeatureFlags features;

  // JWT_SECRET (secret): key for session tokens, at least 32 bytes. Required
  // in production; in development one is generated and kept in
  // DATA_DIR/jwt_secret (mode 0600).
  std::string jwt_secret;
  // SESSION_TTL_MINUTES: how long a login lasts.
  int session_ttl_minutes = 8 * 60;
  // LOGIN_LOCKOUT_AFTER: consecutive failed logins of one account before
  // attempts from addresses its user never signed in from are refused with
  // back-off (a correct password from a known address still works).
  int login_lockout_after = 5;
  // LOGIN_ADDRESS_LOCKOUT_AFTER: consecutive failed logins from one address,
  // for any accounts, before it is refused with back-off; generous, as many
  // people may share one address behind a NAT.
  int login_address_lockout_after = 50;
  // RATE_LIMITS: per route group, "billing=100/15m,auth=30/1m,admin=1000/15m,ingest=60000/1m".
  // A group set here replaces its default; the others keep theirs.
  std::map<std::string, ratelimit::Limit> rate_limits = DefaultRateLimits();

  // CATALOG_PATH: a JSON plan catalog (see src/catalog/default_catalog.json);
  // empty = the built-in catalog with the spec's tiers. Read and validated
  // with the rest of the configuration, before anything touches the database.
  std::string catalog_path;
  std::shared_ptr<const catalog::Catalog> catalog;  // CATALOG_PATH's, parsed; null for the built-in one
  // SELF_SERVICE_PLAN_CHANGES: members may change and cancel their own
  // customer's subscription (admins always may).
  bool self_service_plan_changes = false;
  // INGEST_MAX_BATCH: most events in one ingestion request.
  int ingest_max_batch = 10000;
  // INGEST_QUEUE_EVENTS: most events waiting for the group commit (metering/
  // group_commit.hpp); past it ingestion answers 429 with Retry-After.
  int ingest_queue_events = 200000;
  // INGEST_COMMIT_EVENTS: most events one group commit writes.
  int ingest_commit_events = 50000;
  // INGEST_WRITERS: group-commit writer threads; 0 = by store (SQLite 1,
  // PostgreSQL and ClickHouse 2).
  int ingest_writers = 0;
  // USAGE_SHARDS: on the embedded SQLite database, how many files beside it
  // hold usage events and rollups, each with its own writer (metering/
  // usage_shards.hpp); 0 keeps them in the main file. PostgreSQL and ClickHouse ignore it.
  int usage_shards = 2;
  // INGEST_MAX_BODY_BYTES: body limit of the ingestion route (10,000 events of
  // ~200 bytes need ~2 MB; other routes keep MAX_BODY_BYTES).
  int64_t ingest_max_body_bytes = 16 << 20;
  // INGEST_MAX_AGE_DAYS / INGEST_MAX_FUTURE_MINUTES: how late or early an
  // event's timestamp may be (Stripe's meter events allow 35 days / 5 minutes).
  int ingest_max_age_days = 35;
  int ingest_max_future_minutes = 5;
  // INGEST_MAX_EVENT_VALUE: the largest value one event may carry (10^15);
  // at most 1,050,019,585,252,137, the most one hour's rollup may hold
  // (docs/metering.md, "Limits").
  int64_t ingest_max_event_value = 1'000'000'000'000'000;

  // Invoicing (docs/invoicing.md).
  // INVOICE_NUMBER_PREFIX: numbers read PREFIX-YYYY-NNNNNN, gap-free per prefix and year.
  std::string invoice_number_prefix = "INV";
  // INVOICE_NET_DAYS: due date = finalization + this many days.
  int invoice_net_days = 30;
  // INVOICE_GRACE_MINUTES: a period is invoiced, and closed to late events, this long after its end.
  int invoice_grace_minutes = 60;
  // STRIPE_SYNC_SECONDS: how often 'serve' sends queued invoices to Stripe (0: never).
  int stripe_sync_seconds = 30;
  // INVOICE_SCHEDULE_SECONDS: how often 'serve' looks for periods to invoice (0: never).
  int invoice_schedule_seconds = 300;
  // TAX_RATES: "DE=0.19,FR=0.20,cus_123=0.07": by customer id or country; default none.
  std::map<std::string, money::Decimal> tax_rates;
  // COMPANY_NAME / COMPANY_ADDRESS ("|" separates lines) / COMPANY_LOGO_PATH (PNG): the invoice's issuer.
  std::string company_name = "Meterline Demo GmbH";
  std::vector<std::string> company_address = {"Example Street 1", "10115 Berlin, Germany", "billing@meterline.dev"};
  std::string company_logo_path;

  // Reconciliation (docs/reconciliation.md).
  // RECONCILE_TOLERANCE: a line differing from what we computed by more than
  // this fraction (and more than one minor unit) is a finding.
  money::Decimal reconcile_tolerance{5, 3};
  // RECONCILE_ALERT_THRESHOLD: a currency's discrepancy total above it raises
  // an alert; major units of each currency ("1000.00"), with amounts of their
  // own for some ("1000,JPY=150000"). Checked by reconciliation::ParseAlertThreshold.
  std::string reconcile_alert_threshold = "1000";
  // ALERT_WEBHOOK_URL: alerts are POSTed here as JSON when set (may hold a token: never logged).
  std::string alert_webhook_url;

  // Outgoing webhooks (docs/webhooks.md).
  // WEBHOOK_ALLOW_PRIVATE_TARGETS: endpoints may be loopback, private or
  // link-local addresses, and http (tests, closed networks). Default off.
  bool webhook_allow_private_targets = false;
  // WEBHOOK_DELIVERY_SECONDS: how often 'serve' sends due deliveries (0: never).
  int webhook_delivery_seconds = 1;
  // WEBHOOK_RETRY_FIRST_SECONDS / WEBHOOK_RETRY_MAX_SECONDS: the first retry's
  // delay, doubling up to the most; WEBHOOK_RETRY_HOURS: for how long after
  // the event; WEBHOOK_DISABLE_AFTER_HOURS: an endpoint failing this long
  // since its last success is disabled.
  int webhook_retry_first_seconds = 30;
  int webhook_retry_max_seconds = 6 * 3600;
  int webhook_retry_hours = 72;
  int webhook_disable_after_hours = 72;
  // WEBHOOK_LEASE_SECONDS: how long a worker's claim on a delivery lasts; a
  // killed instance's deliveries are taken up by another after it.
  int webhook_lease_seconds = 60;

  // Dunning (docs/dunning.md). DUNNING_ENABLED (default true): a failed
  // payment starts a campaign; DUNNING_RETRY_SCHEDULE ("3d,7d,14d,21d": after
  // the first failure); DUNNING_FINAL_ACTION: mark_uncollectible |
  // cancel_subscription | leave_past_due.
  dunning::DunningPolicy dunning;
  // DUNNING_RUN_SECONDS: how often 'serve' makes the due retries (0: never).
  int dunning_run_seconds = 60;
  // DUNNING_LEASE_SECONDS: how long a worker's claim on a campaign lasts.
  int dunning_lease_seconds = 120;
  // BUDGET_CHECK_SECONDS: how often 'serve' checks budgets and sends their
  // alerts (0: never; docs/forecasting.md).
  int budget_check_seconds = 300;
  // ANALYTICS_REFRESH_SECONDS: how often 'serve' rebuilds the analytics'
  // summaries (0: never, only on request; docs/analytics.md).
  int analytics_refresh_seconds = 600;

  // CONSOLE_DIR / --console-dir: the web console's build, served at "/".
  std::string console_dir;  // "" = the console compiled into billingd
  // LOG_LEVEL / --log-level: debug | info | warn | error | off.
  log::Level log_level = log::Level::kInfo;

  bool ShouldMigrateOnStart() const { return migrate_on_start.value_or(mode == Mode::kDevelopment); }
  // The SQLite URL or DATABASE_URL: what storage::DatabaseOptions::url expects.
  std::string EffectiveDatabaseUrl() const;
  // One line for the start-up log, with every secret masked.
  std::string Describe() const;
};

// Reads an environment variable; returns nullopt when unset. Injected for tests.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
EnvLookup ProcessEnvironment();

// Builds the config from the environment. Errors name the variable:
// "PORT must be an integer between 0 and 65535, got 'abc'". Secrets may come
// from files, as container platforms mount them: JWT_SECRET_FILE,
// STRIPE_SECRET_KEY_FILE, STRIPE_WEBHOOK_SECRET_FILE and DATABASE_URL_FILE
// hold the value (one trailing newline is dropped); setting both a variable
// and its _FILE is an error.
Result<Config> LoadConfig(const EnvLookup& env);

// Applies `billingd serve` flags (--port 4001, --port=4001, --host, --data-dir,
// --database-url, --console-dir, --log-level, --mode) on top of `config` and
// validates the result. Unknown flags are errors ("unknown flag --prot").
Status ApplyServeFlags(const std::vector<std::string>& args, Config& config);

// Re-checks cross-field rules (e.g. production mode requirements).
Status Validate(const Config& config);

}  // namespace meterline::app
