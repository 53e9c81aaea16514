// Money: integer minor units tagged with an ISO 4217 currency, and the one
// function that turns a usage quantity and a unit price into a charge.
// No floating point anywhere; every overflow is an error, never a wrap.
// Rounding: half to even, once per charge (docs/money.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "money/decimal.hpp"

namespace meterline::money {

struct Currency {
  std::string code;  // "USD"
  int exponent = 2;  // minor units per major unit = 10^exponent (JPY: 0)
  // Every amount is a multiple of it: 10 for the three-decimal currencies
  // (KWD, BHD, JOD), which Stripe settles in tens of fils; 1 for the others.
  int64_t step = 1;
};

// The currencies Meterline bills in. nullopt for an unknown code.
std::optional<Currency> FindCurrency(std::string_view code);

struct Money {
  int64_t minor = 0;     // cents for USD
  std::string currency;  // ISO 4217 code

  friend bool operator==(const Money&, const Money&) = default;
};

// a + b. kInvalidArgument when the currencies differ, OverflowError (422) on overflow.
Result<Money> Add(const Money& a, const Money& b);

// "1234.5" USD -> "$1,234.50"-free plain form "1234.50" (exponent digits).
std::string FormatMajor(int64_t minor, const Currency& currency);

// A price per block of units in major currency units: 0.50 USD per 1000
// impressions is {Decimal("0.50"), 1000}; 0.05 USD per GB of bytes is
// {Decimal("0.05"), 1000000000}.
struct UnitPrice {
  Decimal amount;
  int64_t per_units = 1;
};

// The charge for `quantity` units at `price`, in minor units of `currency`:
// quantity * amount / per_units, rounded half to even once (to a multiple of
// currency.step).
// kInvalidArgument for a negative quantity or per_units < 1; OverflowError
// (422, core/checked_math.hpp) when the result does not fit in 64 bits.
Result<int64_t> ChargeMinor(const UnitPrice& price, int64_t quantity, const Currency& currency);

// The exact price of one unit in major units, as text ("0.0005"), for invoice lines.
std::string PerUnitText(const UnitPrice& price);

}  // namespace meterline::money
