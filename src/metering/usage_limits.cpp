#include "metering/usage_limits.hpp"

#include "core/checked_math.hpp"

namespace meterline::metering {

RollupFit FitIntoRollup(int64_t stored, const std::vector<int64_t>& values) {
  RollupFit fit;
  fit.total = stored;
  for (size_t i = 0; i < values.size(); ++i) {
    // total + value <= limit, written so that neither side can overflow.
    bool fits = values[i] >= 0 && (values[i] == 0 || (fit.total <= kMaxHourlyUsage - values[i]));
    if (!fits) {
      fit.refused.push_back(i);
      continue;
    }
    fit.total += values[i];
    fit.taken_sum += values[i];
    ++fit.taken;
  }
  return fit;
}

std::string HourlyLimitReason(std::string_view metric, TimePoint hour_start) {
  return "usage of " + std::string(metric) + " in the hour from " + FormatIso8601(hour_start) + " would exceed " +
         std::to_string(kMaxHourlyUsage) + ", the most one hour may hold";
}

Result<int64_t> JoinSplitSum(int64_t high, int64_t low, const std::string& what) {
  auto joined = TryNarrow(static_cast<__int128>(high) * kSplitSumBase + low);
  if (!joined) return OverflowError(what);
  return *joined;
}

}  // namespace meterline::metering
