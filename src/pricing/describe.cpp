#include "pricing/describe.hpp"

#include <type_traits>

namespace meterline::pricing {

namespace {

constexpr const char* kEnDash = "\u2013";

// "2,999.00": grouped integer part, the fraction padded to the currency's
// minor-unit digits (longer fractions, sub-cent prices, kept whole).
std::string AmountText(const money::Decimal& amount, const money::Currency& currency) {
  std::string text = amount.ToString();
  bool negative = !text.empty() && text[0] == '-';
  if (negative) text.erase(0, 1);
  size_t dot = text.find('.');
  std::string whole = text.substr(0, dot);
  std::string fraction = dot == std::string::npos ? "" : text.substr(dot + 1);
  while (static_cast<int>(fraction.size()) < currency.exponent) fraction += '0';
  std::string grouped;
  for (size_t i = 0; i < whole.size(); ++i) {
    if (i > 0 && (whole.size() - i) % 3 == 0) grouped += ',';
    grouped += whole[i];
  }
  return (negative ? "\u2212" : "") + grouped + (fraction.empty() ? "" : "." + fraction);
}

std::string Money(const money::Decimal& amount, const money::Currency& currency) {
  return AmountText(amount, currency) + " " + currency.code;
}

// The units of tier i: "1–5", "6–10", "above 10".
std::string TierRange(const std::vector<Tier>& tiers, size_t i, const MetricWords& words) {
  int64_t first = i == 0 ? 1 : *tiers[i - 1].up_to + 1;
  if (!tiers[i].up_to) return i == 0 ? "every unit" : "above " + words.quantity(first - 1);
  return words.quantity(first) + kEnDash + words.quantity(*tiers[i].up_to);
}

std::string TierTerms(const std::vector<Tier>& tiers, size_t i, const money::Currency& currency,
                      const MetricWords& words) {
  const Tier& tier = tiers[i];
  std::string out = TierRange(tiers, i, words);
  bool free = tier.unit_price.amount.IsZero();
  if (free && tier.flat_amount.IsZero()) {
    return i == 0 && tier.up_to ? "first " + words.quantity(*tier.up_to) + " included" : out + " free";
  }
  out += free ? "" : " at " + PriceText(tier.unit_price, currency, words);
  if (!tier.flat_amount.IsZero()) out += (free ? " for a flat " : " plus a flat ") + Money(tier.flat_amount, currency);
  return out;
}

}  // namespace

std::string PriceText(const money::UnitPrice& price, const money::Currency& currency, const MetricWords& words) {
  if (price.per_units == 1) return Money(price.amount, currency) + " each";
  return Money(price.amount, currency) + " per " + words.quantity(price.per_units);
}

std::string DescribeLine(const ChargeLine& line, const MetricCharge& charge, const money::Currency& currency,
                         const MetricWords& words) {
  const std::vector<Tier>* tiers = nullptr;
  if (const auto* graduated = std::get_if<Graduated>(&charge.model)) tiers = &graduated->tiers;
  if (const auto* volume = std::get_if<Volume>(&charge.model)) tiers = &volume->tiers;
  const bool volume = std::holds_alternative<Volume>(charge.model);
  switch (line.kind) {
    case LineKind::kOverage:
      return words.name + " over " + words.quantity(line.first_unit - 1) + " included at " +
             PriceText(line.unit_price, currency, words);
    case LineKind::kTierFlat:
      return words.name + ", flat fee of the " + TierRange(*tiers, static_cast<size_t>(line.tier), words) + " tier";
    case LineKind::kPackages: {
      const auto& package = std::get<Package>(charge.model);
      return words.name + " " + words.quantity(line.last_unit) + " in " + std::to_string(line.quantity) +
             (line.quantity == 1 ? " package" : " packages") + " of " + words.quantity(package.size) + " at " +
             Money(package.price, currency) + " each" +
             (package.rounding == PackageRounding::kDown ? " (completed packages only)" : "");
    }
    case LineKind::kUnits: break;
  }
  if (tiers == nullptr) {
    return words.name + " " + words.quantity(line.quantity) + " at " + PriceText(line.unit_price, currency, words);
  }
  if (volume) {
    return words.name + " " + words.quantity(line.quantity) + " at the " +
           TierRange(*tiers, static_cast<size_t>(line.tier), words) + " tier's " +
           PriceText(line.unit_price, currency, words);
  }
  return words.name + " " + words.quantity(line.first_unit) + kEnDash + words.quantity(line.last_unit) + " at " +
         PriceText(line.unit_price, currency, words);
}

std::string DescribeModel(const MetricCharge& charge, const money::Currency& currency, const MetricWords& words) {
  std::string terms = std::visit(
      [&](const auto& m) -> std::string {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, IncludedThenOverage>) {
          std::string price = PriceText(m.price, currency, words);
          if (m.included == 0) return price;
          return "first " + words.quantity(m.included) + " included; then " + price;
        } else if constexpr (std::is_same_v<M, PerUnit>) {
          return PriceText(m.price, currency, words);
        } else if constexpr (std::is_same_v<M, Graduated>) {
          std::string out;
          for (size_t i = 0; i < m.tiers.size(); ++i) out += (i ? "; " : "") + TierTerms(m.tiers, i, currency, words);
          return out;
        } else if constexpr (std::is_same_v<M, Volume>) {
          std::string out = "every unit at the price of the tier the total reaches: ";
          for (size_t i = 0; i < m.tiers.size(); ++i) out += (i ? "; " : "") + TierTerms(m.tiers, i, currency, words);
          return out;
        } else {
          return Money(m.price, currency) + " per package of " + words.quantity(m.size) +
                 (m.rounding == PackageRounding::kUp ? " (a started package counts in full)"
                                                     : " (only completed packages count)");
        }
      },
      charge.model);
  std::string free = charge.free_units > 0 ? "first " + words.quantity(charge.free_units) + " free, then " : "";
  return words.name + ": " + free + terms;
}

}  // namespace meterline::pricing
