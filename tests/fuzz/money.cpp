// Decimals and money (src/money): parsing, printing, rounding, charges.
//
// Properties:
// - a parsed decimal prints as text that parses back to the same value and prints the same (canonical);
// - parse(print(d)) == d for every 64-bit Decimal with scale 0..18;
// - FormatMajor(minor) parses back to exactly minor / 10^exponent, for every exponent 0..18 and every int64;
// - ==, < are a total order (exactly one of a < b, b < a, a == b);
// - DivideRoundHalfEven is off by at most half the divisor, and exact halves go to the even neighbour;
// - ChargeMinor is that rounding of quantity * price, never decreases when the quantity grows, and Add is the
//   exact sum or an overflow error.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <string>

#include "fuzz/check.hpp"
#include "money/money.hpp"

namespace {

using namespace meterline::money;

Decimal AnyDecimal(FuzzedDataProvider& in) {
  int64_t units = in.ConsumeIntegral<int64_t>();
  return Decimal(units, in.ConsumeIntegralInRange<int>(0, 18));
}

__int128 Abs(__int128 v) { return v < 0 ? -v : v; }

void CheckText(const std::string& text) {
  auto parsed = Decimal::Parse(text);
  if (!parsed) return;
  FUZZ_CHECK(parsed->scale() >= 0 && parsed->scale() <= 18);
  std::string printed = parsed->ToString();
  auto again = Decimal::Parse(printed);
  FUZZ_CHECK(again.has_value() && *again == *parsed && again->ToString() == printed);
}

void CheckRoundTrips(FuzzedDataProvider& in) {
  Decimal d = AnyDecimal(in);
  auto parsed = Decimal::Parse(d.ToString());
  FUZZ_CHECK(parsed.has_value() && *parsed == d);

  int64_t minor = in.ConsumeIntegral<int64_t>();
  int exponent = in.ConsumeIntegralInRange<int>(0, 18);
  std::string text = FormatMajor(minor, Currency{"XTS", exponent});
  auto major = Decimal::Parse(text);
  FUZZ_CHECK(major.has_value() && major->units() == minor && major->scale() == exponent);

  Decimal a = AnyDecimal(in), b = AnyDecimal(in);
  FUZZ_CHECK((a < b) + (b < a) + (a == b) == 1);
}

void CheckRounding(FuzzedDataProvider& in) {
  __int128 numerator = static_cast<__int128>(in.ConsumeIntegral<int64_t>()) * in.ConsumeIntegral<int64_t>();
  __int128 denominator = static_cast<__int128>(in.ConsumeIntegralInRange<int64_t>(1, INT64_MAX)) *
                         in.ConsumeIntegralInRange<int64_t>(1, INT64_MAX);
  __int128 q = DivideRoundHalfEven(numerator, denominator);
  __int128 rest = Abs(numerator - q * denominator);  // q * denominator is within one denominator of numerator
  FUZZ_CHECK(rest <= denominator - rest);
  if (rest == denominator - rest) FUZZ_CHECK(q % 2 == 0);
}

void CheckCharges(FuzzedDataProvider& in) {
  static const Currency kCurrencies[] = {*FindCurrency("USD"), *FindCurrency("JPY")};
  const Currency& currency = kCurrencies[in.ConsumeBool()];
  UnitPrice price{Decimal(in.ConsumeIntegralInRange<int64_t>(0, INT64_MAX), in.ConsumeIntegralInRange<int>(0, 18)),
                  in.ConsumeIntegralInRange<int64_t>(1, INT64_MAX)};
  int64_t q1 = in.ConsumeIntegralInRange<int64_t>(0, INT64_MAX);
  int64_t q2 = in.ConsumeIntegralInRange<int64_t>(q1, INT64_MAX);
  auto c1 = ChargeMinor(price, q1, currency);
  auto c2 = ChargeMinor(price, q2, currency);
  if (c1.ok() && c2.ok()) FUZZ_CHECK(*c1 <= *c2);
  if (c2.ok()) FUZZ_CHECK(c1.ok());  // a smaller quantity never overflows where a larger one did not

  __int128 numerator = 0;
  __int128 denominator = Pow10(price.amount.scale()) * price.per_units;
  bool fits =
      !__builtin_mul_overflow(static_cast<__int128>(q1), static_cast<__int128>(price.amount.units()), &numerator) &&
      !__builtin_mul_overflow(numerator, Pow10(currency.exponent), &numerator);
  if (!fits) {
    FUZZ_CHECK(!c1.ok());
    return;
  }
  __int128 product = 0;
  if (c1.ok() && !__builtin_mul_overflow(static_cast<__int128>(*c1), denominator, &product)) {
    __int128 rest = Abs(numerator - product);
    FUZZ_CHECK(rest <= denominator - rest);
  }
  if (!c1.ok()) FUZZ_CHECK(numerator / denominator >= INT64_MAX);  // refused only when it does not fit

  int64_t x = in.ConsumeIntegral<int64_t>(), y = in.ConsumeIntegral<int64_t>();
  auto sum = Add({x, currency.code}, {y, currency.code});
  __int128 exact = static_cast<__int128>(x) + y;
  FUZZ_CHECK(sum.ok() == (exact >= INT64_MIN && exact <= INT64_MAX));
  if (sum.ok()) FUZZ_CHECK(sum->minor == exact && sum->currency == currency.code);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  switch (in.ConsumeIntegralInRange<int>(0, 3)) {
    case 0: CheckText(in.ConsumeRemainingBytesAsString()); break;
    case 1: CheckRoundTrips(in); break;
    case 2: CheckRounding(in); break;
    default: CheckCharges(in); break;
  }
  return 0;
}
