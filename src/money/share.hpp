// Share: the part of a billing period one stretch of it covers, in seconds.
// A plan change or a cancellation within a period leaves stretches shorter
// than the period; their base fees, minimum commitments and allowances are
// prorated by their share (docs/subscriptions.md). Exact: integer seconds,
// each prorated value rounded half to even once.
#pragma once

#include <cstdint>
#include <string>

#include "core/period.hpp"

namespace meterline::money {

struct Share {
  int64_t part = 1;   // seconds of the stretch
  int64_t whole = 1;  // seconds of its period

  // The share `span` has of `period`. REQUIRES: span lies within period.
  static Share Of(const Period& span, const Period& period);
  bool IsWhole() const { return part == whole; }
  // amount x part / whole, rounded half to even to a multiple of `step` (a
  // currency's smallest amount in minor units; 1 for units). Saturates.
  int64_t Apply(int64_t amount, int64_t step = 1) const;
  // "9 of 30 days", or "213 of 720 hours" when either is not whole days.
  std::string Describe() const;
};

}  // namespace meterline::money
