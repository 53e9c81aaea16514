#include "reconciliation/compare.hpp"

#include "core/checked_math.hpp"

namespace meterline::reconciliation {

const char* FindingKindName(FindingKind kind) {
  switch (kind) {
    case FindingKind::kAmountMismatch: return "amount_mismatch";
    case FindingKind::kMissingInStripe: return "missing_in_stripe";
    case FindingKind::kMissingInternal: return "missing_internal";
    case FindingKind::kCurrencyMismatch: return "currency_mismatch";
  }
  return "amount_mismatch";
}

std::optional<FindingKind> ParseFindingKind(std::string_view text) {
  for (FindingKind kind : {FindingKind::kAmountMismatch, FindingKind::kMissingInStripe, FindingKind::kMissingInternal,
                           FindingKind::kCurrencyMismatch}) {
    if (text == FindingKindName(kind)) return kind;
  }
  return std::nullopt;
}

bool Beyond(int64_t expected, int64_t billed, const money::Decimal& tolerance) {
  __int128 diff = static_cast<__int128>(billed) - expected;
  if (diff < 0) diff = -diff;
  if (diff <= 1) return false;
  __int128 magnitude = expected < 0 ? -static_cast<__int128>(expected) : expected;
  return diff * money::Pow10(tolerance.scale()) > magnitude * tolerance.units();
}

namespace {

Result<int64_t> CheckedAbs(int64_t value, const std::string& what) {
  auto out = TryAbs(value);
  if (!out) return OverflowError(what);
  return *out;
}

// A finding about `expected`'s invoice; its difference is checked.
Result<Finding> MakeFinding(const invoicing::ExpectedInvoice& expected, FindingKind kind, std::string line,
                            int64_t expected_minor, int64_t billed_minor, const std::string& invoice_id,
                            const std::string& stripe_id) {
  auto difference = TrySub(billed_minor, expected_minor);
  if (!difference) return OverflowError("the difference on " + line + " of Stripe invoice " + stripe_id);
  return Finding{expected.subscription.customer_id,
                 "",
                 kind,
                 std::move(line),
                 expected_minor,
                 billed_minor,
                 *difference,
                 expected.currency,
                 invoice_id,
                 stripe_id};
}

}  // namespace

Result<InvoiceComparison> CompareInvoice(const invoicing::ExpectedInvoice& expected, const OurInvoice* ours,
                                         const BilledInvoice* billed, const money::Decimal& tolerance) {
  InvoiceComparison out;
  const int64_t total = expected.amounts.total_minor;
  auto add = [&](FindingKind kind, std::string line, int64_t exp, int64_t got, const std::string& invoice_id,
                 const std::string& stripe_id) -> Status {
    MTL_ASSIGN_OR_RETURN(auto finding, MakeFinding(expected, kind, std::move(line), exp, got, invoice_id, stripe_id));
    out.findings.push_back(std::move(finding));
    return OkStatus();
  };
  if (ours == nullptr) {
    out.expected_minor = total;
    MTL_ASSIGN_OR_RETURN(auto magnitude, CheckedAbs(total, "an expected total"));
    out.discrepancy_minor = magnitude;
    MTL_RETURN_IF_ERROR(add(FindingKind::kMissingInternal, "total", total, 0, "", ""));
    return out;
  }
  if (ours->status == invoicing::InvoiceStatus::kVoid) return out;  // nothing is owed
  out.expected_minor = total;
  if (billed == nullptr) {
    if (total != 0) {
      MTL_ASSIGN_OR_RETURN(auto magnitude, CheckedAbs(total, "an expected total"));
      out.discrepancy_minor = magnitude;
      MTL_RETURN_IF_ERROR(add(FindingKind::kMissingInStripe, "total", total, 0, ours->id, ""));
    }
    return out;
  }
  out.stripe_matched = true;
  if (!billed->currency.empty() && billed->currency != expected.currency) {
    // Billed in another currency: nothing to compare, nothing to add up.
    MTL_ASSIGN_OR_RETURN(auto magnitude, CheckedAbs(total, "an expected total"));
    out.discrepancy_minor = magnitude;
    MTL_ASSIGN_OR_RETURN(
        auto finding, MakeFinding(expected, FindingKind::kCurrencyMismatch, "total", total, 0, ours->id, billed->id));
    finding.billed_minor = billed->total;  // in Stripe's currency; the difference stays -expected
    finding.billed_currency = billed->currency;
    out.findings.push_back(std::move(finding));
    return out;
  }
  out.billed_minor = billed->total;
  auto difference = TrySub(billed->total, total);
  if (!difference || !TryAbs(*difference)) return OverflowError("the difference on Stripe invoice " + billed->id);
  out.discrepancy_minor = *TryAbs(*difference);
  // Line by line (positions as stored: 1.. in builder order; tax apart).
  std::map<int64_t, std::pair<std::string, int64_t>> lines;
  for (size_t i = 0; i < expected.amounts.lines.size(); ++i) {
    const invoicing::LineItem& l = expected.amounts.lines[i];
    lines[static_cast<int64_t>(i) + 1] = {l.metric.empty() ? l.kind : l.metric, l.amount_minor};
  }
  if (expected.amounts.tax_minor != 0) lines[kTaxPosition] = {"tax", expected.amounts.tax_minor};
  for (const auto& [position, amount] : billed->lines) {
    if (!lines.count(position)) {
      lines[position] = {position == kTaxPosition ? "tax" : "line " + std::to_string(position), 0};
    }
  }
  for (const auto& [position, named] : lines) {
    auto got = billed->lines.find(position);
    int64_t amount = got == billed->lines.end() ? 0 : got->second;
    if (Beyond(named.second, amount, tolerance)) {
      MTL_RETURN_IF_ERROR(add(FindingKind::kAmountMismatch, named.first, named.second, amount, ours->id, billed->id));
    }
  }
  if (Beyond(total, billed->total, tolerance)) {
    MTL_RETURN_IF_ERROR(add(FindingKind::kAmountMismatch, "total", total, billed->total, ours->id, billed->id));
  }
  // What was taken off afterwards: compared exactly (both sides are ours to send).
  if (ours->credit_notes_minor != billed->credit_notes) {
    MTL_RETURN_IF_ERROR(add(FindingKind::kAmountMismatch, "credit_notes", ours->credit_notes_minor,
                            billed->credit_notes, ours->id, billed->id));
  }
  if (ours->credits_applied_minor != billed->applied_balance) {
    MTL_RETURN_IF_ERROR(add(FindingKind::kAmountMismatch, "credits_applied", ours->credits_applied_minor,
                            billed->applied_balance, ours->id, billed->id));
  }
  return out;
}

Finding UnknownToUs(const std::string& our_invoice_id, const BilledInvoice& billed) {
  return Finding{"",
                 "",
                 FindingKind::kMissingInternal,
                 "total",
                 0,
                 billed.total,
                 billed.total,
                 billed.currency,
                 our_invoice_id,
                 billed.id};
}

CurrencyTotals& TotalsByCurrency::For(const std::string& currency) {
  CurrencyTotals& t = totals_[currency];
  t.currency = currency;
  return t;
}

Status TotalsByCurrency::Add(const std::string& currency, const std::string& subscription_id,
                             const InvoiceComparison& c) {
  CurrencyTotals& t = For(currency);
  if (subscriptions_.insert(subscription_id).second) ++t.subscriptions_checked;
  MTL_RETURN_IF_ERROR(AddChecked(t.expected_total_minor, c.expected_minor, "the expected " + currency + " total"));
  MTL_RETURN_IF_ERROR(AddChecked(t.billed_total_minor, c.billed_minor, "the billed " + currency + " total"));
  return AddChecked(t.discrepancy_total_minor, c.discrepancy_minor, "the " + currency + " discrepancy total");
}

Status TotalsByCurrency::AddUnmatched(const BilledInvoice& billed) {
  CurrencyTotals& t = For(billed.currency);
  auto magnitude = TryAbs(billed.total);
  if (!magnitude) return OverflowError("the total of Stripe invoice " + billed.id);
  MTL_RETURN_IF_ERROR(
      AddChecked(t.discrepancy_total_minor, *magnitude, "the " + billed.currency + " discrepancy total"));
  return AddChecked(t.billed_total_minor, billed.total, "the billed " + billed.currency + " total");
}

std::vector<CurrencyTotals> TotalsByCurrency::Finish(const Options& options) const {
  std::vector<CurrencyTotals> out;
  for (const auto& [code, totals] : totals_) {
    CurrencyTotals t = totals;
    t.alert_threshold_minor = options.AlertThresholdMinor(code);
    t.alert_raised = t.discrepancy_total_minor > t.alert_threshold_minor;
    out.push_back(std::move(t));
  }
  return out;
}

const CurrencyTotals* MainCurrency(const std::vector<CurrencyTotals>& totals) {
  const CurrencyTotals* main = nullptr;
  for (const CurrencyTotals& t : totals) {
    if (main == nullptr || t.subscriptions_checked > main->subscriptions_checked ||
        (t.subscriptions_checked == main->subscriptions_checked &&
         t.expected_total_minor > main->expected_total_minor)) {
      main = &t;
    }
  }
  return main;
}

}  // namespace meterline::reconciliation
