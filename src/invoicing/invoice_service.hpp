// InvoiceService: invoice runs (one invoice per subscription and period,
// exactly once), reads with filters, and status changes (the spec's
// InvoiceService).
//
// Exactly once: invoices are unique on (subscription_id, period_start) in the
// schema, and a run holds the job lease "invoice-run" so two billingd
// instances do not run at once. An invoice is created and finalized in one
// transaction: its lines are frozen and it gets the next gap-free number of
// its issuer and year (invoice_number_sequences, advanced in that
// transaction, so a rollback returns the number).
//
// Closed periods: a period is invoiced once it ended at least `grace` ago.
// Ingestion refuses events for such periods (IngestOptions::closed_after), so
// no event can arrive for a period after its totals were read.
// Thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "credits/credit_ledger.hpp"
#include "invoicing/invoice.hpp"
#include "invoicing/invoice_builder.hpp"
#include "invoicing/invoice_store.hpp"
#include "metering/usage_store.hpp"
#include "money/decimal.hpp"
#include "plans/plan_book.hpp"
#include "storage/database.hpp"
#include "subscriptions/subscription_service.hpp"

namespace meterline::invoicing {

struct InvoiceOptions {
  std::string number_prefix = "INV";  // numbers read PREFIX-YYYY-NNNNNN
  int net_days = 30;                  // due date = finalized + net days
  std::chrono::minutes grace{60};     // a period is invoiced this long after its end
  // Tax rate by customer id ("cus_…") or by ISO country code ("DE"); the
  // customer's own entry wins. No entry: no tax.
  std::map<std::string, money::Decimal> tax_rates;
};

struct RunProgress {
  int64_t done = 0;
  int64_t total = 0;
};

struct RunSummary {
  int64_t subscriptions = 0;                   // looked at
  int64_t created = 0;                         // invoices made by this run
  int64_t existing = 0;                        // already invoiced before
  int64_t not_closed = 0;                      // period not yet closed: left for later
  std::map<std::string, int64_t> total_minor;  // by currency, of the invoices made
};

// One subscription period as it would be invoiced now.
struct ExpectedInvoice {
  subscriptions::Subscription subscription;
  Period period;
  InvoiceAmounts amounts;
  std::string currency;  // the plan's
};

class InvoiceService {
 public:
  InvoiceService(storage::Database& db, metering::UsageStore& usage, plans::PlanBook& plans, const Clock& clock,
                 InvoiceOptions options);

  const InvoiceOptions& options() const { return options_; }

  // Invoices each subscription's period that starts in [from, to) and is
  // closed. kConflict "invoice_run_in_progress" when another run holds the lease.
  Result<RunSummary> RunPeriodsStartingIn(TimePoint from, TimePoint to,
                                          const std::function<void(const RunProgress&)>& progress = {});

  // What the invoices of the closed periods starting in [from, to) of every
  // active or past-due subscription come to from today's rollups (no writes):
  // reconciliation compares this with what Stripe billed.
  // `progress` gets (priced, total) after each chunk.
  Result<std::vector<ExpectedInvoice>> ExpectedForPeriodsStartingIn(
      TimePoint from, TimePoint to, const std::function<void(int64_t, int64_t)>& progress = {});
  // The same a chunk at a time (a few thousand subscriptions' periods), so
  // that a caller need not hold them all; stops at the first error `visit`
  // returns. `progress` as above. Periods count as closed as of `as_of`
  // (a run that started earlier passes its start, so that a period closing
  // while it runs is left out consistently).
  meterline::Status ForEachExpectedChunk(TimePoint from, TimePoint to, TimePoint as_of,
                                         const std::function<meterline::Status(std::vector<ExpectedInvoice>&)>& visit,
                                         const std::function<void(int64_t, int64_t)>& progress = {});

  // Invoices every closed period since each subscription's anchor that has no
  // invoice yet (the scheduler inside billingd serve calls this).
  Result<RunSummary> RunDue(const std::function<void(const RunProgress&)>& progress = {});

  // Creates and finalizes the invoice of one segment of a subscription
  // (usually a whole period); when it exists already, returns it with
  // `created` false. No lease (the unique constraint alone keeps it exactly once).
  struct Made {
    Invoice invoice;
    bool created = false;
  };
  Result<Made> InvoiceSegment(const subscriptions::Subscription& subscription, const subscriptions::Segment& segment);
  // The same for the segment starting at `period.start`; kInvalidArgument
  // when none does.
  Result<Made> InvoicePeriod(const subscriptions::Subscription& subscription, const Period& period);

  // What the invoice of `segment` would hold from the usage recorded so far
  // (no writes): plan change previews.
  Result<InvoiceAmounts> Preview(const subscriptions::Subscription& subscription,
                                 const subscriptions::Segment& segment);

