// InvoiceStore: the invoices, invoice_line_items and invoice_number_sequences
// tables. The one module that writes them: the run pipeline
// (InvoiceService), Stripe's sync and webhooks all change invoices through
// it, so the lifecycle rules (CanTransition, amounts that only grow) live in
// one place. Each method runs on the caller's executor, inside the caller's
// transaction where it writes. Thread-safe (stateless).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/paging.hpp"
#include "core/result.hpp"
#include "invoicing/invoice.hpp"
#include "storage/database.hpp"

namespace meterline::invoicing {

// An invoice to insert with its lines.
struct NewInvoice {
  std::string id;
  std::string number;  // "" for a draft
  std::string customer_id;
  std::string subscription_id;  // "" for one outside the subscription runs
  Period period;
  InvoiceStatus status = InvoiceStatus::kDraft;
  std::string currency;
  int64_t subtotal_minor = 0;
  int64_t tax_minor = 0;
  int64_t total_minor = 0;
  int64_t amount_due_minor = 0;
  int64_t amount_paid_minor = 0;
  std::string tax_rate;  // exact decimal, "" for none
  std::optional<TimePoint> due_at;
  std::string stripe_invoice_id;  // "" when not in Stripe
  // `created` (unix seconds, as Stripe sends it) of the Stripe event it came from.
  std::optional<int64_t> stripe_event_created;
  TimePoint created_at;
  std::optional<TimePoint> updated_at;  // created_at unless set (an import from Stripe)
  std::optional<TimePoint> finalized_at, paid_at, voided_at;
  std::vector<LineItem> lines;  // positions 1.. in this order
};

// The UTC year of `t` (numbers restart each year).
int UtcYear(TimePoint t);
// "INV-2025-000042": prefix, year and a six-digit counter.
std::string FormatNumber(const std::string& prefix, int year, int64_t n);

// Where a status change comes from; it decides what the amounts become.
enum class TransitionSource {
  kManual,  // ours (API, CLI, tests): paid means paid in full
  kStripe,  // Stripe's invoice: its amount paid and its timestamps
};

struct Transition {
  std::string invoice_id;
  InvoiceStatus from = InvoiceStatus::kDraft;  // the status it must still have
  InvoiceStatus to = InvoiceStatus::kDraft;
  TimePoint at;  // when we apply it
  TransitionSource source = TransitionSource::kManual;
  // kStripe only: what Stripe says.
  int64_t stripe_amount_paid = 0;
  std::string stripe_number;  // kept when ours has none
  std::optional<TimePoint> stripe_finalized_at, stripe_paid_at, stripe_voided_at;
  // `created` (unix seconds, as Stripe sends it) of the webhook event, when it came from one.
  std::optional<int64_t> stripe_event_created;
};

// An invoice as the Stripe side needs to find it.
struct InvoiceRef {
  std::string id;
  std::string customer_id;
  InvoiceStatus status = InvoiceStatus::kDraft;
  int64_t amount_paid_minor = 0;
  int64_t total_minor = 0;
  std::string stripe_invoice_id;
};

struct InvoiceFilter {
  std::string customer_id;  // "" = all customers (admins)
  std::optional<InvoiceStatus> status;
  std::optional<TimePoint> from, to;  // created_at in [from, to)
};

// A page of the invoice list, in number order: drafts (no number yet, newest
// first) on top, then the numbered invoices from the highest number down.
// Cursors are invoice ids; `total` counts every invoice the filter matches.
using InvoicePage = Page<Invoice>;

class InvoiceStore {
 public:
  // The invoice with its lines; kNotFound when missing.
  static Result<Invoice> Load(storage::Executor& ex, const std::string& id);
  // By Stripe's invoice id; nullopt when none of ours has it.
  static Result<std::optional<InvoiceRef>> FindByStripeId(storage::Executor& ex, const std::string& stripe_invoice_id);
  // The id of a subscription period's invoice; nullopt when none.
  static Result<std::optional<std::string>> FindForPeriod(storage::Executor& ex, const std::string& subscription_id,
                                                          TimePoint period_start);
  // (subscription id, period start in ms) of every invoice of these subscriptions.
  static Result<std::vector<std::pair<std::string, int64_t>>> PeriodsOf(
      storage::Executor& ex, const std::vector<std::string>& subscription_ids);
  // A customer's periods with a non-draft invoice that end after `after`
  // (ingestion refuses events inside them).
  static Result<std::vector<Period>> InvoicedPeriods(storage::Executor& ex, const std::string& customer_id,
                                                     TimePoint after);
  // Subscription invoices of the periods starting in [from, to), created
  // before `created_before` (reconciliation's side of ours).
  struct PeriodInvoice {
    std::string id;
    std::string subscription_id;
    TimePoint period_start;
    std::string stripe_invoice_id;
    InvoiceStatus status = InvoiceStatus::kDraft;
    int64_t credit_notes_minor = 0;  // pre- and post-payment
    int64_t credits_applied_minor = 0;
  };
  static Result<std::vector<PeriodInvoice>> ForPeriodsStartingIn(storage::Executor& ex, TimePoint from, TimePoint to,
                                                                 TimePoint created_before);
  // A page of invoices (without lines) and how many match; kInvalidArgument
  // for a cursor that is not an invoice the filter matches.
  static Result<InvoicePage> List(storage::Executor& ex, const InvoiceFilter& filter, const PageRequest& page);
  // Which of `ids` exist.
  static Result<std::vector<std::string>> Existing(storage::Executor& ex, const std::vector<std::string>& ids);
  // The numbers of those of `ids` that have one (drafts have none).
  static Result<std::map<std::string, std::string>> Numbers(storage::Executor& ex, const std::vector<std::string>& ids);

