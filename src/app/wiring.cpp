#include "app/wiring.hpp"

#include <filesystem>

#include "api/routes.hpp"
#include "app/console_assets.hpp"
#include "app/secrets.hpp"
#include "audit/audit_log.hpp"
#include "core/log.hpp"
#include "http/middleware/access_log.hpp"
#include "http/middleware/admin_audit.hpp"
#include "http/middleware/authenticate.hpp"
#include "http/middleware/client_address.hpp"
#include "http/middleware/csrf.hpp"
#include "http/middleware/feature_flag.hpp"
#include "http/middleware/rate_limit.hpp"
#include "http/middleware/rbac.hpp"
#include "http/middleware/request_id.hpp"
#include "metering/clickhouse_usage_store.hpp"
#include "metering/group_commit.hpp"
#include "metering/sharded_usage_store.hpp"
#include "metering/sql_usage_store.hpp"
#include "metering/usage_shards.hpp"
#include "storage/migrator.hpp"

#include <fstream>
#include <sstream>

namespace meterline::app {

Result<std::unique_ptr<storage::Database>> OpenDatabase(const Config& config) {
  storage::DatabaseOptions options;
  options.url = config.EffectiveDatabaseUrl();
  options.pool_size = config.database_pool_size;
  return storage::Database::Open(options);
}

Result<UsageFiles> OpenUsageShards(const Config& config, storage::Database& db, bool place,
                                   const std::function<void(const std::string&)>& progress) {
  std::string path = config.EffectiveDatabaseUrl();
  for (const char* scheme : {"sqlite:", "file:"}) {
    if (path.rfind(scheme, 0) == 0) path = path.substr(std::string_view(scheme).size());
  }
  // An in-memory database has no directory to put shard files in.
  if (path == ":memory:") return UsageFiles{};
  UsageFiles files;
  // Held shared while this process uses the files; alone while it moves usage.
  MTL_ASSIGN_OR_RETURN(files.lock, storage::UsageLayoutLock::Share(path));
  int shards = config.usage_shards;
  const Error not_placed(
      ErrorCode::kUnavailable, "usage_not_placed",
      "usage events are not laid out for USAGE_SHARDS=" + std::to_string(shards) + "; run 'billingd migrate' first");
  // Creating a shard file changes the layout too: alone, like a move.
  bool alone = false;
  for (int index = 0; index < shards && !alone; ++index) {
    if (!std::filesystem::exists(storage::UsageShardPath(path, index))) {
      if (!place) return not_placed;
      MTL_RETURN_IF_ERROR(files.lock->TryExclusive());
      alone = true;
    }
  }
  storage::DatabaseOptions options;
  options.pool_size = config.database_pool_size;
  MTL_ASSIGN_OR_RETURN(files.shards, metering::OpenUsageShards(path, shards, options));
  std::vector<storage::Database*> dbs;
  dbs.reserve(files.shards.size());
  for (auto& shard : files.shards) dbs.push_back(shard.get());
  MTL_ASSIGN_OR_RETURN(bool placed, metering::UsagePlaced(db, path, shards, dbs));
  if (placed) {
    if (alone) MTL_RETURN_IF_ERROR(files.lock->Share());
    return files;
  }
  if (!place) return not_placed;
  if (!alone) MTL_RETURN_IF_ERROR(files.lock->TryExclusive());
  auto report = [&progress](const std::string& line) {
    if (progress) {
      progress(line);
    } else {
      log::Info(line);
    }
  };
  report("placing usage events for USAGE_SHARDS=" + std::to_string(shards));
  MTL_RETURN_IF_ERROR(metering::PlaceUsage(db, path, shards, dbs, report));
  MTL_RETURN_IF_ERROR(files.lock->Share());
  return files;
}

Result<clickhouse::Layout> ClickHouseLayout(const Config& config) {
  clickhouse::Layout layout;
  auto front = clickhouse::ParseUrl(config.clickhouse_url);
  if (!front.ok()) return InvalidArgument("CLICKHOUSE_URL: " + front.error().message);
  layout.front = std::move(front).value();
  layout.cluster = config.clickhouse_cluster;
  for (const std::string& url : config.clickhouse_shard_urls) {
    auto shard = clickhouse::ParseUrl(url);
    if (!shard.ok()) return InvalidArgument("CLICKHOUSE_SHARD_URLS: " + shard.error().message);
    if (shard->database == "default") shard->database = layout.front.database;
    layout.shards.push_back(std::move(shard).value());
  }
  return layout;
}

http::ServerOptions ServerOptionsFor(const Config& config, App& app) {
  http::ServerOptions options;
  options.address = config.host;
  options.port = static_cast<uint16_t>(config.port);
  options.io_threads = config.io_threads;
  options.worker_threads = config.worker_threads;
  options.body_limit = static_cast<size_t>(config.max_body_bytes);
  options.max_connections = static_cast<size_t>(config.max_connections);
  options.max_connections_per_address = static_cast<size_t>(config.max_connections_per_address);
  if (auto proxies = http::TrustedProxies::Parse(config.trusted_proxies); proxies.ok()) {
    options.uncapped_peers = std::move(proxies).value();  // checked by LoadConfig
  }
  // Up to three descriptors per pooled database connection (SQLite's database,
  // WAL and shared-memory files), plus logs, outgoing HTTP, Redis and the event loop.
  options.reserved_descriptors = 64 + 3 * static_cast<size_t>(config.database_pool_size);
  options.metrics = app.connection_metrics.get();
  return options;
}

namespace {
// Set once by main() before anything runs; test binaries leave it empty.
std::span<const EmbeddedFile> registered_console;  // NOLINT(cppcoreguidelines-avoid-non-const-global-variables)
}  // namespace

void RegisterConsole(std::span<const EmbeddedFile> files) { registered_console = files; }
std::span<const EmbeddedFile> RegisteredConsole() { return registered_console; }

Result<std::unique_ptr<App>> BuildApp(const Config& config, const Clock& clock, const BuildOptions& options) {
  if (options.password_cost == auth::PasswordCost::kTestsOnlyMinimum && config.mode == Mode::kProduction) {
    return InvalidArgument("the minimum password hashing cost is for tests only, not for production mode");
  }
  auto app = std::make_unique<App>();
  app->config = config;

  MTL_ASSIGN_OR_RETURN(auto db, OpenDatabase(config));
  app->db = std::move(db);

  storage::Migrator migrator(*app->db);
  if (config.ShouldMigrateOnStart()) {
    MTL_RETURN_IF_ERROR(migrator.Apply([](const storage::MigrationStatus& m) {
      log::Info("migration applied", {{"version", m.version}, {"name", m.name}});
    }));
  } else if (Status current = migrator.CheckCurrent(); !current.ok()) {
    // A newer release's schema is not fixed by migrating with this one.
    if (current.error().Reason() == "unknown_migration") return std::move(current).error();
    return Error(current.error().code, current.error().Reason(),
                 current.error().message + "; run 'billingd migrate' first");
  }

  app->connection_metrics = std::make_unique<http::ConnectionMetrics>(app->metrics);
  storage::Database& database = *app->db;
  app->metrics.AddCallbackGauge("meterline_db_pool_connections_in_use", "Database connections lent out now.",
                                [&database] { return int64_t{database.pool_stats().in_use}; });
  app->metrics.AddCallbackGauge("meterline_db_pool_connections_limit", "Database connections the pool may hold.",
                                [&database] { return int64_t{database.pool_stats().size}; });

  // Identity: the JWT secret comes from JWT_SECRET, or in development from a
  // generated file; the CSRF key is derived from it so one secret is enough.
  std::string jwt_secret = config.jwt_secret;
  if (jwt_secret.empty()) {
    MTL_ASSIGN_OR_RETURN(auto generated, LoadOrCreateSecret(config.data_dir, "jwt_secret"));
    jwt_secret = std::move(generated);
  }
  app->hasher = std::make_unique<auth::PasswordHasher>(options.password_cost);
  app->jwt = std::make_unique<auth::JwtCodec>(jwt_secret, auth::JwtOptions{}, clock);
  app->csrf = std::make_unique<auth::CsrfGuard>(auth::HmacSha256(jwt_secret, "meterline csrf key v1"));
  auth::IdentityOptions identity_options;
  identity_options.session_ttl = std::chrono::minutes(config.session_ttl_minutes);
  identity_options.max_failures_before_lockout = config.login_lockout_after;
  identity_options.max_address_failures_before_lockout = config.login_address_lockout_after;
  app->customers = std::make_unique<customers::CustomerStore>(*app->db, clock);
  app->identity =
      std::make_unique<auth::IdentityService>(*app->db, clock, *app->hasher, *app->jwt, *app->csrf, identity_options);

  if (config.redis_url.empty()) {
    app->rate_limiter = ratelimit::NewMemoryRateLimiter(clock);
  } else {
    auto& backend_errors = app->metrics.AddCounter("meterline_ratelimit_backend_errors_total",
                                                   "Rate-limit checks that failed open because Redis failed.", {});
    ratelimit::RedisOptions redis_options;
    redis_options.url = config.redis_url;
    MTL_ASSIGN_OR_RETURN(auto limiter, ratelimit::NewRedisRateLimiter(redis_options, clock, [&backend_errors] {
                           backend_errors.WithLabels({}).Inc();
                         }));
    app->rate_limiter = std::move(limiter);
  }

  // Metrics from the catalog file or the built-in one; plans from the
  // database, which the catalog seeds when it has none.
  app->catalog = std::make_unique<catalog::Catalog>(config.catalog ? *config.catalog : catalog::Catalog::Default());
  app->plans = std::make_unique<plans::PlanBook>(*app->db, *app->catalog, clock);
  MTL_RETURN_IF_ERROR(app->plans->Seed());
  app->subscriptions = std::make_unique<subscriptions::SubscriptionService>(*app->db, *app->plans, clock);
  metering::IngestOptions ingest_options;
  ingest_options.max_age = std::chrono::hours(24 * config.ingest_max_age_days);
  ingest_options.max_future = std::chrono::minutes(config.ingest_max_future_minutes);
  ingest_options.closed_after = std::chrono::minutes(config.invoice_grace_minutes);
  ingest_options.max_event_value = config.ingest_max_event_value;
  // Usage events: in the transactional database (on SQLite, in its usage
  // shard files), or in ClickHouse when configured.
  if (config.clickhouse_url.empty()) {
    if (app->db->backend() == storage::Backend::kSqlite) {
      MTL_ASSIGN_OR_RETURN(auto files, OpenUsageShards(config, *app->db, config.ShouldMigrateOnStart()));
      app->usage_lock = std::move(files.lock);
      app->usage_shard_dbs = std::move(files.shards);
    }
    for (auto& shard : app->usage_shard_dbs) app->usage_databases.push_back(shard.get());
    if (app->usage_databases.empty()) app->usage_databases.push_back(app->db.get());
    if (app->usage_shard_dbs.empty()) {
      app->usage_backend = std::make_unique<metering::SqlUsageStore>(*app->db, *app->catalog);
    } else {
      std::vector<std::unique_ptr<metering::UsageStore>> shards;
      for (auto& shard : app->usage_shard_dbs) {
        shards.push_back(std::make_unique<metering::ShardUsageStore>(*shard, *app->db, *app->catalog));
      }
      app->usage_backend = std::make_unique<metering::ShardedUsageStore>(std::move(shards));
    }
  } else {
    MTL_ASSIGN_OR_RETURN(auto layout, ClickHouseLayout(config));
    if (config.ShouldMigrateOnStart()) {
      MTL_RETURN_IF_ERROR(clickhouse::ApplySchema(layout));
    }
    app->clickhouse = std::make_unique<clickhouse::Client>(layout.front);
    if (Status schema = clickhouse::CheckSchema(*app->clickhouse); !schema.ok()) return std::move(schema).error();
    app->usage_backend = std::make_unique<metering::ClickHouseUsageStore>(*app->db, *app->clickhouse,
                                                                          !layout.cluster.empty(), *app->catalog);
  }
  auto& commits = app->metrics.AddCounter("meterline_ingest_group_commits_total",
                                          "Group commits of usage events: one transaction and fsync each.", {});
  auto& commit_requests = app->metrics.AddCounter("meterline_ingest_group_commit_requests_total",
                                                  "Ingestion requests written by group commits.", {});
  auto& queue_full = app->metrics.AddCounter("meterline_ingest_queue_full_total",
                                             "Ingestion requests refused with 429 because the queue was full.", {});
  metering::GroupCommitOptions group_commit;
  group_commit.max_events_per_commit = static_cast<size_t>(config.ingest_commit_events);
  group_commit.max_queued_events = static_cast<size_t>(config.ingest_queue_events);
  // On SQLite one write lock serializes every writer's transaction, also when
  // the events go to ClickHouse (its writes run under that transaction): a
  // second writer would only split the groups.
  bool one_writer_lock = app->db->backend() == storage::Backend::kSqlite;
  group_commit.writers = config.ingest_writers > 0 ? config.ingest_writers : (one_writer_lock ? 1 : 2);
  group_commit.on_commit = [&commits, &commit_requests](size_t requests, size_t) {
    commits.WithLabels({}).Inc();
    commit_requests.WithLabels({}).Inc(requests);
  };
  group_commit.on_refused = [&queue_full] { queue_full.WithLabels({}).Inc(); };
  if (auto* sharded = dynamic_cast<metering::ShardedUsageStore*>(app->usage_backend.get())) {
    // A writer per shard file: each has its own write lock. The queue bound
    // is shared out, so that INGEST_QUEUE_EVENTS stays the bound of the whole.
    group_commit.max_queued_events = std::max<size_t>(1, group_commit.max_queued_events / sharded->shard_count());
    std::vector<std::unique_ptr<metering::UsageStore>> committed;
    for (size_t k = 0; k < sharded->shard_count(); ++k) {
      committed.push_back(std::make_unique<metering::GroupCommitStore>(sharded->shard(k), group_commit));
    }
    app->usage_store = std::make_unique<metering::ShardedUsageStore>(std::move(committed));
  } else {
    app->usage_store = std::make_unique<metering::GroupCommitStore>(*app->usage_backend, std::move(group_commit));
  }
  app->ingest = std::make_unique<metering::IngestService>(*app->db, *app->usage_store, *app->plans, clock,
                                                          &invoicing::InvoiceStore::InvoicedPeriods, ingest_options);
  app->usage = std::make_unique<metering::UsageService>(*app->usage_store, *app->plans, *app->subscriptions, clock);

  invoicing::InvoiceOptions invoice_options;
  invoice_options.number_prefix = config.invoice_number_prefix;
  invoice_options.net_days = config.invoice_net_days;
  invoice_options.grace = std::chrono::minutes(config.invoice_grace_minutes);
  invoice_options.tax_rates = config.tax_rates;
  app->invoices =
      std::make_unique<invoicing::InvoiceService>(*app->db, *app->usage_store, *app->plans, clock, invoice_options);
  app->credit_notes = std::make_unique<credit_notes::CreditNoteService>(*app->db, clock);

  app->webhook_inbox = std::make_unique<stripe::WebhookInbox>(*app->db, clock);
  stripe::ClientOptions stripe_options;
  stripe_options.api_base = config.stripe_api_base;
  stripe_options.secret_key = config.stripe_secret_key;
  auto& stripe_calls = app->metrics.AddCounter("meterline_stripe_api_requests_total",
                                               "Stripe API requests (each retry counts), by method, endpoint and "
                                               "status (0: no answer).",
                                               {"method", "endpoint", "status"});
  auto& stripe_latency = app->metrics.AddHistogram("meterline_stripe_api_request_duration_seconds",
                                                   "Time Stripe took to answer, by endpoint.", {"endpoint"},
                                                   observability::DefaultLatencyBuckets());
  stripe_options.observe = [&stripe_calls, &stripe_latency](const char* method, const std::string& endpoint,
                                                            long status, std::chrono::microseconds took) {
    stripe_calls.WithLabels({method, endpoint, std::to_string(status)}).Inc();
    stripe_latency.WithLabels({endpoint}).ObserveMicros(took.count());
  };
  app->stripe = std::make_unique<stripe::StripeClient>(stripe_options);
  app->invoice_sync = std::make_unique<stripe::InvoiceSync>(*app->db, *app->stripe, clock);
  app->webhook_handlers = std::make_unique<stripe::WebhookHandlers>(*app->db, *app->stripe, clock, config.dunning);
  dunning::WorkerOptions dunning_options;
  dunning_options.lease = std::chrono::seconds(config.dunning_lease_seconds);
  app->dunning_worker = std::make_unique<dunning::DunningWorker>(*app->db, clock, *app->stripe, *app->subscriptions,
                                                                 app->metrics, dunning_options);
  app->webhook_processor = std::make_unique<stripe::WebhookProcessor>(*app->db, *app->webhook_handlers, clock);
  reconciliation::Options reconcile;
  reconcile.tolerance = config.reconcile_tolerance;
  reconcile.alert_webhook_url = config.alert_webhook_url;
  // Checked when the configuration was read.
  (void)reconciliation::ParseAlertThreshold(config.reconcile_alert_threshold, reconcile);
  app->reconciliations = std::make_unique<reconciliation::ReconciliationService>(
      *app->db, *app->invoices, *app->stripe, app->metrics, clock, std::move(reconcile),
      config.alert_webhook_url.empty() ? nullptr : reconciliation::NewWebhookAlertSink(config.alert_webhook_url));
  app->idempotency = std::make_unique<idempotency::IdempotencyStore>(*app->db, clock);
  app->webhook_endpoints =
      std::make_unique<webhooks::EndpointStore>(*app->db, clock, config.webhook_allow_private_targets);
  app->webhook_deliveries = std::make_unique<webhooks::DeliveryLog>(*app->db, clock);
  app->customer_portal = std::make_unique<stripe::CustomerPortal>(*app->stripe, *app->invoice_sync);
  webhooks::DeliveryOptions delivery;
  delivery.post.allow_private = config.webhook_allow_private_targets;
  delivery.first_retry = std::chrono::seconds(config.webhook_retry_first_seconds);
  delivery.max_retry_delay = std::chrono::seconds(config.webhook_retry_max_seconds);
  delivery.retry_for = std::chrono::hours(config.webhook_retry_hours);
  delivery.disable_after = std::chrono::hours(config.webhook_disable_after_hours);
  delivery.lease = std::chrono::seconds(config.webhook_lease_seconds);
  app->webhook_worker = std::make_unique<webhooks::DeliveryWorker>(*app->db, clock, app->metrics, delivery);

  api::BuildInfo build = api::CurrentBuildInfo();
  RegisterOperationsMetrics(app->metrics, *app->db, clock, build.version, build.git_commit);
  app->invoice_run_metrics = std::make_unique<InvoiceRunMetrics>(app->metrics);
  app->budgets =
      std::make_unique<budgets::BudgetService>(*app->db, *app->usage, *app->usage_store, app->plans->catalog(), clock);
  app->analytics = std::make_unique<analytics::Analytics>(*app->db, *app->plans, clock);

  // NOLINTNEXTLINE(modernize-make-unique): designated initializers need braces
  app->context.reset(new api::ApiContext{
      .features = config.features,
      .build = api::CurrentBuildInfo(),
      .started_at = clock.Now(),
      .clock = clock,
      .db = *app->db,
      .metrics = app->metrics,
      .identity = *app->identity,
      .customers = *app->customers,
      .subscriptions = *app->subscriptions,
      .ingest = *app->ingest,
      .usage = *app->usage,
      .usage_store = *app->usage_store,
      .usage_databases = app->usage_databases,
      .invoices = *app->invoices,
      .credit_notes = *app->credit_notes,
      .catalog = *app->catalog,
      .plans = *app->plans,
      .webhook_inbox = *app->webhook_inbox,
      .webhook_processor = *app->webhook_processor,
      .reconciliations = *app->reconciliations,
      .idempotency = *app->idempotency,
      .webhook_endpoints = *app->webhook_endpoints,
      .webhook_deliveries = *app->webhook_deliveries,
      .customer_portal = *app->customer_portal,
      .analytics = *app->analytics,
      .stripe_webhook_secret = config.stripe_webhook_secret,
      .issuer = invoicing::LoadIssuer(config.company_name, config.company_address, config.company_logo_path,
                                      config.invoice_net_days),
      .ingest_max_batch = static_cast<size_t>(config.ingest_max_batch),
      .ingest_max_body_bytes = static_cast<size_t>(config.ingest_max_body_bytes),
      .secure_cookies = config.mode == Mode::kProduction,
      .self_service_plan_changes = config.self_service_plan_changes,
  });
  api::RegisterRoutes(app->router, *app->context);

  // The console: CONSOLE_DIR when set, else the build compiled into billingd,
  // else (a billingd built without Node.js) console/dist of a checkout.
  if (!config.console_dir.empty()) {
    app->static_files = http::StaticFiles::Open(config.console_dir);
    if (!app->static_files) {
      log::Warn("console not served: no index.html in CONSOLE_DIR", {{"console_dir", config.console_dir}});
    }
  } else if (!(app->static_files = http::StaticFiles::Embedded(RegisteredConsole()))) {
    app->static_files = http::StaticFiles::Open("console/dist");
    if (!app->static_files) {
      log::Warn(
          "console not served: billingd was built without it and console/dist has no build; "
          "set CONSOLE_DIR or build with Node.js",
          {});
    }
  }

  // The middleware order, and why:
  app->pipeline = std::make_unique<http::Pipeline>(app->router, app->static_files.get());
  // 1. Request id first: every later step, log line and error body carries it.
  app->pipeline->Use(std::make_unique<http::RequestIdMiddleware>());
  // 2. The client's address behind trusted proxies, before anything logs,
  //    counts or audits it.
  auto trusted_proxies = http::TrustedProxies::Parse(config.trusted_proxies);
  if (!trusted_proxies.ok()) return InvalidArgument("TRUSTED_PROXIES: " + trusted_proxies.error().message);
  app->pipeline->Use(std::make_unique<http::ClientAddressMiddleware>(std::move(trusted_proxies).value()));
  // 3. Access log + metrics next, so they see every response, including the
  //    errors produced by the steps below.
  app->pipeline->Use(std::make_unique<http::AccessLogMiddleware>(app->metrics));
  // 4. Authentication identifies the caller but never answers by itself, so
  //    that the rate limiter can count failed attempts too.
  auth::IdentityService& identity = *app->identity;
  app->pipeline->Use(std::make_unique<http::AuthenticateMiddleware>(
      [&identity](std::string_view bearer, std::string_view cookie) { return identity.Authenticate(bearer, cookie); }));
  // 5. Rate limit per caller (user, API key, else client address), before any
  //    work that costs.
  app->pipeline->Use(std::make_unique<http::RateLimitMiddleware>(*app->rate_limiter, config.rate_limits, app->metrics));
  // 6. Feature flags before authorization: a disabled feature is a 404 for
  //    everyone and reveals nothing about credentials or roles.
  app->pipeline->Use(std::make_unique<http::FeatureFlagMiddleware>(config.features));
  // 7. RBAC: 401 without a principal, 403 for a role the route does not allow.
  app->pipeline->Use(std::make_unique<http::RbacMiddleware>());
  // 8. CSRF for cookie sessions, once we know the request is otherwise allowed.
  auth::CsrfGuard& csrf = *app->csrf;
  app->pipeline->Use(std::make_unique<http::CsrfMiddleware>(
      [&csrf](std::string_view session, std::string_view cookie, std::string_view header) {
        return csrf.Verify(session, cookie, header);
      }));
  // 9. Admin actions are audited after they are answered.
  storage::Database& audit_db = *app->db;
  app->pipeline->Use(std::make_unique<http::AdminAuditMiddleware>(
      [&audit_db, &clock](const http::Request& request, const http::Response& response) {
        Status s = audit::Record(audit_db, clock,
                                 {request.principal->id,
                                  std::string("admin.") + http::MethodName(request.method),
                                  "",
                                  {{"route", request.route ? request.route->pattern : request.path},
                                   {"status", response.status},
                                   {"request_id", request.request_id}},
                                  {request.remote_address, std::string(request.headers.Get("User-Agent"))}});
        if (!s.ok())
          log::Warn("audit write failed", {{"request_id", request.request_id}, {"error", s.error().message}});
      }));
  return app;
}

}  // namespace meterline::app
