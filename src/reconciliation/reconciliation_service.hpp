// ReconciliationService: what we computed against what Stripe billed, for
// the billing periods starting in one month (the spec's ReconciliationService).
//
// Expected: every active or past-due subscription's closed periods starting
// in the month, priced now from the hourly rollups and the catalog
// (InvoiceService::ForEachExpectedChunk, a chunk at a time after Stripe's
// side is read, so memory holds Stripe's amounts, not every expected
// invoice). Billed: the Stripe invoice synced for our invoice of that period,
// read from Stripe's invoice list (a page per 100 invoices) and matched by
// metadata[meterline_invoice_id]; its lines matched to ours by
// metadata[meterline_line].
// Findings, per customer and line ("base_fee", a metric, "tax", "total"):
//   amount_mismatch    |billed - expected| > max(1 minor unit, tolerance x |expected|)
//   missing_in_stripe  we expect a charge; Stripe has no invoice for it
//   missing_internal   we have no invoice for the period (or Stripe has one
//                      of ours that we do not)
// Voided invoices are skipped. Totals are kept per currency (no exchange
// rates: amounts in different currencies are never added). A currency's
// discrepancy total is the sum of |billed - expected| per invoice; above the
// alert threshold for that currency (the same amount in each currency's own
// units unless configured per currency) an alert is raised (an `events` row,
// an error log line, a metric, and a POST to ALERT_WEBHOOK_URL). Every finding
// is written to billing_audit; the result is stored with an id (tables
// reconciliations, reconciliation_totals, reconciliation_findings).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "invoicing/invoice_service.hpp"
#include "observability/metrics.hpp"
#include "reconciliation/alert_sink.hpp"
#include "reconciliation/compare.hpp"
#include "reconciliation/options.hpp"
#include "storage/database.hpp"
#include "stripe/client.hpp"

namespace meterline::reconciliation {

struct Reconciliation {
  std::string id;      // "rec_…"
  std::string period;  // "2025-01"
  std::string status = "completed";
  std::string actor;
  std::string tolerance;  // "0.005"
  // The totals below are those of the main currency (most subscriptions);
  // `totals` has every currency's. alert_raised: any currency's.
  std::string currency;
  int64_t subscriptions_checked = 0;
  int64_t invoices_compared = 0;
  int64_t findings_count = 0;
  int64_t expected_total_minor = 0;
  int64_t billed_total_minor = 0;
  int64_t discrepancy_total_minor = 0;
  bool alert_raised = false;
  TimePoint created_at;
  TimePoint finished_at;
  std::vector<CurrencyTotals> totals;  // by currency code; only from Run and Get
  std::vector<Finding> findings;       // only from Run and Get
};

// A run has two stages; the Stripe download is the long one against the
// real API (a page of 100 invoices per request) and its total is unknown.
struct Progress {
  const char* stage = "";  // "Stripe invoices" | "pricing and comparing"
  int64_t done = 0;
  int64_t total = 0;  // -1 while unknown
};

class ReconciliationService {
 public:
  // `alert_sink` gets every raised alert; null: a webhook sink for
  // options.alert_webhook_url when it is set, else none.
  ReconciliationService(storage::Database& db, invoicing::InvoiceService& invoices, stripe::StripeClient& stripe,
                        observability::Registry& metrics, const Clock& clock, Options options,
                        std::unique_ptr<AlertSink> alert_sink = nullptr);

  // "2025-01" for the month before the one `now` is in: the last closed one.
  static std::string LastClosedPeriod(TimePoint now);

  // Reconciles the periods starting in `period` ("YYYY-MM") and stores the result.
  Result<Reconciliation> Run(const std::string& period, const std::string& actor,
                             const std::function<void(const Progress&)>& progress = {});

  // Stored results, newest first, without findings.
  Result<std::vector<Reconciliation>> List(int64_t limit, int64_t offset = 0);
  // One stored result with its findings.
  Result<Reconciliation> Get(const std::string& id);

  const Options& options() const { return options_; }

 private:
  Status Store(const Reconciliation& r);
  void Alert(const Reconciliation& r);

  storage::Database& db_;
  invoicing::InvoiceService& invoices_;
  stripe::StripeClient& stripe_;
  observability::Family<observability::Counter>& alerts_;
  const Clock& clock_;
  Options options_;
  std::unique_ptr<AlertSink> alert_sink_;  // null: alerts go to the log, the metric and events only
};

}  // namespace meterline::reconciliation
