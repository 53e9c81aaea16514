#include <iostream>

#include "app/background.hpp"
#include "app/cli/cli.hpp"
#include "app/config.hpp"
#include "app/wiring.hpp"
#include "core/log.hpp"
#include "credits/credit_ledger.hpp"
#include "http/server.hpp"

namespace meterline::app {

namespace {

constexpr const char* kServeUsage = R"(Usage: billingd serve [flags]

Runs the HTTP API, the web console and background jobs until SIGINT/SIGTERM,
then finishes in-flight requests and exits 0.

Flags (each overrides the environment variable in brackets):
  --host ADDR          interface to listen on [HOST, default 0.0.0.0]
  --port N             TCP port, 0 for any free one [PORT, default 4000]
  --data-dir DIR       embedded database and generated secrets [DATA_DIR, default ./data]
  --database-url URL   postgresql://… or sqlite:PATH [DATABASE_URL, default SQLite in DATA_DIR]
  --console-dir DIR    web console build to serve [CONSOLE_DIR, default console/dist]
  --log-level LEVEL    debug|info|warn|error|off [LOG_LEVEL, default info]
  --mode MODE          development|production [MODE, default development]
)";

}  // namespace

int RunServe(const std::vector<std::string>& args) {
  if (WantsHelp(args)) {
    std::cout << kServeUsage;
    return 0;
  }
  auto config = LoadConfig(ProcessEnvironment());
  if (!config.ok()) {
    PrintError(config.error().message);
    return 2;
  }
  if (Status flags = ApplyServeFlags(args, *config); !flags.ok()) {
    PrintError(flags.error().message);
    return 2;
  }
  log::Init(config->log_level);
  log::Info("starting billingd", {{"config", config->Describe()}});

  SystemClock clock;
  auto app = BuildApp(*config, clock);
  if (!app.ok()) {
    PrintError(app.error().message);
    return 1;
  }

  http::ServerOptions options = ServerOptionsFor(*config, **app);
  auto server = http::Server::Start(options, *(*app)->pipeline);
  if (!server.ok()) {
    PrintError(server.error().message);
    return 1;
  }
  log::Info("listening", {{"address", config->host}, {"port", static_cast<int64_t>((*server)->port())}});
  BackgroundJobs jobs;
  if (config->invoice_schedule_seconds > 0) {
    invoicing::InvoiceService& invoices = *(*app)->invoices;
    InvoiceRunMetrics& run_metrics = *(*app)->invoice_run_metrics;
    jobs.Every("invoice-run", std::chrono::seconds(config->invoice_schedule_seconds),
               [&invoices, &run_metrics, &clock] {
                 auto started = std::chrono::steady_clock::now();
                 auto summary = invoices.RunDue();
                 if (summary.ok()) {
                   run_metrics.Succeeded(*summary, std::chrono::steady_clock::now() - started, clock.Now());
                   if (summary->created > 0) log::Info("invoice run", {{"created", summary->created}});
                 } else if (summary.error().Reason() != "invoice_run_in_progress") {
                   run_metrics.Failed();
                   log::Error("invoice run failed", {{"error", summary.error().message}});
                 }
               });
  }
  // Subscriptions whose end or scheduled plan change has come: their stored
  // status and plan catch up (billing itself goes by time already).
  subscriptions::SubscriptionService& subscriptions = *(*app)->subscriptions;
  jobs.Every("subscription-lifecycle", std::chrono::minutes(1), [&subscriptions] {
    auto changed = subscriptions.ApplyDue();
    if (!changed.ok()) {
      log::Error("subscription lifecycle failed", {{"error", changed.error().message}});
    } else if (*changed > 0) {
      log::Info("subscription lifecycle", {{"changed", *changed}});
    }
  });
  // Prepaid credits that expired get their "expired" ledger entry (balances
  // leave them out from their expiry on regardless).
  storage::Database& db = *(*app)->db;
  jobs.Every("credit-expiry", std::chrono::minutes(1), [&db, &clock] {
    auto expired = db.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
      MTL_ASSIGN_OR_RETURN(auto n, credits::CreditLedger::ExpireDue(tx, clock.Now()));
      if (n > 0) log::Info("credit grants expired", {{"grants", n}});
      return OkStatus();
    });
    if (!expired.ok()) log::Error("credit expiry failed", {{"error", expired.error().message}});
  });
  if (config->stripe_sync_seconds > 0 && !config->stripe_secret_key.empty()) {
    stripe::InvoiceSync& sync = *(*app)->invoice_sync;
    jobs.Every("stripe-outbox", std::chrono::seconds(config->stripe_sync_seconds), [&sync] {
      auto run = sync.RunOutbox();
      if (!run.ok()) {
        log::Error("stripe outbox failed", {{"error", run.error().message}});
      } else if (run->done + run->failed > 0) {
        log::Info("stripe outbox", {{"synced", run->done}, {"failed", run->failed}});
      }
    });
  }
  if (!config->stripe_secret_key.empty()) {
    // Recorded webhook events are processed within about a second.
    stripe::WebhookProcessor& processor = *(*app)->webhook_processor;
    jobs.Every("stripe-webhooks", std::chrono::seconds(1), [&processor] {
      auto run = processor.RunPending();
      if (!run.ok()) log::Error("stripe webhook processing failed", {{"error", run.error().message}});
    });
  } else if (!config->stripe_webhook_secret.empty()) {
    log::Warn("Stripe webhooks are recorded but not processed: STRIPE_SECRET_KEY is not set");
  }
  if (config->dunning_run_seconds > 0 && !config->stripe_secret_key.empty()) {
    // Due retries of failed payments (a campaign's next one is days away).
    dunning::DunningWorker& dunning = *(*app)->dunning_worker;
    jobs.Every("dunning", std::chrono::seconds(config->dunning_run_seconds), [&dunning] {
      auto run = dunning.RunOnce();
      if (!run.ok()) {
        log::Error("dunning failed", {{"error", run.error().message}});
      } else if (run->settled + run->recovered + run->declined + run->exhausted > 0) {
        log::Info("dunning", {{"settled", run->settled},
                              {"recovered", run->recovered},
                              {"declined", run->declined},
                              {"exhausted", run->exhausted}});
      }
    });
  }
  if (config->budget_check_seconds > 0) {
    // Budget alerts: 50/80/100 % of the budget spent, the forecast above it.
    budgets::BudgetService& budget_service = *(*app)->budgets;
    jobs.Every("budget-alerts", std::chrono::seconds(config->budget_check_seconds), [&budget_service] {
      auto run = budget_service.CheckAll();
      if (!run.ok()) {
        log::Error("budget check failed", {{"error", run.error().message}});
      } else if (run->events > 0) {
        log::Info("budget alerts", {{"sent", run->events}});
      }
    });
  }
  if (config->analytics_refresh_seconds > 0) {
    // The analytics' summaries (docs/analytics.md), rebuilt from the invoices.
    analytics::Analytics& analytics = *(*app)->analytics;
    jobs.Every("analytics-refresh", std::chrono::seconds(config->analytics_refresh_seconds), [&analytics] {
      auto run = analytics.Refresh();
      if (!run.ok() && run.error().reason != "refresh_running") {
        log::Error("analytics refresh failed", {{"error", run.error().message}});
      }
    });
  }
  if (config->webhook_delivery_seconds > 0) {
    // Recorded events go out to webhook endpoints within about a second.
    webhooks::DeliveryWorker& worker = *(*app)->webhook_worker;
    jobs.Every("webhook-delivery", std::chrono::seconds(config->webhook_delivery_seconds), [&worker] {
      // Pass after pass while there is work (a batch each), for a few seconds at most.
      auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
      while (std::chrono::steady_clock::now() < until) {
        auto run = worker.RunOnce();
        if (!run.ok()) {
          log::Error("webhook delivery failed", {{"error", run.error().message}});
          break;
        }
        if (run->failed > 0) log::Warn("webhook deliveries failed for good", {{"failed", run->failed}});
        if (run->events + run->succeeded + run->retrying + run->failed == 0) break;
      }
    });
  }
  idempotency::IdempotencyStore& keys = *(*app)->idempotency;
  auth::IdentityService& identity = *(*app)->identity;
  jobs.Every("expiry-purge", std::chrono::hours(1), [&keys, &identity] {
    auto purged = keys.Purge();
    if (!purged.ok()) log::Error("purging idempotency keys failed", {{"error", purged.error().message}});
    auto sessions = identity.PurgeRevokedSessions();
    if (!sessions.ok()) log::Error("purging revoked sessions failed", {{"error", sessions.error().message}});
  });
  (*server)->Run();
  jobs.Stop();
  log::Info("stopped");
  return 0;
}

}  // namespace meterline::app
