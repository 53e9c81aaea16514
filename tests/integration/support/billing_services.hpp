// BillingServices: billingd's billing services as app::BuildApp connects them
// (customers, subscriptions on a catalog, usage ingestion into the SQL usage
// store, invoicing with the default options), on a fresh, migrated
// TestDatabase and a FakeClock, without configuration, routes, identity or an
// HTTP server. For tests of what the services do; what the API makes of them
// stays with BillingdHarness.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "catalog/catalog.hpp"
#include "core/clock.hpp"
#include "customers/customer_store.hpp"
#include "invoicing/invoice_service.hpp"
#include "metering/ingest.hpp"
#include "metering/sql_usage_store.hpp"
#include "plans/plan_book.hpp"
#include "subscriptions/subscription_service.hpp"
#include "support/test_clock.hpp"
#include "support/test_database.hpp"

namespace meterline::testing {

class BillingServices {
 public:
  struct Options {
    storage::Backend backend = storage::Backend::kSqlite;
    // Where the FakeClock starts: unset, TestNow() (MTL_TEST_NOW or the real now).
    std::optional<TimePoint> now;
    // The plans: unset, the built-in catalog.
    std::optional<catalog::Catalog> catalog;
    // Another instance of the same deployment: its own connections and
    // services on that one's database, and the same clock.
    BillingServices* same_deployment_as = nullptr;
    // Tax rates by customer id or country (InvoiceOptions::tax_rates).
    std::map<std::string, money::Decimal> tax_rates;
  };

  explicit BillingServices(Options options);
  ~BillingServices();

  FakeClock& clock() { return *clock_; }
  TestDatabase& database() { return *database_; }
  // This instance's connections.
  storage::Database& db() { return *db_; }
  const catalog::Catalog& catalog() const { return *catalog_; }
  plans::PlanBook& plans() { return *plans_; }
  customers::CustomerStore& customers() { return *customers_; }
  subscriptions::SubscriptionService& subscriptions() { return *subscriptions_; }
  metering::UsageStore& usage_store() { return *usage_store_; }
  metering::IngestService& ingest() { return *ingest_; }
  invoicing::InvoiceService& invoices() { return *invoices_; }

  // A customer made by "test"; its id.
  std::string AddCustomer(const std::string& name, const std::string& country = "US",
                          const std::string& currency = "USD");

 private:
  std::unique_ptr<FakeClock> own_clock_;
  FakeClock* clock_ = nullptr;
  std::unique_ptr<TestDatabase> own_database_;
  TestDatabase* database_ = nullptr;
  std::unique_ptr<storage::Database> another_db_;
  storage::Database* db_ = nullptr;
  std::unique_ptr<catalog::Catalog> catalog_;
  std::unique_ptr<plans::PlanBook> plans_;
  std::unique_ptr<customers::CustomerStore> customers_;
  std::unique_ptr<subscriptions::SubscriptionService> subscriptions_;
  std::unique_ptr<metering::SqlUsageStore> usage_store_;
  std::unique_ptr<metering::IngestService> ingest_;
  std::unique_ptr<invoicing::InvoiceService> invoices_;
};

}  // namespace meterline::testing
