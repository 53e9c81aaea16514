// Compare: the pure core of reconciliation. One expected invoice against our
// stored invoice and Stripe's, giving findings and what it adds to its
// currency's totals; the totals kept per currency with overflow checks.
// No storage, no network, no clock (ReconciliationService does the I/O).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "invoicing/invoice_service.hpp"
#include "money/decimal.hpp"
#include "reconciliation/options.hpp"

namespace meterline::reconciliation {

enum class FindingKind {
  kAmountMismatch,    // |billed - expected| beyond the tolerance
  kMissingInStripe,   // we expect a charge; Stripe has no invoice for it
  kMissingInternal,   // we have no invoice for the period, or Stripe has one of ours we do not
  kCurrencyMismatch,  // Stripe billed our invoice in another currency: amounts cannot be compared
};
// "amount_mismatch" | "missing_in_stripe" | "missing_internal" | "currency_mismatch",
// as stored and in the API.
const char* FindingKindName(FindingKind kind);
std::optional<FindingKind> ParseFindingKind(std::string_view text);

struct Finding {
  std::string customer_id;
  std::string customer_name;
  FindingKind kind = FindingKind::kAmountMismatch;
  std::string line;  // total | base_fee | tax | <metric> | currency XYZ
  int64_t expected_minor = 0;
  int64_t billed_minor = 0;      // in billed_currency when that is set
  int64_t difference_minor = 0;  // billed - expected; currency_mismatch: -expected (nothing billed in ours)
  std::string currency;
  std::string invoice_id;         // "" when none
  std::string stripe_invoice_id;  // "" when none
  std::string billed_currency;    // currency_mismatch: Stripe's currency; else ""
  std::string invoice_number;     // of invoice_id, when it has one (looked up, not stored)
};

// One currency's totals (amounts in its minor units).
struct CurrencyTotals {
  std::string currency;
  int64_t subscriptions_checked = 0;
  int64_t expected_total_minor = 0;
  int64_t billed_total_minor = 0;
  int64_t discrepancy_total_minor = 0;
  int64_t alert_threshold_minor = 0;
  bool alert_raised = false;
};

// Our invoice of one period, as stored.
struct OurInvoice {
  std::string id;
  std::string stripe_invoice_id;
  invoicing::InvoiceStatus status = invoicing::InvoiceStatus::kOpen;
  int64_t credit_notes_minor = 0;     // credit notes issued on it (before and after payment)
  int64_t credits_applied_minor = 0;  // prepaid credits applied to it
};

// What Stripe billed on one invoice: its total and, per line, the amounts
// under each of our positions (metadata[meterline_line]).
struct BilledInvoice {
  std::string id;
  std::string currency;  // upper case, as ours
  int64_t total = 0;
  std::map<int64_t, int64_t> lines;
  int64_t credit_notes = 0;     // pre_ + post_payment_credit_notes_amount
  int64_t applied_balance = 0;  // customer balance applied: ending_balance - starting_balance
};

// Where invoice sync puts the tax line among an invoice's positions (1.. for
// the builder's lines).
inline constexpr int64_t kTaxPosition = 10'000;

// |billed - expected| beyond max(one minor unit, tolerance x |expected|)?
bool Beyond(int64_t expected, int64_t billed, const money::Decimal& tolerance);

// What comparing one expected invoice found, and adds to its currency's totals.
struct InvoiceComparison {
  std::vector<Finding> findings;  // customer names left empty
  bool stripe_matched = false;    // a Stripe invoice was found for it (counts as compared)
  int64_t expected_minor = 0;     // to the expected total (0 when ours is void)
  int64_t billed_minor = 0;       // to the billed total
  int64_t discrepancy_minor = 0;  // to the discrepancy total: |billed - expected|, or |expected| if unbilled
};

// Compares `expected` with `ours` (our invoice of its period; null: none) and
// `billed` (Stripe's invoice matched to ours; null: none). A void invoice of
// ours owes nothing: no findings, nothing added. Lines are compared by
// position, and the total; each beyond the tolerance is a finding. So are
// credit notes and applied prepaid credits that differ from Stripe's
// (lines "credit_notes" and "credits_applied"; neither changes the total). A Stripe
// invoice in another currency is one currency_mismatch finding on the line "total".
// OverflowError when a difference of Stripe's amounts and ours does not fit.
Result<InvoiceComparison> CompareInvoice(const invoicing::ExpectedInvoice& expected, const OurInvoice* ours,
                                         const BilledInvoice* billed, const money::Decimal& tolerance);

// The finding for a Stripe invoice naming an invoice of ours we do not have.
Finding UnknownToUs(const std::string& our_invoice_id, const BilledInvoice& billed);

// Totals per currency: amounts in different currencies are never added, and
// every sum is checked (OverflowError instead of a wrap). Not thread-safe.
class TotalsByCurrency {
 public:
  // Adds one compared invoice of `subscription_id` in `currency`.
  Status Add(const std::string& currency, const std::string& subscription_id, const InvoiceComparison& c);
  // Adds a Stripe invoice that matches nothing of ours (all of it a discrepancy).
  Status AddUnmatched(const BilledInvoice& billed);

  // Each currency's totals with its alert threshold and whether it was
  // crossed (discrepancy > threshold), ordered by currency code.
  std::vector<CurrencyTotals> Finish(const Options& options) const;
  // Distinct subscriptions added, over all currencies.
  int64_t subscriptions() const { return static_cast<int64_t>(subscriptions_.size()); }

 private:
  CurrencyTotals& For(const std::string& currency);

  std::map<std::string, CurrencyTotals> totals_;
  std::set<std::string> subscriptions_;
};

// The currency whose totals a result's top-level fields carry: most
// subscriptions, then the larger expected total, then the code. Null when empty.
const CurrencyTotals* MainCurrency(const std::vector<CurrencyTotals>& totals);

}  // namespace meterline::reconciliation
