#include "invoicing/invoice_builder.hpp"

#include "core/checked_math.hpp"
#include "pricing/describe.hpp"

namespace meterline::invoicing {

namespace {

// "monthly" | "quarterly" | "yearly": the base fee line's word for its period.
std::string FeeWord(int interval_months) {
  return interval_months == 12 ? "yearly" : interval_months == 3 ? "quarterly" : "monthly";
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
  const catalog::Plan& fee_plan = terms.base_fee_plan != nullptr ? *terms.base_fee_plan : plan;
  std::string fee = fee_plan.name + " plan, " + FeeWord(fee_plan.interval_months) + " fee";
  if (terms.base_fee_period) {
    // In advance: say which period it pays for ("2026-12-01 to 2027-01-01").
    fee += ", " + FormatIso8601(terms.base_fee_period->start).substr(0, 10) + " to " +
           FormatIso8601(terms.base_fee_period->end).substr(0, 10);
  }
  out.lines.push_back(
      {"base_fee", "", fee, 1, money::FormatMajor(fee_plan.base_fee_minor, plan.currency), fee_plan.base_fee_minor});
  for (const catalog::Metric& metric : catalog.metrics()) {
    if (!terms.with_usage) break;
    auto used_it = usage.find(metric.id);
    int64_t used = used_it == usage.end() ? 0 : used_it->second;
    if (used < 0) return InvalidArgument("usage of " + metric.id + " is negative");
    pricing::MetricCharge charge = catalog::ChargeFor(plan, metric);
    MTL_ASSIGN_OR_RETURN(auto priced, pricing::Price(charge, used, plan.currency));
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
  // base fee, wherever that was invoiced) fall short of it by.
  int64_t charges = out.subtotal_minor;
  if (terms.base_fee_plan != nullptr) {
    charges -= fee_plan.base_fee_minor;
    MTL_RETURN_IF_ERROR(AddChecked(charges, plan.base_fee_minor, "the period's charges"));
  }
  int64_t true_up = terms.with_usage ? pricing::TrueUpMinor(charges, plan.minimum_minor) : 0;
  if (true_up > 0) {
    out.lines.push_back({"minimum", "",
                         "Minimum commitment of " + money::FormatMajor(plan.minimum_minor, plan.currency) + " " +
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
