#include "pricing/describe.hpp"

#include <type_traits>

namespace meterline::pricing {

namespace {

constexpr const char* kEnDash = "\u2013";

std::string Grouped(const std::string& digits) {
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

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
  return (negative ? "\u2212" : "") + Grouped(whole) + (fraction.empty() ? "" : "." + fraction);
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

std::string QuantityText(int64_t units, std::string_view unit) {
  bool negative = units < 0;
  unsigned __int128 magnitude = negative ? -static_cast<__int128>(units) : units;
  auto digits = [](unsigned __int128 v) {
    std::string out;
    do {
      out.insert(out.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
      v /= 10;
    } while (v > 0);
    return out;
  };
  std::string sign = negative ? "-" : "";
  if (unit != "byte") return sign + Grouped(digits(magnitude));
  // Bytes read as GB (10^9 bytes) with two decimals, rounded half to even; display only.
  auto hundredths = static_cast<unsigned __int128>(money::DivideRoundHalfEven(magnitude * 100, 1'000'000'000));
  std::string fraction = digits(hundredths % 100);
  if (fraction.size() < 2) fraction.insert(0, "0");
  return sign + Grouped(digits(hundredths / 100)) + (fraction == "00" ? "" : "." + fraction) + " GB";
}

MetricWords WordsFor(const std::string& name, const std::string& unit) {
  return {name, [unit](int64_t units) { return QuantityText(units, unit); }};
}

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
      return words.name + ", flat fee for tier " + TierRange(*tiers, static_cast<size_t>(line.tier), words);
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
    return words.name + " " + words.quantity(line.quantity) + " at " + PriceText(line.unit_price, currency, words) +
           " (tier " + TierRange(*tiers, static_cast<size_t>(line.tier), words) + ")";
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
