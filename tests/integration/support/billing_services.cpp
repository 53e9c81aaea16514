#include "support/billing_services.hpp"

#include <stdexcept>

#include "storage/migrator.hpp"

namespace meterline::testing {

BillingServices::BillingServices(Options options) {
  if (BillingServices* first = options.same_deployment_as) {
    clock_ = first->clock_;
    database_ = first->database_;
    another_db_ = database_->OpenAnother();
    db_ = another_db_.get();
  } else {
    own_clock_ = std::make_unique<FakeClock>(options.now.value_or(TestNow()));
    clock_ = own_clock_.get();
    own_database_ = TestDatabase::Create(options.backend);
    database_ = own_database_.get();
    db_ = &database_->db();
    auto applied = storage::Migrator(*db_).Apply();
    if (!applied.ok()) throw std::runtime_error("migrations: " + applied.error().message);
  }
  catalog_ = std::make_unique<catalog::Catalog>(options.catalog ? *options.catalog : catalog::Catalog::Default());
  customers_ = std::make_unique<customers::CustomerStore>(*db_, *clock_);
  plans_ = std::make_unique<plans::PlanBook>(*db_, *catalog_, *clock_);
  if (Status seeded = plans_->Seed(); !seeded.ok()) throw std::runtime_error("plans: " + seeded.error().message);
  subscriptions_ = std::make_unique<subscriptions::SubscriptionService>(*db_, *plans_, *clock_);
  usage_store_ = std::make_unique<metering::SqlUsageStore>(*db_, *catalog_);
  // As BuildApp does with the default configuration: events are refused once
  // their period closed, INVOICE_GRACE_MINUTES after its end.
  invoicing::InvoiceOptions invoice_options;
  invoice_options.tax_rates = options.tax_rates;
  metering::IngestOptions ingest_options;
  ingest_options.closed_after = invoice_options.grace;
  ingest_ = std::make_unique<metering::IngestService>(*db_, *usage_store_, *plans_, *clock_,
                                                      &invoicing::InvoiceStore::InvoicedPeriods, ingest_options);
  invoices_ = std::make_unique<invoicing::InvoiceService>(*db_, *usage_store_, *plans_, *clock_, invoice_options);
}

BillingServices::~BillingServices() = default;

std::string BillingServices::AddCustomer(const std::string& name, const std::string& country,
                                         const std::string& currency) {
  auto made = customers_->Create({name, "", country, currency}, "test", {"", "test"});
  if (!made.ok()) throw std::runtime_error("customer: " + made.error().message);
  return made->id;
}

}  // namespace meterline::testing
