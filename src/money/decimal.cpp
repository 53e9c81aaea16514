#include "money/decimal.hpp"

#include <cassert>

namespace meterline::money {

__int128 Pow10(int exponent) {
  assert(exponent >= 0 && exponent <= 38);
  __int128 value = 1;
  for (int i = 0; i < exponent; ++i) value *= 10;
  return value;
}

__int128 DivideRoundHalfEven(__int128 numerator, __int128 denominator) {
  assert(denominator > 0);
  __int128 quotient = numerator / denominator;  // truncates toward zero
  __int128 remainder = numerator % denominator;
  if (remainder == 0) return quotient;
  // Compare |2 * remainder| with the denominator without overflowing.
  __int128 abs_remainder = remainder < 0 ? -remainder : remainder;
  __int128 rest = denominator - abs_remainder;
  bool away;
  if (abs_remainder > rest) {
    away = true;  // more than half
  } else if (abs_remainder < rest) {
    away = false;  // less than half
  } else {
    away = (quotient % 2) != 0;  // exactly half: to the even neighbour
  }
  if (away) quotient += numerator < 0 ? -1 : 1;
  return quotient;
}

std::optional<Decimal> Decimal::Parse(std::string_view text) {
  if (text.empty()) return std::nullopt;
  bool negative = false;
  size_t pos = 0;
  if (text[0] == '-') {
    negative = true;
    pos = 1;
  }
  __int128 units = 0;
  int scale = 0;
  bool seen_digit = false, seen_point = false;
  for (; pos < text.size(); ++pos) {
    char c = text[pos];
    if (c == '.') {
      if (seen_point || !seen_digit) return std::nullopt;
      seen_point = true;
      continue;
    }
    if (c < '0' || c > '9') return std::nullopt;
    seen_digit = true;
    units = units * 10 + (c - '0');
    if (seen_point && ++scale > 18) return std::nullopt;
    // A negative number may reach -2^63, so that every Decimal (and FormatMajor's INT64_MIN) reads back.
    if (units > static_cast<__int128>(INT64_MAX) + (negative ? 1 : 0)) return std::nullopt;
  }
  if (!seen_digit || text.back() == '.') return std::nullopt;
  return Decimal(static_cast<int64_t>(negative ? -units : units), scale);
}

std::string Decimal::ToString() const {
  __int128 units = units_;
  int scale = scale_;
  while (scale > 0 && units % 10 == 0) {
    units /= 10;
    --scale;
  }
  bool negative = units < 0;
  unsigned __int128 magnitude =
      negative ? static_cast<unsigned __int128>(-units) : static_cast<unsigned __int128>(units);
  std::string digits;
  do {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(magnitude % 10)));
    magnitude /= 10;
  } while (magnitude > 0);
  if (scale > 0) {
    if (static_cast<int>(digits.size()) <= scale) digits.insert(0, scale - digits.size() + 1, '0');
    digits.insert(digits.size() - scale, ".");
  }
  return negative ? "-" + digits : digits;
}

bool operator==(const Decimal& a, const Decimal& b) {
  int scale = std::max(a.scale_, b.scale_);
  return a.units_ * Pow10(scale - a.scale_) == b.units_ * Pow10(scale - b.scale_);
}

bool operator<(const Decimal& a, const Decimal& b) {
  int scale = std::max(a.scale_, b.scale_);
  return a.units_ * Pow10(scale - a.scale_) < b.units_ * Pow10(scale - b.scale_);
}

}  // namespace meterline::money
