// Backtests of the forecast model (docs/forecasting.md): how far the
// end-of-period forecast made after 5, 10 and 20 days is from what the period
// came to, as a mean absolute percentage error, on a generated data set with
// known weekly seasonality and on the periods stored in a database.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/period.hpp"
#include "core/result.hpp"
#include "forecast/forecast_model.hpp"
#include "metering/usage_store.hpp"

namespace meterline::forecast {

struct BacktestRow {
  std::string data_set;
  int periods = 0;
  double mape_day5 = 0, mape_day10 = 0, mape_day20 = 0;  // fractions; NaN when no period qualifies
};

// `count` 30-day periods with 8 weeks of history each: a level per period
// (100 to 100,000 a day), a weekday pattern (weekends at 30-70 %), a trend of
// -1 to +2 % a day, 10 % noise and now and then a 5-20x spike day. Fixed by `seed`.
std::vector<DailySeries> SyntheticPeriods(int count, uint32_t seed);

// The customer's `periods` (complete billing periods) of each of `metrics`
// (additive ones), as full daily series (UTC days) with the 8 weeks before
// each as history. Periods shorter than 28 days, or without usage, are left out.
Result<std::vector<DailySeries>> StoredPeriods(metering::UsageStore& store, const std::string& customer_id,
                                               const std::vector<Period>& periods,
                                               const std::vector<std::string>& metrics);

BacktestRow Backtest(const std::string& data_set, const std::vector<DailySeries>& periods);

}  // namespace meterline::forecast
