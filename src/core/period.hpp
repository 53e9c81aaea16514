// Period: a half-open UTC interval [start, end). Billing periods last one,
// three or twelve months (a plan's interval), anchored at the subscription's
// billing anchor: the same day of the month and time of day, clamped to the
// month's last day (an anchor on the 31st gives Feb 28/29, Apr 30, ...), as
// Stripe does.
#pragma once

#include <optional>
#include <string>

#include "core/clock.hpp"

namespace meterline {

struct Period {
  TimePoint start;
  TimePoint end;

  bool Contains(TimePoint t) const { return start <= t && t < end; }
  friend bool operator==(const Period&, const Period&) = default;
};

// The monthly period anchored at `anchor` that contains `t` (t may be before
// the anchor: periods extend both ways).
Period MonthlyPeriodContaining(TimePoint anchor, TimePoint t);
// The same for periods of `months` months (1, 3 or 12). REQUIRES: months >= 1.
Period PeriodContaining(TimePoint anchor, int months, TimePoint t);

// The start of the UTC hour containing `t`.
TimePoint HourStart(TimePoint t);

// "2025-01" -> [2025-01-01T00:00Z, 2025-02-01T00:00Z); nullopt when malformed.
std::optional<Period> ParseMonth(const std::string& text);

}  // namespace meterline
