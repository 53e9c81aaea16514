// Usage limits that keep every usage sum exact in 64 bits.
//
// Each (customer, metric, hour) rollup holds at most kMaxHourlyUsage, so any
// sum of up to 366 days of rollups (a billing period, a day, a year of
// history) fits in int64 without a check failing. Ingestion refuses, event
// by event, whatever would push a rollup past it; reads still add with
// checks, for rows written before this limit existed. Pure functions, no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"

namespace meterline::metering {

// floor((2^63 - 1) / (366 * 24)) = 1,050,019,585,252,137 units per hour.
inline constexpr int64_t kMaxHourlyUsage = INT64_MAX / (int64_t{366} * 24);

// The default most one event may carry (INGEST_MAX_EVENT_VALUE): 10^15, far
// above any real event (a petabyte in bytes), below kMaxHourlyUsage.
inline constexpr int64_t kDefaultMaxEventValue = 1'000'000'000'000'000;

// Which new events fit into one rollup that holds `stored` already: in the
// given order, each event that keeps the total within kMaxHourlyUsage is
// taken, each that would not is refused (a smaller one after it may fit).
struct RollupFit {
  int64_t total = 0;            // stored + the taken values
  int64_t taken_sum = 0;        // the taken values alone
  int64_t taken = 0;            // how many were taken
  std::vector<size_t> refused;  // positions in `values`, ascending
};
// A rollup already past the limit (written before it existed) refuses every
// new event but those of value 0.
RollupFit FitIntoRollup(int64_t stored, const std::vector<int64_t>& values);

// The refusal reason for an event that does not fit its hour's rollup.
std::string HourlyLimitReason(std::string_view metric, TimePoint hour_start);

// Reads sum rollups in two halves that cannot overflow (the quotient and the
// remainder by 2^32, see kSplitSumSql) and join them here exactly: the sum,
// or OverflowError naming `what`.
inline constexpr int64_t kSplitSumBase = int64_t{1} << 32;
Result<int64_t> JoinSplitSum(int64_t high, int64_t low, const std::string& what);

}  // namespace meterline::metering
