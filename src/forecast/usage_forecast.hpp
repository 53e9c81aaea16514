// UsageForecaster: what a customer's current billing period will come to
// (docs/forecasting.md): per metric the projected usage at the period's end
// with its 80 % band and the day the limit is projected to be crossed, and the
// invoice those usages would make, priced exactly by the invoice builder.
//
// Days are UTC days; the last 8 weeks before the period are its history. Sum
// and count metrics are projected by the model (forecast_model.hpp); a max or
// last metric is projected at its value so far (peak seats do not add up).
// Today's partial day counts as observed when it is already above today's
// projection. Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/period.hpp"
#include "core/result.hpp"
#include "metering/usage.hpp"

namespace meterline::forecast {

struct ForecastDay {
  TimePoint start;                             // the UTC day
  std::optional<int64_t> actual;               // complete days (and today so far)
  int64_t expected = 0, lower = 0, upper = 0;  // cumulative from the period's start
};

struct MetricForecast {
  const catalog::Metric* metric = nullptr;
  std::string model;  // "trend_weekly" | "current" (max/last metrics)
  int64_t usage_so_far = 0;
  int64_t limit = 0;                           // the plan's included units (0: none)
  int64_t expected = 0, lower = 0, upper = 0;  // at the period's end, whole units
  int64_t expected_overage_units = 0;
  std::optional<TimePoint> limit_crossed_at;  // the UTC day the expected usage reaches the limit
  int basis_days = 0;                         // days of data behind it
  std::vector<ForecastDay> days;              // the period's days, for a chart
};

struct InvoiceProjection {
  int64_t expected_minor = 0, lower_minor = 0, upper_minor = 0;  // before tax
  int64_t expected_overage_minor = 0;                            // the usage lines of the expected invoice
};

struct UsageForecast {
  std::string customer_id;
  std::string plan_id;
  std::string currency;
  Period period;
  TimePoint as_of;
  int days_observed = 0;  // complete days of the period so far
  int period_days = 0;
  std::vector<MetricForecast> metrics;  // in catalog order
  InvoiceProjection invoice;
};

class UsageForecaster {
 public:
  UsageForecaster(metering::UsageService& usage, metering::UsageStore& store, const catalog::Catalog& catalog,
                  const Clock& clock)
      : usage_(usage), store_(store), catalog_(catalog), clock_(clock) {}

  // kNotFound when the customer has no subscription.
  Result<UsageForecast> ForCustomer(const std::string& customer_id);

 private:
  metering::UsageService& usage_;
  metering::UsageStore& store_;
  const catalog::Catalog& catalog_;
  const Clock& clock_;
};

}  // namespace meterline::forecast
