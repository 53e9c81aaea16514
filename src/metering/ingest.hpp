// Ingest: validates usage events, stores them exactly once through the
// UsageStore (which keeps the hourly rollups in step) and records the 75/90/100 %
// threshold alerts in the same write transaction.
//
// Exactly once: the key is (customer, event id) — never the timestamp — so a
// resend in one batch, in two batches or from two concurrent requests counts
// once; how each store enforces it is described in its header. A success
// means the accepted events are committed. Thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.hpp"
#include "core/clock.hpp"
#include "core/period.hpp"
#include "core/result.hpp"
#include "metering/usage_limits.hpp"
#include "metering/usage_store.hpp"
#include "plans/plan_book.hpp"
#include "storage/database.hpp"

namespace meterline::metering {

struct Rejection {
  size_t index = 0;  // position in the batch
  std::string id;
  std::string reason;  // for people
  // For machines and metrics, one of: invalid, wrong_customer,
  // unknown_customer, unknown_metric, value_too_large, too_old, too_far_ahead,
  // period_invoiced, subscription_ended, period_closed, hourly_limit.
  std::string code;
};

struct IngestResult {
  int64_t accepted = 0;
  std::vector<Rejection> duplicates;  // reason empty
  std::vector<Rejection> rejected;
};

struct IngestOptions {
  std::chrono::hours max_age{35 * 24};  // older events are refused
  std::chrono::minutes max_future{5};   // events this far ahead are refused
  // Events in a subscription period that ended longer ago than this are
  // refused: the invoice run may have read the period's totals
  // (INVOICE_GRACE_MINUTES). nullopt: no such check (loading history).
  std::optional<std::chrono::minutes> closed_after = std::chrono::minutes(60);
  // Events with a larger value are refused (INGEST_MAX_EVENT_VALUE).
  // REQUIRES: at most kMaxHourlyUsage.
  int64_t max_event_value = kDefaultMaxEventValue;
};

// A customer's periods with a non-draft invoice ending after a time: events in
// them are refused. Invoices belong to invoicing, above this module, so wiring
// passes invoicing::InvoiceStore::InvoicedPeriods.
using InvoicedPeriodsFn =
    std::function<Result<std::vector<Period>>(storage::Executor& ex, const std::string& customer_id, TimePoint after)>;

class IngestService {
 public:
  // `db` holds customers, subscriptions, invoices and alerts; `store` the events.
  IngestService(storage::Database& db, UsageStore& store, plans::PlanBook& plans, const Clock& clock,
                InvoicedPeriodsFn invoiced_periods, IngestOptions options);

  // Validates each event and stores the valid ones. Events already rejected
  // while parsing are passed in `rejected` and returned with the rest.
  // `only_customer`: when not empty, events for other customers are rejected
  // (a customer-bound API key). Fails as a whole only when storage fails.
  // The events' strings are only read during the call.
  Result<IngestResult> Ingest(const std::vector<std::pair<size_t, UsageEventRef>>& events,
                              std::vector<Rejection> rejected, const std::string& only_customer);

 private:
  storage::Database& db_;
  UsageStore& store_;
  plans::PlanBook& plans_;
  const Clock& clock_;
  InvoicedPeriodsFn invoiced_periods_;
  IngestOptions options_;
};

}  // namespace meterline::metering
