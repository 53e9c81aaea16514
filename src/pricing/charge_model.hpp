// Charge models: how one metric's usage in a period becomes money. Pure and
// exact: decimal prices, integer minor units, every line rounded half to even
// once (money::ChargeMinor), no floating point (docs/money.md has worked
// examples of each model).
//
//   included_then_overage  a free allowance, then a price per block of N units
//                          (the spec's plans)
//   per_unit               every unit at one price (per block of N units)
//   graduated              each slice of usage at its own tier's price, plus the
//                          flat amount of every tier it reaches (Stripe's
//                          tiers_mode=graduated)
//   volume                 the whole quantity at the price of the tier it
//                          reaches, plus that tier's flat amount
//   package                a price per package of N units, counting a started
//                          package (rounding up) or only completed ones (down)
//
// Any model may take `free_units` off the quantity first. Zero billable units
// charge nothing in every model (no tier is reached, so no flat amount either).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/result.hpp"
#include "money/money.hpp"

namespace meterline::pricing {

struct Tier {
  std::optional<int64_t> up_to;  // the tier's last unit (inclusive); nullopt: no end (the last tier only)
  money::UnitPrice unit_price;   // per unit_price.per_units units
  money::Decimal flat_amount;    // major units, once when usage reaches the tier; exact in minor units
};

enum class PackageRounding { kUp, kDown };

struct IncludedThenOverage {
  int64_t included = 0;
  money::UnitPrice price;  // of the units over `included`
};
struct PerUnit {
  money::UnitPrice price;
};
struct Graduated {
  std::vector<Tier> tiers;
};
struct Volume {
  std::vector<Tier> tiers;
};
struct Package {
  int64_t size = 1;      // units per package
  money::Decimal price;  // major units per package
  PackageRounding rounding = PackageRounding::kUp;
};

using ChargeModel = std::variant<IncludedThenOverage, PerUnit, Graduated, Volume, Package>;

// The model's name in the API and catalog: "included_then_overage", "per_unit", …
const char* ModelName(const ChargeModel& model);

struct MetricCharge {
  ChargeModel model;
  int64_t free_units = 0;  // taken off the quantity before the model prices it
};

enum class LineKind {
  kOverage,   // included_then_overage: the units over the allowance
  kUnits,     // per_unit, or a graduated slice, or volume's whole quantity
  kTierFlat,  // a tier's flat amount
  kPackages,  // package: quantity is packages
};

// One priced line. Units are counted after the free units: first_unit and
// last_unit (1-based, inclusive) say which of the billable units it prices.
struct ChargeLine {
  LineKind kind = LineKind::kUnits;
  int tier = -1;  // index into the model's tiers; -1 when not tiered
  int64_t first_unit = 0;
  int64_t last_unit = 0;
  int64_t quantity = 0;         // units charged (packages for kPackages; 1 for kTierFlat)
  money::UnitPrice unit_price;  // per unit (per package; the flat amount for kTierFlat)
  int64_t amount_minor = 0;
};

struct Charge {
  int64_t quantity = 0;  // as measured
  int64_t billable = 0;  // quantity - free_units, at least 0
  std::vector<ChargeLine> lines;
  int64_t total_minor = 0;  // the sum of the lines
};

// Checks a charge before it is stored or used: tiers ascending with one open
// last tier, positive package sizes, non-negative prices, flat amounts exact
// in `currency`'s minor units. Errors are InvalidParam naming the field under
// `path`, e.g. "tiers[2].up_to must be greater than tiers[1].up_to".
Status Validate(const MetricCharge& charge, const money::Currency& currency, const std::string& path = "");

// Prices `quantity` units. REQUIRES: Validate(charge, currency) is OK.
// kInvalidArgument for a negative quantity; OverflowError (422) when an amount does not fit.
Result<Charge> Price(const MetricCharge& charge, int64_t quantity, const money::Currency& currency);

// The true-up of a minimum commitment: what `charges_minor` falls short of
// `minimum_minor` by, or 0 when it does not. REQUIRES: charges_minor >= 0.
int64_t TrueUpMinor(int64_t charges_minor, int64_t minimum_minor);

}  // namespace meterline::pricing
