// ApiContext: what handlers may use, built once in app/wiring.cpp.
// Handlers parse input, call a service, and map the result to JSON; they hold
// no SQL and no transport code.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/feature_flags.hpp"
#include "invoicing/invoice_pdf_document.hpp"

namespace meterline::observability {
class Registry;
}
namespace meterline::storage {
class Database;
}
namespace meterline::auth {
class IdentityService;
}
namespace meterline::customers {
class CustomerStore;
}
namespace meterline::metering {
class IngestService;
class UsageService;
class UsageStore;
}  // namespace meterline::metering
namespace meterline::subscriptions {
class SubscriptionService;
}
namespace meterline::invoicing {
class InvoiceService;
}
namespace meterline::credit_notes {
class CreditNoteService;
}
namespace meterline::catalog {
class Catalog;
}
namespace meterline::plans {
class PlanBook;
}
namespace meterline::stripe {
class CustomerPortal;
class WebhookInbox;
class WebhookProcessor;
}  // namespace meterline::stripe
namespace meterline::reconciliation {
class ReconciliationService;
}
namespace meterline::idempotency {
class IdempotencyStore;
}
namespace meterline::analytics {
class Analytics;
}
namespace meterline::webhooks {
class EndpointStore;
class DeliveryLog;
}  // namespace meterline::webhooks

namespace meterline::api {

struct BuildInfo {
  std::string name = "meterline";
  std::string version;  // semantic version of billingd
  std::string api_version = "v1";
  std::string git_commit;  // short hash the binary was built from
};

struct ApiContext {
  FeatureFlags features;
  BuildInfo build;
  TimePoint started_at;
  const Clock& clock;
  storage::Database& db;
  observability::Registry& metrics;
  auth::IdentityService& identity;
  customers::CustomerStore& customers;
  subscriptions::SubscriptionService& subscriptions;
  metering::IngestService& ingest;
  metering::UsageService& usage;
  metering::UsageStore& usage_store;
  // Where usage rollups live in SQL (App::usage_databases): the usage_rollups export reads them.
  std::vector<storage::Database*> usage_databases;
  invoicing::InvoiceService& invoices;
  credit_notes::CreditNoteService& credit_notes;
  const catalog::Catalog& catalog;  // the metrics
  plans::PlanBook& plans;
  stripe::WebhookInbox& webhook_inbox;
  stripe::WebhookProcessor& webhook_processor;
  reconciliation::ReconciliationService& reconciliations;
  idempotency::IdempotencyStore& idempotency;
  webhooks::EndpointStore& webhook_endpoints;
  webhooks::DeliveryLog& webhook_deliveries;
  stripe::CustomerPortal& customer_portal;
  analytics::Analytics& analytics;
  // STRIPE_WEBHOOK_SECRET ("whsec_…"); empty = webhooks answer 503.
  std::string stripe_webhook_secret;
  // The invoice issuer (COMPANY_*), drawn on every PDF.
  invoicing::Issuer issuer;
  // Most events one ingestion request may carry (INGEST_MAX_BATCH).
  size_t ingest_max_batch = 10000;
  // Largest ingestion request body (INGEST_MAX_BODY_BYTES).
  size_t ingest_max_body_bytes = 16 << 20;
  // Session cookies get the Secure attribute (production mode: HTTPS only).
  bool secure_cookies = false;
  // Members may change and cancel their own subscription (SELF_SERVICE_PLAN_CHANGES).
  bool self_service_plan_changes = false;
};

BuildInfo CurrentBuildInfo();

}  // namespace meterline::api
