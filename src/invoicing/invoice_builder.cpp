#include "invoicing/invoice_builder.hpp"

#include "core/checked_math.hpp"
#include "pricing/describe.hpp"

namespace meterline::invoicing {

namespace {

// "monthly" | "quarterly" | "yearly": the base fee line's word for its period.
std::string FeeWord(int interval_months) {
  return interval_months == 12 ? "yearly" : interval_months == 3 ? "quarterly" : "monthly";
}

// ", 2026-11-10 to 2026-12-01", and " (21 of 30 days)" for part of a period.
std::string DatesText(const std::optional<Period>& dates, const money::Share& share) {
  std::string out;
  if (dates) out += ", " + FormatIso8601(dates->start).substr(0, 10) + " to " + FormatIso8601(dates->end).substr(0, 10);
  if (!share.IsWhole()) out += " (" + share.Describe() + ")";
  return out;
}

}  // namespace

std::string GroupThousands(int64_t value) {
  std::string digits = std::to_string(value);
  bool negative = !digits.empty() && digits[0] == '-';
  if (negative) digits.erase(0, 1);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return negative ? "-" + out : out;
}

std::string DisplayAmount(int64_t units, const catalog::Metric& metric) {
  return pricing::QuantityText(units, metric.unit);
}

LineItem BaseFeeLine(const catalog::Plan& plan, const money::Share& share, const std::optional<Period>& dates) {
  int64_t amount = plan.BaseFeeFor(share);
  return {"base_fee",
          "",
          plan.name + " plan, " + FeeWord(plan.interval_months) + " fee" + DatesText(dates, share),
          1,
          money::FormatMajor(amount, plan.currency),
          amount};
}

LineItem TrialLine(const catalog::Plan& plan, const Period& dates) {
  return {"base_fee",
          "",
          "Free trial of " + plan.name + " plan" + DatesText(dates, {}) +
              (plan.trial.usage_billed ? "" : ", usage free of charge"),
          1,
          money::FormatMajor(0, plan.currency),
          0};
}

LineItem UnusedTimeLine(const catalog::Plan& plan, const money::Share& share, const Period& dates) {
  int64_t amount = -plan.BaseFeeFor(share);
  return {"base_fee",
          "",
          "Unused time on " + plan.name + " plan" + DatesText(dates, share),
          1,
          money::FormatMajor(amount, plan.currency),
          amount};
}

Result<int64_t> TaxMinor(int64_t subtotal_minor, const money::Decimal& rate, int64_t step) {
  if (rate.units() < 0) return InvalidArgument("tax rate must not be negative");
  __int128 tax = money::DivideRoundHalfEven(static_cast<__int128>(subtotal_minor) * rate.units(),
                                            money::Pow10(rate.scale()) * step) *
                 step;
  if (tax > INT64_MAX || tax < INT64_MIN) return OverflowError("the tax");
  return static_cast<int64_t>(tax);
}

Result<InvoiceAmounts> BuildInvoice(const catalog::Catalog& catalog, const catalog::Plan& plan,
                                    const std::map<std::string, int64_t>& usage,
                                    const std::optional<money::Decimal>& tax_rate, const InvoiceTerms& terms) {
  InvoiceAmounts out;
  if (terms.fee_lines) {
    out.lines = *terms.fee_lines;
  } else {
    out.lines.push_back(BaseFeeLine(plan, terms.share, std::nullopt));
  }
  int64_t usage_minor = 0;
  for (const catalog::Metric& metric : catalog.metrics()) {
    if (!terms.with_usage) break;
    auto used_it = usage.find(metric.id);
    int64_t used = used_it == usage.end() ? 0 : used_it->second;
    if (used < 0) return InvalidArgument("usage of " + metric.id + " is negative");
    pricing::MetricCharge charge = catalog::ChargeFor(plan, metric, terms.share);
    MTL_ASSIGN_OR_RETURN(auto priced, pricing::Price(charge, used, plan.currency));
    MTL_RETURN_IF_ERROR(AddChecked(usage_minor, priced.total_minor, "the invoice subtotal"));
    pricing::MetricWords words = pricing::WordsFor(metric.name, metric.unit);
    for (const pricing::ChargeLine& line : priced.lines) {
      if (line.amount_minor == 0 && line.unit_price.amount.IsZero()) continue;  // an included slice
      if (line.kind == pricing::LineKind::kOverage) {
        // The units over the allowance (and any free units), as invoices always said.
        int64_t included = line.first_unit - 1 + (priced.quantity - priced.billable);
        out.lines.push_back({"overage", metric.id,
                             metric.name + " over " + DisplayAmount(included, metric) + " included (" +
                                 DisplayAmount(used, metric) + " used)",
                             line.quantity, money::PerUnitText(line.unit_price), line.amount_minor});
      } else {
        out.lines.push_back({"usage", metric.id, pricing::DescribeLine(line, charge, plan.currency, words),
                             line.quantity, money::PerUnitText(line.unit_price), line.amount_minor});
      }
    }
  }
  for (const LineItem& line : out.lines) {
    MTL_RETURN_IF_ERROR(AddChecked(out.subtotal_minor, line.amount_minor, "the invoice subtotal"));
  }
  // A minimum commitment: what the period's charges (its usage and its own
  // base fee, wherever that was invoiced) fall short of it by; for part of a
  // period, both prorated.
  int64_t charges = usage_minor;
  MTL_RETURN_IF_ERROR(AddChecked(charges, plan.BaseFeeFor(terms.share), "the period's charges"));
  int64_t minimum = plan.MinimumFor(terms.share);
  int64_t true_up = terms.with_usage && terms.with_minimum ? pricing::TrueUpMinor(charges, minimum) : 0;
  if (true_up > 0) {
    out.lines.push_back({"minimum", "",
                         "Minimum commitment of " + money::FormatMajor(minimum, plan.currency) + " " +
                             plan.currency.code + " (charges " + money::FormatMajor(charges, plan.currency) + ")",
                         1, money::FormatMajor(true_up, plan.currency), true_up});
    MTL_RETURN_IF_ERROR(AddChecked(out.subtotal_minor, true_up, "the invoice subtotal"));
  }
  if (tax_rate) {
    if (money::Decimal(1, 0) < *tax_rate || *tax_rate == money::Decimal(1, 0) || tax_rate->units() < 0) {
      return InvalidArgument("tax rate must be at least 0 and below 1, got " + tax_rate->ToString());
    }
    MTL_ASSIGN_OR_RETURN(auto tax, TaxMinor(out.subtotal_minor, *tax_rate, plan.currency.step));
    out.tax_minor = tax;
  }
  auto total = TryAdd(out.subtotal_minor, out.tax_minor);
  if (!total) return OverflowError("the invoice total");
  out.total_minor = *total;
  return out;
}

}  // namespace meterline::invoicing
