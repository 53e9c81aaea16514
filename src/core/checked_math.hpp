// Overflow-checked 64-bit arithmetic for usage and money: a sum that does not
// fit is an error the caller reports, never a wrap (DuckDB's TryAddOperator).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/result.hpp"

namespace meterline {

// nullopt when the exact result does not fit in int64.
inline std::optional<int64_t> TryAdd(int64_t a, int64_t b) {
  int64_t out = 0;
  if (__builtin_add_overflow(a, b, &out)) return std::nullopt;
  return out;
}
inline std::optional<int64_t> TrySub(int64_t a, int64_t b) {
  int64_t out = 0;
  if (__builtin_sub_overflow(a, b, &out)) return std::nullopt;
  return out;
}
inline std::optional<int64_t> TryMul(int64_t a, int64_t b) {
  int64_t out = 0;
  if (__builtin_mul_overflow(a, b, &out)) return std::nullopt;
  return out;
}
// |a|; nullopt for INT64_MIN.
inline std::optional<int64_t> TryAbs(int64_t a) {
  if (a == INT64_MIN) return std::nullopt;
  return a < 0 ? -a : a;
}
inline std::optional<int64_t> TryNarrow(__int128 value) {
  if (value > INT64_MAX || value < INT64_MIN) return std::nullopt;
  return static_cast<int64_t>(value);
}

// The error for an amount or a usage total that does not fit in 64 bits:
// 422 with reason "overflow", naming what overflowed. Not a 500: the input
// (a price, a usage total, Stripe's amounts) is what cannot be represented.
inline Error OverflowError(const std::string& what) {
  return Error(ErrorCode::kUnprocessable, "overflow", what + " does not fit in a 64-bit integer");
}

// sum += value, or OverflowError(what) with `sum` unchanged.
inline Status AddChecked(int64_t& sum, int64_t value, const std::string& what) {
  auto out = TryAdd(sum, value);
  if (!out) return OverflowError(what);
  sum = *out;
  return OkStatus();
}

}  // namespace meterline
