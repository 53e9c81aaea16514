#include "money/money.hpp"

#include <array>

#include "core/checked_math.hpp"

namespace meterline::money {

std::optional<Currency> FindCurrency(std::string_view code) {
  // ISO 4217 exponents: JPY and KRW have no minor unit, KWD and BHD three.
  static const std::array<Currency, 14> kCurrencies = {{{"USD", 2},
                                                        {"EUR", 2},
                                                        {"GBP", 2},
                                                        {"JPY", 0},
                                                        {"CHF", 2},
                                                        {"CAD", 2},
                                                        {"AUD", 2},
                                                        {"SEK", 2},
                                                        {"NOK", 2},
                                                        {"DKK", 2},
                                                        {"KRW", 0},
                                                        {"KWD", 3, 10},
                                                        {"BHD", 3, 10},
                                                        {"JOD", 3, 10}}};
  for (const auto& c : kCurrencies) {
    if (c.code == code) return c;
  }
  return std::nullopt;
}

Result<Money> Add(const Money& a, const Money& b) {
  if (a.currency != b.currency) {
    return InvalidArgument("cannot add " + a.currency + " and " + b.currency);
  }
  int64_t sum = 0;
  if (__builtin_add_overflow(a.minor, b.minor, &sum)) return OverflowError("a sum of " + a.currency + " amounts");
  return Money{sum, a.currency};
}

std::string FormatMajor(int64_t minor, const Currency& currency) {
  // Digits of the magnitude, written from the right; the magnitude of INT64_MIN does not fit in an int64, so it
  // is never turned back into one (that printed "--9223372036854775808" for JPY).
  bool negative = minor < 0;
  unsigned __int128 magnitude = negative ? -static_cast<__int128>(minor) : minor;
  std::string digits;
  for (int i = 0; i <= currency.exponent || magnitude > 0; ++i) {
    if (i == currency.exponent && i > 0) digits += '.';
    digits += static_cast<char>('0' + static_cast<int>(magnitude % 10));
    magnitude /= 10;
  }
  if (negative) digits += '-';
  return std::string(digits.rbegin(), digits.rend());
}

Result<int64_t> ChargeMinor(const UnitPrice& price, int64_t quantity, const Currency& currency) {
  if (quantity < 0) return InvalidArgument("quantity must not be negative");
  if (price.per_units < 1) return InvalidArgument("a price must be per at least one unit");
  // charge_minor = quantity * units * 10^exponent / (10^scale * per_units)
  __int128 numerator = 0;
  if (__builtin_mul_overflow(static_cast<__int128>(quantity), static_cast<__int128>(price.amount.units()),
                             &numerator) ||
      __builtin_mul_overflow(numerator, Pow10(currency.exponent), &numerator)) {
    return OverflowError("a charge");
  }
  __int128 denominator = Pow10(price.amount.scale()) * price.per_units;
  __int128 charge = DivideRoundHalfEven(numerator, denominator * currency.step) * currency.step;
  if (charge > INT64_MAX || charge < INT64_MIN) return OverflowError("a charge");
  return static_cast<int64_t>(charge);
}

std::string PerUnitText(const UnitPrice& price) {
  // amount / per_units exactly: per_units is a power of ten in every catalog
  // price we ship; other divisors print as "amount/per_units".
  int64_t per = price.per_units;
  int extra = 0;
  while (per > 1 && per % 10 == 0) {
    per /= 10;
    ++extra;
  }
  if (per == 1 && price.amount.scale() + extra <= 18) {
    return Decimal(price.amount.units(), price.amount.scale() + extra).ToString();
  }
  return price.amount.ToString() + "/" + std::to_string(price.per_units);
}

}  // namespace meterline::money
