#include "forecast/forecast_model.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <numeric>
#include <random>

namespace meterline::forecast {
namespace {

using DayFn = std::function<double(int)>;  // usage on day t (t = 0: period start; history t < 0)

std::vector<int64_t> Days(int from, int to, const DayFn& usage) {
  std::vector<int64_t> days;
  for (int t = from; t < to; ++t) days.push_back(std::llround(usage(t)));
  return days;
}

double Sum(const std::vector<int64_t>& days) { return std::accumulate(days.begin(), days.end(), 0.0); }

// `history` days before the period and its first `observed` days, of a 30-day period.
DailySeries Series(const DayFn& usage, int history, int observed, int first_weekday = 0) {
  return {Days(-history, 0, usage), Days(0, observed, usage), first_weekday, 30};
}

// Weekdays 1000, weekends 300, for a period that starts on `first_weekday`.
DayFn Weekly(int first_weekday, double level = 1000) {
  return [=](int t) { return ((first_weekday + t) % 7 + 7) % 7 < 5 ? level : level * 0.3; };
}

const DayFn kFlat = [](int) { return 1000.0; };

TEST(ForecastModel, AFlatSeriesProjectsItsLevelWithANarrowBand) {
  Forecast f = Project(Series(kFlat, 28, 10));
  EXPECT_NEAR(f.expected, 30'000, 300);
  EXPECT_GT(f.upper - f.lower, 0);
  EXPECT_LT(f.upper - f.lower, 0.05 * 30'000);
  ASSERT_EQ(f.daily_expected.size(), 30u);
  EXPECT_EQ(f.daily_expected[9], 1000);
  EXPECT_EQ(f.daily_lower[9], 1000);  // an observed day is certain
  EXPECT_LT(f.daily_lower[10], 1000);
  EXPECT_GT(f.daily_upper[10], 1000);
  EXPECT_EQ(f.basis_days, 38);
  // Without history the trend rests on 10 days only: the band is wider, still centred.
  Forecast alone = Project(Series(kFlat, 0, 10));
  EXPECT_NEAR(alone.expected, 30'000, 300);
  EXPECT_GT(alone.upper - alone.lower, f.upper - f.lower);
}

TEST(ForecastModel, ALinearTrendIsExtrapolated) {
  const DayFn line = [](int t) { return 100.0 + 10 * t; };
  const double truth = Sum(Days(0, 30, line));  // 7350
  EXPECT_NEAR(Project(Series(line, 0, 10)).expected, truth, 0.03 * truth);
  // With weeks of history the trend is not taken for a weekday pattern.
  const DayFn longer = [](int t) { return 400.0 + 10 * t; };
  const double longer_truth = Sum(Days(0, 30, longer));
  Forecast f = Project(Series(longer, 28, 10));
  EXPECT_NEAR(f.expected, longer_truth, 0.03 * longer_truth);
  for (int t = 10; t < 30; ++t) EXPECT_NEAR(f.daily_expected[t], longer(t), 0.01 * longer(t)) << t;
}

TEST(ForecastModel, AWeeklyPatternIsLearnedFromHistory) {
  for (int first_weekday : {0, 2, 5}) {
    SCOPED_TRACE(first_weekday);
    const DayFn weekly = Weekly(first_weekday);
    const double truth = Sum(Days(0, 30, weekly));
    Forecast f = Project(Series(weekly, 28, 10, first_weekday));
    EXPECT_NEAR(f.expected, truth, 0.02 * truth);
    EXPECT_LE(f.lower, truth);
    EXPECT_GE(f.upper, truth);
    // The first Saturday after the observed days, relative to a weekday.
    const int saturday = 10 + ((5 - first_weekday - 10) % 7 + 7) % 7;
    EXPECT_NEAR(f.daily_expected[saturday], 300, 10);
    EXPECT_NEAR(f.daily_expected[saturday + 2], 1000, 10);
    // Five days and no history know no weekly pattern: a wider band.
    Forecast unseasoned = Project(Series(weekly, 0, 5, first_weekday));
    EXPECT_GT(unseasoned.upper - unseasoned.lower, f.upper - f.lower);
  }
}

TEST(ForecastModel, ASpikeCountsOnceAndDoesNotInflateTheRest) {
  const DayFn spiky = [](int t) { return t == 4 ? 20'000.0 : 1000.0; };
  for (int history : {0, 28}) {
    SCOPED_TRACE(history);
    Forecast f = Project(Series(spiky, history, 10));
    const double flat_plus_excess = 30'000 + 19'000;
    EXPECT_NEAR(f.expected, flat_plus_excess, 0.05 * flat_plus_excess);
    // The 20 days still to come: within 5 % of 20 x 1000.
    const double rest = f.expected - Sum(Days(0, 10, spiky));
    EXPECT_NEAR(rest, 20'000, 1000);
    EXPECT_GE(f.lower, Sum(Days(0, 10, spiky)));
  }
  // Two weeks of data: the spike's weekday has two days, and one spike is no pattern.
  Forecast short_series = Project(Series(spiky, 7, 7));
  EXPECT_NEAR(short_series.daily_expected[11], 1000, 50);  // day 4's weekday
}

TEST(ForecastModel, EarlyInAPeriodTheBandIsWide) {
  Forecast f = Project(Series(kFlat, 0, 1));
  const double rest = 29 * 1000;
  EXPECT_NEAR(f.expected, 30'000, 1);
  EXPECT_GE(f.upper - f.expected, 0.5 * rest);
  EXPECT_GE(f.expected - f.lower, 0.5 * rest);
  EXPECT_GE(f.lower, 1000);  // the observed day
  EXPECT_GE(f.daily_upper[5] - f.daily_expected[5], 500);
}

TEST(ForecastModel, NothingKnownIsNoForecast) {
  Forecast f = Project(DailySeries{});
  EXPECT_EQ(f.basis_days, 0);
  EXPECT_EQ(f.expected, 0);
  EXPECT_EQ(f.lower, 0);
  EXPECT_EQ(f.upper, 0);
  EXPECT_EQ(f.daily_expected, std::vector<double>(30, 0.0));
  // History alone is enough for a forecast.
  Forecast from_history = Project(Series(kFlat, 28, 0));
  EXPECT_EQ(from_history.basis_days, 28);
  EXPECT_NEAR(from_history.expected, 30'000, 300);
  EXPECT_GT(from_history.upper, from_history.expected);
}

TEST(ForecastModel, CrossingDayIsTheFirstDayTheCumulativeTotalReachesTheLimit) {
  const DailySeries flat = Series(kFlat, 28, 10);
  // Cumulative after day 14 is 15,000, after day 15 16,000.
  EXPECT_EQ(Project(flat, 15'500).crossing_day, 15);
  EXPECT_EQ(Project(flat, 16'000).crossing_day, 15);
  EXPECT_EQ(Project(flat, 16'001).crossing_day, 16);
  // Already reached by observed days (cumulative 5,000 after day 4).
  EXPECT_EQ(Project(flat, 5'000).crossing_day, 4);
  EXPECT_EQ(Project(flat, 0).crossing_day, 0);
  EXPECT_EQ(Project(flat, 1'000'000).crossing_day, std::nullopt);
  EXPECT_EQ(Project(flat).crossing_day, std::nullopt);
}

// Six periods of weekly usage with 10 % noise, each with 8 weeks of history.
std::vector<DailySeries> NoisyPeriods(unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0, 0.1);
  std::vector<DailySeries> periods;
  for (int p = 0; p < 6; ++p) {
    const int first_weekday = p % 7;
    const DayFn weekly = Weekly(first_weekday, 500.0 * (p + 1));
    const DayFn noisy = [&](int t) { return std::max(0.0, weekly(t) * (1 + noise(rng))); };
    DailySeries s{Days(-56, 0, noisy), Days(0, 30, noisy), first_weekday, 30};
    periods.push_back(std::move(s));
  }
  return periods;
}

TEST(ForecastModel, BacktestErrorShrinksAsThePeriodGoesOn) {
  const auto periods = NoisyPeriods(20);
  // About 6.9 %, 2.3 % and 0.9 % with this seed.
  const double day5 = BacktestMape(periods, 5), day20 = BacktestMape(periods, 20);
  EXPECT_GT(day5, day20);
  EXPECT_LT(day20, 0.05);
  EXPECT_GT(day20, 0);  // noise: never exact
  EXPECT_EQ(BacktestMape(periods, 30), 0);
  EXPECT_TRUE(std::isnan(BacktestMape({}, 5)));
}

TEST(ForecastModel, TheBandHoldsTheTruthAboutFourTimesInFive) {
  int inside = 0;
  constexpr int kTrials = 200;
  for (int trial = 0; trial < kTrials; ++trial) {
    std::mt19937 rng(7000 + trial);
    std::normal_distribution<double> noise(0, 100);
    const DayFn noisy = [&](int) { return 1000 + noise(rng); };
    const auto history = Days(-28, 0, noisy);
    const auto period = Days(0, 30, noisy);
    DailySeries s{history, {period.begin(), period.begin() + 10}, 0, 30};
    Forecast f = Project(s);
    const double truth = Sum(period);
    inside += f.lower <= truth && truth <= f.upper;
    ASSERT_GE(f.lower, Sum(s.period));
    ASSERT_LE(f.lower, f.expected);
    ASSERT_GE(f.upper, f.expected);
    for (size_t t = 0; t < f.daily_expected.size(); ++t) {
      ASSERT_GE(f.daily_lower[t], 0);
      ASSERT_LE(f.daily_lower[t], f.daily_expected[t]);
      ASSERT_GE(f.daily_upper[t], f.daily_expected[t]);
    }
  }
  EXPECT_GE(inside, 0.70 * kTrials);
  EXPECT_LE(inside, 0.95 * kTrials);  // and not by being uselessly wide
}

}  // namespace
}  // namespace meterline::forecast