  // Inserts one invoice and its lines. With a subscription, a second invoice
  // of the same period is not inserted: false then (the unique key decides).
  static Result<bool> Insert(storage::Executor& tx, const NewInvoice& invoice);
  // Inserts many in a few multi-row statements; how many were new (a
  // subscription period invoiced meanwhile is skipped, and its lines with it
  // only if the caller rolls back: compare the count).
  static Result<int64_t> InsertMany(storage::Executor& tx, const std::vector<NewInvoice>& invoices);

  // Reserves `count` consecutive numbers of `prefix` and `year`, gap-free:
  // the first one. Rolled back with the caller's transaction.
  static Result<int64_t> ReserveNumbers(storage::Executor& tx, const std::string& prefix, int year, int64_t count);
  // The next gap-free number of `prefix` in the year of `at`, formatted
  // (credit notes: "CN-2026-000001"). Rolled back with the caller's transaction.
  static Result<std::string> NextNumber(storage::Executor& tx, const std::string& prefix, TimePoint at);
  // draft -> open with its number and due date (paid, when nothing is due). kConflict
  // "illegal_transition" when it is not a draft.
  static Status Finalize(storage::Executor& tx, const std::string& id, const std::string& number, TimePoint at,
                         TimePoint due_at);
  // Applies a status change the lifecycle allows (CanTransition), if the
  // invoice still has `from`. kConflict "illegal_transition" for one it does
  // not allow; kConflict when the invoice changed meanwhile.
  //   kManual: paid -> what was due is paid; paid or void -> nothing due.
  //   kStripe: amount paid = Stripe's, due = total - paid (void: 0); number and
  //            finalized_at kept when ours has them; paid_at/voided_at Stripe's
  //            when given, else `at`.
  static Status ApplyTransition(storage::Executor& tx, const Transition& t);

  // A credit note's effect on its invoice: `pre_payment` lowers what is due,
  // `post_payment` is recorded; an open or uncollectible invoice with
  // nothing left due becomes paid (as Stripe does). kConflict when it
  // changed meanwhile (status no longer `from`, or less due than
  // `pre_payment`).
  static Status ApplyCreditNote(storage::Executor& tx, const std::string& id, InvoiceStatus from, int64_t pre_payment,
                                int64_t post_payment, TimePoint at);
  // Prepaid credits applied to an open invoice at finalization: lowers what
  // is due by `amount`; paid when nothing is left (as Stripe marks an
  // invoice its balance covers). kConflict when less is due.
  static Status ApplyCredits(storage::Executor& tx, const std::string& id, int64_t amount, TimePoint at);

  // Publishes `type` ("invoice.finalized", "invoice.paid") for the invoice as
  // stored now: its id, number, amounts, status and period (docs/webhooks.md).
  // The status writers above publish invoice.finalized and invoice.paid themselves.
  static Status PublishEvent(storage::Executor& tx, const std::string& id, const char* type, TimePoint at);

  // Amounts that only grow, whatever order Stripe's events arrive in.
  static Status RecordPartialPayment(storage::Executor& tx, const std::string& id, int64_t amount_paid, TimePoint at);
  static Status RecordRefund(storage::Executor& tx, const std::string& id, int64_t amount_refunded, TimePoint at);
  static Status CountFailedPayment(storage::Executor& tx, const std::string& id, TimePoint at);
  // Links our invoice to Stripe's, only if it has no Stripe invoice yet and
  // belongs to `customer_id`: false when it did not.
  static Result<bool> LinkStripe(storage::Executor& tx, const std::string& id, const std::string& stripe_invoice_id,
                                 const std::string& customer_id, TimePoint at);
  // Keeps Stripe's hosted payment page of the invoice ("" changes nothing).
  static Status SetHostedUrl(storage::Executor& tx, const std::string& id, const std::string& url);

 private:
  static Status WriteTransition(storage::Executor& tx, const Transition& t);
  // invoice.paid when the invoice became paid at `at` (its paid_at is `at`).
  static Status PublishIfJustPaid(storage::Executor& tx, const std::string& id, TimePoint at);
};

}  // namespace meterline::invoicing
