#include "pricing/charge_model.hpp"

#include <algorithm>
#include <type_traits>

#include "core/checked_math.hpp"

namespace meterline::pricing {

namespace {

// Most tiers a model may have: enough for any price list people write, and a
// bound on the work of one line.
constexpr size_t kMaxTiers = 100;

std::string Field(const std::string& path, const std::string& name) { return path.empty() ? name : path + "." + name; }

Status ValidatePrice(const money::UnitPrice& price, const std::string& field) {
  if (price.amount.IsNegative()) return InvalidParam(field, field + " must not be negative");
  if (price.per_units < 1) return InvalidParam(field, field + " must be a price per at least one unit");
  return OkStatus();
}

// A flat amount in minor units, exactly: 10.5 JPY has no minor-unit form.
Result<int64_t> ExactMinor(const money::Decimal& amount, const money::Currency& currency, const std::string& field) {
  if (amount.IsNegative()) return InvalidParam(field, field + " must not be negative");
  if (amount.scale() > currency.exponent) {
    __int128 divisor = money::Pow10(amount.scale() - currency.exponent);
    if (amount.units() % divisor != 0) {
      return InvalidParam(
          field, field + " " + amount.ToString() + " is not a whole amount of " + currency.code + " minor units");
    }
    return static_cast<int64_t>(amount.units() / divisor);
  }
  __int128 minor = static_cast<__int128>(amount.units()) * money::Pow10(currency.exponent - amount.scale());
  auto narrowed = TryNarrow(minor);
  if (!narrowed) return OverflowError(field);
  if (*narrowed % currency.step != 0) {
    return InvalidParam(field, field + " " + amount.ToString() + " must be a multiple of " +
                                   money::FormatMajor(currency.step, currency) + " " + currency.code);
  }
  return *narrowed;
}

Status ValidateTiers(const std::vector<Tier>& tiers, const money::Currency& currency, const std::string& path) {
  const std::string name = Field(path, "tiers");
  if (tiers.empty()) return InvalidParam(name, name + " must have at least one tier");
  if (tiers.size() > kMaxTiers) {
    return InvalidParam(name, name + " must have at most " + std::to_string(kMaxTiers) + " tiers");
  }
  for (size_t i = 0; i < tiers.size(); ++i) {
    const std::string tier = name + "[" + std::to_string(i) + "]";
    const bool last = i + 1 == tiers.size();
    if (last && tiers[i].up_to) {
      return InvalidParam(tier + ".up_to", tier + ".up_to must be absent: the last tier has no end");
    }
    if (!last && !tiers[i].up_to) {
      return InvalidParam(tier + ".up_to", tier + ".up_to is required: only the last tier has no end");
    }
    if (tiers[i].up_to) {
      if (*tiers[i].up_to < 1) return InvalidParam(tier + ".up_to", tier + ".up_to must be at least 1");
      if (i > 0 && *tiers[i].up_to <= *tiers[i - 1].up_to) {
        return InvalidParam(tier + ".up_to",
                            tier + ".up_to must be greater than " + name + "[" + std::to_string(i - 1) + "].up_to");
      }
    }
    MTL_RETURN_IF_ERROR(ValidatePrice(tiers[i].unit_price, tier + ".unit_price"));
    MTL_RETURN_IF_ERROR(ExactMinor(tiers[i].flat_amount, currency, tier + ".flat_amount"));
  }
  return OkStatus();
}

struct LineBuilder {
  const money::Currency& currency;
  Charge& charge;

  Status Units(LineKind kind, int tier, int64_t first, int64_t last, const money::UnitPrice& price) {
    int64_t quantity = last - first + 1;
    MTL_ASSIGN_OR_RETURN(auto amount, money::ChargeMinor(price, quantity, currency));
    charge.lines.push_back({kind, tier, first, last, quantity, price, amount});
    return OkStatus();
  }
  Status Flat(int tier, int64_t first, int64_t last, const money::Decimal& flat) {
    if (flat.IsZero()) return OkStatus();
    MTL_ASSIGN_OR_RETURN(auto amount, ExactMinor(flat, currency, "flat_amount"));
    charge.lines.push_back({LineKind::kTierFlat, tier, first, last, 1, {flat, 1}, amount});
    return OkStatus();
  }
};

}  // namespace

const char* ModelName(const ChargeModel& model) {
  return std::visit(
      [](const auto& m) -> const char* {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, IncludedThenOverage>) return "included_then_overage";
        if constexpr (std::is_same_v<M, PerUnit>) return "per_unit";
        if constexpr (std::is_same_v<M, Graduated>) return "graduated";
        if constexpr (std::is_same_v<M, Volume>) return "volume";
        return "package";
      },
      model);
}

