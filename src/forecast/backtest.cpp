#include "forecast/backtest.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

namespace meterline::forecast {

namespace {

constexpr auto kDay = std::chrono::hours(24);
constexpr int kHistoryDays = 56;

int Weekday(TimePoint day) {
  std::chrono::weekday wd{std::chrono::floor<std::chrono::days>(day)};
  return static_cast<int>((wd.c_encoding() + 6) % 7);
}

}  // namespace

std::vector<DailySeries> SyntheticPeriods(int count, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::normal_distribution<double> noise(0.0, 0.10);
  std::vector<DailySeries> out;
  for (int p = 0; p < count; ++p) {
    double level = 100.0 * std::pow(1000.0, unit(rng));  // 100 to 100,000 a day
    double weekend = 0.3 + 0.4 * unit(rng);
    double trend = -0.01 + 0.03 * unit(rng);  // per day
    DailySeries s;
    s.first_weekday = static_cast<int>(rng() % 7);
    s.period_days = 30;
    auto day_value = [&](int t) {  // t: days from the period's start (negative: history)
      int weekday = ((s.first_weekday + t) % 7 + 7) % 7;
      double v = level * std::max(0.05, 1.0 + trend * t) * (weekday >= 5 ? weekend : 1.0) * (1.0 + noise(rng));
      if (unit(rng) < 0.02) v *= 5.0 + 15.0 * unit(rng);  // a spike day
      return static_cast<int64_t>(std::max(0.0, std::round(v)));
    };
    for (int t = -kHistoryDays; t < 0; ++t) s.history.push_back(day_value(t));
    for (int t = 0; t < s.period_days; ++t) s.period.push_back(day_value(t));
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::vector<DailySeries>> StoredPeriods(metering::UsageStore& store, const std::string& customer_id,
                                               const std::vector<Period>& periods,
                                               const std::vector<std::string>& metrics) {
  std::vector<DailySeries> out;
  for (const Period& period : periods) {
    TimePoint first = std::chrono::floor<std::chrono::days>(period.start);
    TimePoint end = std::chrono::floor<std::chrono::days>(period.end - std::chrono::milliseconds(1)) + kDay;
    int days = static_cast<int>((end - first) / kDay);
    if (days < 28) continue;
    MTL_ASSIGN_OR_RETURN(auto buckets, store.Buckets(customer_id, first - kHistoryDays * kDay, end, kDay));
    std::map<std::string, std::map<int64_t, int64_t>> by_metric;
    for (const auto& b : buckets)
      by_metric[b.metric][ToUnixMillis(std::chrono::floor<std::chrono::days>(b.start))] += b.total;
    for (const std::string& metric : metrics) {
      const auto& totals = by_metric[metric];
      auto at = [&](TimePoint day) {
        auto it = totals.find(ToUnixMillis(day));
        return it == totals.end() ? int64_t{0} : it->second;
      };
      DailySeries s;
      s.first_weekday = Weekday(first);
      s.period_days = days;
      bool started = false;
      for (int i = kHistoryDays; i >= 1; --i) {
        int64_t v = at(first - i * kDay);
        started = started || v > 0;
        if (started) s.history.push_back(v);
      }
      int64_t total = 0;
      for (int d = 0; d < days; ++d) {
        s.period.push_back(at(first + d * kDay));
        total += s.period.back();
      }
      if (total > 0) out.push_back(std::move(s));
    }
  }
  return out;
}

BacktestRow Backtest(const std::string& data_set, const std::vector<DailySeries>& periods) {
  return {data_set, static_cast<int>(periods.size()), BacktestMape(periods, 5), BacktestMape(periods, 10),
          BacktestMape(periods, 20)};
}

}  // namespace meterline::forecast
