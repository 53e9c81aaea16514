#include "forecast/usage_forecast.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include "forecast/forecast_model.hpp"
#include "invoicing/invoice_builder.hpp"

namespace meterline::forecast {

namespace {

constexpr auto kDay = std::chrono::hours(24);
constexpr int kHistoryDays = 56;

TimePoint DayStart(TimePoint t) { return std::chrono::floor<std::chrono::days>(t); }

// Monday = 0 … Sunday = 6.
int Weekday(TimePoint day) {
  std::chrono::weekday wd{std::chrono::floor<std::chrono::days>(day)};
  return static_cast<int>((wd.c_encoding() + 6) % 7);
}

int64_t Units(double x) { return x <= 0 ? 0 : static_cast<int64_t>(std::llround(std::min(x, 9.0e15))); }

}  // namespace

Result<UsageForecast> UsageForecaster::ForCustomer(const std::string& customer_id) {
  MTL_ASSIGN_OR_RETURN(auto current, usage_.Current(customer_id));
  TimePoint now = clock_.Now();
  UsageForecast out;
  out.customer_id = customer_id;
  out.plan_id = current.plan->id;
  out.currency = current.plan->currency.code;
  out.period = current.period;
  out.as_of = now;
  TimePoint first_day = DayStart(current.period.start);
  TimePoint today = DayStart(now);
  out.period_days =
      static_cast<int>((DayStart(current.period.end - std::chrono::milliseconds(1)) - first_day) / kDay) + 1;
  out.days_observed = std::clamp(static_cast<int>((today - first_day) / kDay), 0, out.period_days);

  // Daily totals from 8 weeks before the period to now (today partial).
  MTL_ASSIGN_OR_RETURN(auto buckets, store_.Buckets(customer_id, first_day - kHistoryDays * kDay, now, kDay));
  std::map<std::string, std::map<int64_t, int64_t>> by_metric;  // metric -> day (ms) -> total
  for (const auto& b : buckets) by_metric[b.metric][ToUnixMillis(DayStart(b.start))] += b.total;

  std::map<std::string, int64_t> expected_usage, lower_usage, upper_usage;
  for (const metering::MetricUsage& m : current.metrics) {
    MetricForecast f;
    f.metric = m.metric;
    f.usage_so_far = m.usage;
    f.limit = m.limit;
    const auto& days = by_metric[m.metric->id];
    auto total_of = [&](TimePoint day) {
      auto it = days.find(ToUnixMillis(day));
      return it == days.end() ? int64_t{0} : it->second;
    };
    bool additive =
        m.metric->aggregation == catalog::Aggregation::kSum || m.metric->aggregation == catalog::Aggregation::kCount;
    if (!additive) {
      // A peak or a latest value: what it is now is the best guess for the period.
      f.model = "current";
      f.expected = f.lower = f.upper = m.usage;
      f.basis_days = out.days_observed;
    } else {
      f.model = "trend_weekly";
      DailySeries series;
      series.first_weekday = Weekday(first_day);
      series.period_days = out.period_days;
      // History: the days before the period the customer had usage data for
      // (leading days without any usage are not history, only a late start).
      bool started = false;
      for (int i = kHistoryDays; i >= 1; --i) {
        int64_t v = total_of(first_day - i * kDay);
        started = started || v > 0;
        if (started) series.history.push_back(v);
      }
      for (int d = 0; d < out.days_observed; ++d) series.period.push_back(total_of(first_day + d * kDay));
      Forecast model = Project(series, m.limit > 0 ? std::optional<int64_t>(m.limit) : std::nullopt);
      // Today so far (the usage stored beyond the complete days) replaces
      // today's projection where it is already more.
      int64_t observed = 0;
      for (int64_t v : series.period) observed += v;
      int64_t today_so_far = std::max<int64_t>(0, m.usage - observed);
      auto today_excess = [&](const std::vector<double>& daily) {
        size_t d = static_cast<size_t>(out.days_observed);
        return d < daily.size() ? std::max(0.0, static_cast<double>(today_so_far) - daily[d]) : 0.0;
      };
      f.expected = std::max(Units(model.expected + today_excess(model.daily_expected)), m.usage);
      f.lower = std::clamp(Units(model.lower + today_excess(model.daily_lower)), m.usage, f.expected);
      f.upper = std::max(Units(model.upper + today_excess(model.daily_upper)), f.expected);
      f.basis_days = model.basis_days;
      if (model.crossing_day) f.limit_crossed_at = first_day + *model.crossing_day * kDay;
      double cumulative_e = 0, cumulative_l = 0, cumulative_u = 0;
      for (int d = 0; d < static_cast<int>(model.daily_expected.size()) && d < out.period_days; ++d) {
        ForecastDay day;
        day.start = first_day + d * kDay;
        if (d < out.days_observed) day.actual = series.period[static_cast<size_t>(d)];
        if (d == out.days_observed && today_so_far > 0) day.actual = today_so_far;
        cumulative_e += model.daily_expected[static_cast<size_t>(d)];
        cumulative_l += model.daily_lower[static_cast<size_t>(d)];
        cumulative_u += model.daily_upper[static_cast<size_t>(d)];
        day.expected = Units(cumulative_e);
        day.lower = Units(cumulative_l);
        day.upper = Units(cumulative_u);
        f.days.push_back(day);
      }
    }
    if (m.limit > 0 && m.usage >= m.limit && !f.limit_crossed_at) f.limit_crossed_at = today;
    f.expected_overage_units = std::max<int64_t>(0, f.expected - m.limit);
    expected_usage[m.metric->id] = f.expected;
    lower_usage[m.metric->id] = f.lower;
    upper_usage[m.metric->id] = f.upper;
    out.metrics.push_back(std::move(f));
  }

  // The invoice those usages make, priced exactly (before tax).
  invoicing::InvoiceTerms terms;
  terms.share = current.share;
  MTL_ASSIGN_OR_RETURN(auto expected,
                       invoicing::BuildInvoice(catalog_, *current.plan, expected_usage, std::nullopt, terms));
  MTL_ASSIGN_OR_RETURN(auto lower, invoicing::BuildInvoice(catalog_, *current.plan, lower_usage, std::nullopt, terms));
  MTL_ASSIGN_OR_RETURN(auto upper, invoicing::BuildInvoice(catalog_, *current.plan, upper_usage, std::nullopt, terms));
  out.invoice.expected_minor = expected.subtotal_minor;
  out.invoice.lower_minor = lower.subtotal_minor;
  out.invoice.upper_minor = upper.subtotal_minor;
  for (const auto& line : expected.lines) {
    if (line.kind == "overage" || line.kind == "usage") out.invoice.expected_overage_minor += line.amount_minor;
  }
  return out;
}

}  // namespace meterline::forecast