  // A draft invoice outside the subscription runs (e.g. a one-off service),
  // to be finalized later. Lines are taken as given; tax none.
  Result<Invoice> CreateDraft(const std::string& customer_id, const std::string& currency, const Period& period,
                              const std::vector<LineItem>& lines);

  // draft -> open: freezes the lines and assigns the next number.
  // kConflict "illegal_transition" when the invoice is not a draft.
  Result<Invoice> Finalize(const std::string& id);

  // One invoice with its lines; kNotFound when missing or, with a non-empty
  // `customer_id`, when it belongs to another customer.
  Result<Invoice> Get(const std::string& id, const std::string& customer_id);

  Result<InvoicePage> List(const InvoiceFilter& filter, const PageRequest& page);

  // Moves an invoice to `to` if the lifecycle allows it (else kConflict
  // "illegal_transition"). Paid: amount_paid = total, amount_due = 0.
  Result<Invoice> Transition(const std::string& id, InvoiceStatus to, TimePoint at, const std::string& actor);
  // Voids a finalized invoice that is not paid (open or uncollectible): its
  // own transition, queued for Stripe ('void_invoice') and announced as
  // invoice.voided. kConflict "illegal_transition" for a draft, a paid or a
  // void invoice; kNotFound as Get.
  Result<Invoice> Void(const std::string& id, const std::string& customer_id, const std::string& actor);

 private:
  struct WorkItem {
    subscriptions::Subscription subscription;
    subscriptions::Segment segment;
  };
  struct PreparedChunk {
    std::vector<WorkItem> items;
    std::vector<const catalog::Plan*> plans;  // per item: the version pricing its period
    std::vector<InvoiceAmounts> amounts;      // per item
    std::vector<std::optional<money::Decimal>> rates;
  };
  using SegmentsFn = std::function<std::vector<subscriptions::Segment>(const subscriptions::Subscription&)>;
  // The closed segments segments_of names for every billable subscription
  // (live ones, and ended ones whose end is after `ended_after`).
  // `as_of`: when segments must have closed (less the grace); default now.
  Result<std::vector<WorkItem>> CollectWork(const SegmentsFn& segments_of, TimePoint ended_after, RunSummary& summary,
                                            std::optional<TimePoint> as_of = std::nullopt);
  static std::vector<subscriptions::Segment> SegmentsStartingIn(const subscriptions::Subscription& sub, TimePoint from,
                                                                TimePoint to);
  // Reads a chunk's usage and tax rates and builds its invoices (no writes).
  Result<PreparedChunk> PrepareChunk(std::vector<WorkItem> chunk);
  // The invoice of `sub` for `segment`, priced with `plan` (its version):
  // the segment's usage, and its base fee (prorated when partial) or, when
  // the plan bills it in advance, what follows it: the next period's fee at
  // a period's end, or at a change or end within one, a credit for the
  // unused rest of the fee paid and the new plan's fee for that rest. The
  // opening invoice of a fee in advance holds only the first period's fee.
  Result<InvoiceAmounts> Amounts(const subscriptions::Subscription& sub, const subscriptions::Segment& segment,
                                 const catalog::Plan& plan, const std::map<std::string, int64_t>& usage,
                                 const std::optional<money::Decimal>& tax_rate);
  // The same for a segment of a free trial: a $0 trial line, its usage when
  // the plan bills trial usage, and for a fee in advance the first period's.
  Result<InvoiceAmounts> TrialAmounts(const subscriptions::Subscription& sub, const subscriptions::Segment& segment,
                                      const catalog::Plan& plan, const std::map<std::string, int64_t>& usage,
                                      const std::optional<money::Decimal>& tax_rate);
  // Writes a prepared chunk in one transaction (multi-row inserts). kConflict
  // "chunk_conflict" when one of its invoices was made meanwhile elsewhere.
  meterline::Status WriteChunk(const PreparedChunk& prepared, RunSummary& summary);
  std::optional<money::Decimal> TaxRateFor(const std::string& customer_id, const std::string& country) const;
  meterline::Status FinalizeIn(storage::Transaction& tx, const std::string& id, const std::string& customer_id,
                               const std::string& currency, int64_t total_minor, TimePoint now);
  // Applies the customers' prepaid credits to just-finalized invoices,
  // announcing each as credits.applied.
  meterline::Status ApplyCreditsIn(storage::Transaction& tx, const std::vector<credits::InvoiceToCredit>& invoices,
                                   TimePoint now);
  Result<RunSummary> Run(const SegmentsFn& segments_of, TimePoint ended_after,
                         const std::function<void(const RunProgress&)>& progress);

  storage::Database& db_;
  metering::UsageStore& usage_;
  plans::PlanBook& plans_;
  const Clock& clock_;
  InvoiceOptions options_;
  std::string lease_holder_;
};

}  // namespace meterline::invoicing