Status Validate(const MetricCharge& charge, const money::Currency& currency, const std::string& path) {
  if (charge.free_units < 0) {
    return InvalidParam(Field(path, "free_units"), Field(path, "free_units") + " must not be negative");
  }
  return std::visit(
      [&](const auto& m) -> Status {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, IncludedThenOverage>) {
          if (m.included < 0) {
            return InvalidParam(Field(path, "included"), Field(path, "included") + " must not be negative");
          }
          return ValidatePrice(m.price, Field(path, "price"));
        } else if constexpr (std::is_same_v<M, PerUnit>) {
          return ValidatePrice(m.price, Field(path, "price"));
        } else if constexpr (std::is_same_v<M, Graduated> || std::is_same_v<M, Volume>) {
          return ValidateTiers(m.tiers, currency, path);
        } else {
          if (m.size < 1) {
            return InvalidParam(Field(path, "package_size"), Field(path, "package_size") + " must be at least 1");
          }
          return ValidatePrice({m.price, 1}, Field(path, "price"));
        }
      },
      charge.model);
}

Result<Charge> Price(const MetricCharge& charge, int64_t quantity, const money::Currency& currency) {
  if (quantity < 0) return InvalidArgument("quantity must not be negative");
  Charge out;
  out.quantity = quantity;
  out.billable = std::max<int64_t>(0, quantity - std::max<int64_t>(0, charge.free_units));
  const int64_t billable = out.billable;
  LineBuilder lines{currency, out};
  Status priced = std::visit(
      [&](const auto& m) -> Status {
        using M = std::decay_t<decltype(m)>;
        if (billable == 0) return OkStatus();
        if constexpr (std::is_same_v<M, IncludedThenOverage>) {
          if (billable <= m.included) return OkStatus();
          return lines.Units(LineKind::kOverage, -1, m.included + 1, billable, m.price);
        } else if constexpr (std::is_same_v<M, PerUnit>) {
          return lines.Units(LineKind::kUnits, -1, 1, billable, m.price);
        } else if constexpr (std::is_same_v<M, Graduated>) {
          int64_t below = 0;  // units priced by the tiers before this one
          for (size_t i = 0; i < m.tiers.size() && billable > below; ++i) {
            const Tier& tier = m.tiers[i];
            int64_t end = tier.up_to ? std::min(billable, *tier.up_to) : billable;
            MTL_RETURN_IF_ERROR(lines.Flat(static_cast<int>(i), below + 1, end, tier.flat_amount));
            MTL_RETURN_IF_ERROR(lines.Units(LineKind::kUnits, static_cast<int>(i), below + 1, end, tier.unit_price));
            below = end;
          }
          return OkStatus();
        } else if constexpr (std::is_same_v<M, Volume>) {
          size_t i = 0;
          while (i + 1 < m.tiers.size() && billable > *m.tiers[i].up_to) ++i;
          MTL_RETURN_IF_ERROR(lines.Flat(static_cast<int>(i), 1, billable, m.tiers[i].flat_amount));
          return lines.Units(LineKind::kUnits, static_cast<int>(i), 1, billable, m.tiers[i].unit_price);
        } else {
          int64_t packages = billable / m.size;
          if (m.rounding == PackageRounding::kUp && billable % m.size != 0) ++packages;
          if (packages == 0) return OkStatus();
          money::UnitPrice per_package{m.price, 1};
          MTL_ASSIGN_OR_RETURN(auto amount, money::ChargeMinor(per_package, packages, currency));
          out.lines.push_back({LineKind::kPackages, -1, 1, billable, packages, per_package, amount});
          return OkStatus();
        }
      },
      charge.model);
  MTL_RETURN_IF_ERROR(priced);
  for (const ChargeLine& line : out.lines) {
    MTL_RETURN_IF_ERROR(AddChecked(out.total_minor, line.amount_minor, "a metric's charge"));
  }
  return out;
}

int64_t TrueUpMinor(int64_t charges_minor, int64_t minimum_minor) {
  return charges_minor < minimum_minor ? minimum_minor - charges_minor : 0;
}

}  // namespace meterline::pricing
