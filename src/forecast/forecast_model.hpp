// Forecast: what one metric's usage in a billing period will come to, from its
// daily totals (issue 20). Pure computation; the caller reads the days.
//
// Floating point on purpose: these are usage estimates, never money; a caller
// that prices a forecast rounds it to whole units first.
//
// The model, on the days of history followed by the observed period days
// (contiguous UTC days):
//  1. Weekday seasonality, when at least 14 days are known: each day's ratio to
//     the median of the 7 days around it (so a trend is not taken for a
//     weekday pattern); per weekday the median of its ratios (of an even count,
//     the middle value nearest 1, so one spike of two days is no pattern);
//     normalised to mean 1, then clamped to [0.2, 5]. Otherwise all 1.
//  2. On the deseasonalised last (up to) 28 days: a Theil-Sen line (slope: the
//     median of pairwise slopes; level: the median of the detrended days), or
//     with fewer than 7 days the median level and no trend. A projected day is
//     line x weekday factor, never below 0. Medians: one 20x spike day moves
//     the projection of the other days by about 1 %.
//  3. The noise scale: 1.4826 x the MAD of the residuals, scaled by
//     sqrt(n / (n - fitted parameters)), at least 2 % of the median level (so
//     a flat series has a band). When more than half the residuals tie (sparse
//     or constant counts) the MAD is 0 and the level and scale are the mean and
//     standard deviation of the residuals clipped to +-3 max(1, sqrt(level)).
//  4. The 80 % band of the remaining days' sum adds up day noise (grows with
//     sqrt(days)) and the errors of the level, of the slope (grows with the
//     horizon) and of the weekday factors; z = 1.2816, widened to Student's t
//     for the few residuals a MAD counts as (so a short series is honest).
//     With no history and fewer than 3 observed days: at least +-50 % of the
//     remaining days' projection.
//  The observed days are certain: observed sum <= lower <= expected <= upper.
//  With neither history nor observed days nothing is known: every value is 0
//  and basis_days is 0 ("no forecast", not "no usage").
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace meterline::forecast {

// One metric's usage per UTC day.
struct DailySeries {
  std::vector<int64_t> history;  // complete days just before the period, oldest first (up to ~8 weeks); may be empty
  std::vector<int64_t> period;   // complete days of the current period so far (day 0 = period start)
  int first_weekday = 0;         // weekday of period day 0: 0 = Monday ... 6 = Sunday
  int period_days = 30;          // the period's length in days (at least period.size() is used)
};

struct Forecast {
  double expected = 0;  // the period's projected total: observed days + the forecast of the rest
  double lower = 0;     // the 80 % interval of that total; lower >= the observed sum
  double upper = 0;
  // Per period day; observed days hold their actuals in all three.
  std::vector<double> daily_expected, daily_lower, daily_upper;
  // The first period day (0-based) at the end of which the cumulative expected
  // total reaches the limit; an observed day when already reached; nullopt when
  // not within the period or no limit was given.
  std::optional<int> crossing_day;
  int basis_days = 0;  // days of data behind the forecast (history + observed); 0: nothing is known
};

Forecast Project(const DailySeries& series, std::optional<int64_t> limit = std::nullopt);

// The mean absolute percentage error, as a fraction (0.05 = 5 %), of the
// period-total forecast made after `day` complete days, over `full_periods`:
// each holds all its period's actual days in `period`, with its history and
// first weekday. Periods whose total is 0 are skipped; NaN when none is left.
double BacktestMape(const std::vector<DailySeries>& full_periods, int day);

}  // namespace meterline::forecast
