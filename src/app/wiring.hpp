// Wiring: the only place that builds the real objects and connects them.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "analytics/analytics.hpp"
#include "api/context.hpp"
#include "app/config.hpp"
#include "app/operations_metrics.hpp"
#include "auth/csrf.hpp"
#include "auth/identity_service.hpp"
#include "auth/jwt.hpp"
#include "auth/password.hpp"
#include "budgets/budget_service.hpp"
#include "catalog/catalog.hpp"
#include "clickhouse/client.hpp"
#include "clickhouse/schema.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "credit_notes/credit_note_service.hpp"
#include "customers/customer_store.hpp"
#include "dunning/dunning_worker.hpp"
#include "http/middleware/pipeline.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "http/static_files.hpp"
#include "idempotency/idempotency_store.hpp"
#include "invoicing/invoice_service.hpp"
#include "metering/ingest.hpp"
#include "metering/usage.hpp"
#include "metering/usage_store.hpp"
#include "observability/metrics.hpp"
#include "plans/plan_book.hpp"
#include "ratelimit/rate_limiter.hpp"
#include "reconciliation/reconciliation_service.hpp"
#include "storage/database.hpp"
#include "storage/sqlite/usage_shard_files.hpp"
#include "stripe/client.hpp"
#include "stripe/customer_portal.hpp"
#include "stripe/invoice_sync.hpp"
#include "stripe/webhook_handlers.hpp"
#include "stripe/webhook_inbox.hpp"
#include "stripe/webhook_processor.hpp"
#include "subscriptions/subscription_service.hpp"
#include "webhooks/delivery_log.hpp"
#include "webhooks/delivery_worker.hpp"
#include "webhooks/endpoint_store.hpp"

namespace meterline::app {

// Everything a running billingd holds. Members are declared in dependency
// order, so they are destroyed in reverse.
struct App {
  Config config;
  std::unique_ptr<storage::Database> db;
  observability::Registry metrics;
  std::unique_ptr<http::ConnectionMetrics> connection_metrics;
  std::unique_ptr<auth::PasswordHasher> hasher;
  std::unique_ptr<auth::JwtCodec> jwt;
  std::unique_ptr<auth::CsrfGuard> csrf;
  std::unique_ptr<customers::CustomerStore> customers;
  std::unique_ptr<auth::IdentityService> identity;
  std::unique_ptr<ratelimit::RateLimiter> rate_limiter;
  std::unique_ptr<catalog::Catalog> catalog;
  std::unique_ptr<plans::PlanBook> plans;
  std::unique_ptr<subscriptions::SubscriptionService> subscriptions;
  std::unique_ptr<clickhouse::Client> clickhouse;  // null unless CLICKHOUSE_URL is set
  // SQLite with USAGE_SHARDS > 0: the files holding usage events and rollups
  // (docs/metering.md "Sharded usage on SQLite"); empty otherwise.
  std::unique_ptr<storage::UsageLayoutLock> usage_lock;  // SQLite: held shared (usage_shard_files.hpp)
  std::vector<std::unique_ptr<storage::Database>> usage_shard_dbs;
  // Where usage rollups live in SQL, for what reads them past the usage store
  // (the usage_rollups export): the shard files, or the transactional database.
  std::vector<storage::Database*> usage_databases;
  // The store itself, and usage_store, which writes through a group commit
  // (declared after it: destroyed first, writing what is queued).
  std::unique_ptr<metering::UsageStore> usage_backend;
  std::unique_ptr<metering::UsageStore> usage_store;
  std::unique_ptr<metering::IngestService> ingest;
  std::unique_ptr<metering::UsageService> usage;
  std::unique_ptr<invoicing::InvoiceService> invoices;
  std::unique_ptr<credit_notes::CreditNoteService> credit_notes;
  std::unique_ptr<stripe::WebhookInbox> webhook_inbox;
  std::unique_ptr<stripe::StripeClient> stripe;  // answers 503 without STRIPE_SECRET_KEY
  std::unique_ptr<stripe::InvoiceSync> invoice_sync;
  std::unique_ptr<stripe::WebhookHandlers> webhook_handlers;
  std::unique_ptr<dunning::DunningWorker> dunning_worker;
  std::unique_ptr<budgets::BudgetService> budgets;
  std::unique_ptr<analytics::Analytics> analytics;
  std::unique_ptr<InvoiceRunMetrics> invoice_run_metrics;  // the scheduler's runs
  std::unique_ptr<stripe::WebhookProcessor> webhook_processor;
  std::unique_ptr<reconciliation::ReconciliationService> reconciliations;
  std::unique_ptr<idempotency::IdempotencyStore> idempotency;
  std::unique_ptr<webhooks::EndpointStore> webhook_endpoints;
  std::unique_ptr<webhooks::DeliveryLog> webhook_deliveries;
  std::unique_ptr<webhooks::DeliveryWorker> webhook_worker;
  std::unique_ptr<stripe::CustomerPortal> customer_portal;
  std::unique_ptr<api::ApiContext> context;
  http::Router router;
  std::unique_ptr<http::StaticFiles> static_files;  // null when the console is not built
  std::unique_ptr<http::Pipeline> pipeline;
};

// What only code can choose, never the environment or the command line:
// billingd itself always builds with the defaults.
struct BuildOptions {
  // The Argon2id cost of new password hashes (and of the dummy hash that
  // unknown accounts are checked against). Test harnesses pick
  // kTestsOnlyMinimum to save time; BuildApp refuses it in production mode.
  auth::PasswordCost password_cost = auth::PasswordCost::kInteractive;
};

// Opens the database, applies migrations when the config says so (else
// requires them to be current), registers the routes and builds the pipeline.
// Fails with a message fit for one line on stderr.
// REQUIRES: `clock` outlives the App.
Result<std::unique_ptr<App>> BuildApp(const Config& config, const Clock& clock, const BuildOptions& options = {});

// The HTTP server's options from the config, reporting to the app's metrics.
// REQUIRES: `app` outlives the server.
http::ServerOptions ServerOptionsFor(const Config& config, App& app);

// The ClickHouse layout CLICKHOUSE_URL / _CLUSTER / _SHARD_URLS describe.
// REQUIRES: config.clickhouse_url is set.
Result<clickhouse::Layout> ClickHouseLayout(const Config& config);

// Opens the configured database (for CLI commands that need only storage).
Result<std::unique_ptr<storage::Database>> OpenDatabase(const Config& config);

// The embedded database's usage shard files, and the layout lock this
// process holds while it uses them.
struct UsageFiles {
  std::unique_ptr<storage::UsageLayoutLock> lock;  // null for an in-memory database
  std::vector<std::unique_ptr<storage::Database>> shards;
};

// REQUIRES: `db` is the embedded SQLite database of `config`. Takes the
// usage layout lock (shared), opens its usage shard files (USAGE_SHARDS; none
// for 0 or an in-memory database) and checks that usage lies as they say;
// when it does not, moves it there when `place` (MIGRATE_ON_START, billingd
// migrate) with the lock held alone (kConflict "usage_files_in_use" while
// another process uses the files), else fails with "usage_not_placed".
// `progress` gets a line per step of a move (the log when empty).
Result<UsageFiles> OpenUsageShards(const Config& config, storage::Database& db, bool place,
                                   const std::function<void(const std::string&)>& progress = {});

}  // namespace meterline::app
