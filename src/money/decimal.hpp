// Decimal: an exact, non-negative-or-negative decimal number with up to 18
// fraction digits, stored as an integer and a scale (value = units / 10^scale).
// Used for prices finer than a cent ("0.0005" dollars per impression) and tax
// rates ("0.19"). Parsed from and printed to strings; never a double.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace meterline::money {

class Decimal {
 public:
  Decimal() = default;
  // REQUIRES: 0 <= scale <= 18.
  Decimal(int64_t units, int scale) : units_(units), scale_(scale) {}

  // Parses "12", "0.50", "-3.125", "0.000000001". Refuses exponents, "+",
  // leading/trailing spaces, more than 18 fraction digits and values that do
  // not fit in 64 bits.
  static std::optional<Decimal> Parse(std::string_view text);

  int64_t units() const { return units_; }
  int scale() const { return scale_; }
  bool IsNegative() const { return units_ < 0; }
  bool IsZero() const { return units_ == 0; }

  // The shortest exact text: "0.5" for 50/100, "12" for 1200/100.
  std::string ToString() const;

  // Exact comparison across scales.
  friend bool operator==(const Decimal& a, const Decimal& b);
  friend bool operator<(const Decimal& a, const Decimal& b);

 private:
  int64_t units_ = 0;
  int scale_ = 0;
};

// 10^exponent as a 128-bit integer. REQUIRES: 0 <= exponent <= 38.
__int128 Pow10(int exponent);

// numerator / denominator rounded half to even (banker's rounding): the one
// rounding rule for money in Meterline (docs/money.md).
// REQUIRES: denominator > 0.
__int128 DivideRoundHalfEven(__int128 numerator, __int128 denominator);

}  // namespace meterline::money
