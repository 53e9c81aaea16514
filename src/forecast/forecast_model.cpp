#include "forecast/forecast_model.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numbers>
#include <numeric>
#include <utility>

namespace meterline::forecast {
namespace {

constexpr double kBandZ = 1.2816;  // the normal quantile of a two-sided 80 % band
constexpr int kSeasonMinDays = 14;
constexpr int kTrendMinDays = 7;
constexpr int kWindowDays = 28;
constexpr double kMinFactor = 0.2;
constexpr double kMaxFactor = 5;
constexpr double kMadToSigma = 1.4826;
constexpr double kSigmaFloor = 0.02;  // of the level
// Variance of a median, and of a Theil-Sen slope, relative to a mean's and a
// least-squares slope's under normal noise (efficiencies 2/pi and 0.91).
constexpr double kMedianVariance = std::numbers::pi / 2;
constexpr double kTheilSenVariance = 1.1;
// The MAD's efficiency: its residuals count as this many degrees of freedom each.
constexpr double kMadEfficiency = 0.37;
constexpr int kEarlyDays = 3;
constexpr double kEarlyBand = 0.5;  // of the rest's projection

// The two middle values of `v` (the same one for an odd count). REQUIRES: !v.empty().
std::pair<double, double> MiddleValues(std::vector<double> v) {
  const size_t n = v.size();
  std::sort(v.begin(), v.end());
  return {v[(n - 1) / 2], v[n / 2]};
}

double Median(std::vector<double> v) {
  auto [lo, hi] = MiddleValues(std::move(v));
  return (lo + hi) / 2;
}

// The days before the period and those of it, as one series.
struct Series {
  std::vector<double> y;
  int history = 0;
  int first_weekday = 0;

  int size() const { return static_cast<int>(y.size()); }
  int Weekday(int i) const { return ((first_weekday + i - history) % 7 + 7) % 7; }
};

struct Seasonality {
  bool fitted = false;
  std::array<double, 7> factor{1, 1, 1, 1, 1, 1, 1};
  std::array<double, 7> error{};  // each factor's relative standard error
};

// Each day's ratio to the median of the 7-day window around it, per weekday.
std::array<std::vector<double>, 7> WeekdayRatios(const Series& s) {
  std::array<std::vector<double>, 7> ratios;
  for (int i = 0; i < s.size(); ++i) {
    const int start = std::clamp(i - 3, 0, s.size() - 7);
    const double around = Median({s.y.begin() + start, s.y.begin() + start + 7});
    if (around > 0) ratios[s.Weekday(i)].push_back(s.y[i] / around);
  }
  return ratios;
}

// The weekday factors: the median of each weekday's ratios (of an even count,
// the middle value nearest 1), normalised to mean 1 and clamped.
Seasonality FitSeasonality(const Series& s) {
  Seasonality season;
  if (s.size() < kSeasonMinDays) return season;
  const auto ratios = WeekdayRatios(s);
  std::vector<double> spread;  // relative, around each weekday's factor
  for (int w = 0; w < 7; ++w) {
    if (ratios[w].empty()) continue;
    auto [lo, hi] = MiddleValues(ratios[w]);
    season.factor[w] = std::clamp(1.0, lo, hi);
    for (double r : ratios[w]) spread.push_back(std::abs(r / season.factor[w] - 1));
  }
  if (spread.empty()) return season;
  const double noise = std::max(kSigmaFloor, kMadToSigma * Median(spread));
  for (int w = 0; w < 7; ++w) {
    if (!ratios[w].empty()) season.error[w] = noise * std::sqrt(kMedianVariance / ratios[w].size());
  }
  const double mean = std::accumulate(season.factor.begin(), season.factor.end(), 0.0) / 7;
  for (double& f : season.factor) f = std::clamp(f / mean, kMinFactor, kMaxFactor);
  season.fitted = true;
  return season;
}

// A robust line through the deseasonalised window: value(x) = center + slope * (x - xbar).
struct Line {
  int m = 0;  // days in the window
  bool trend = false;
  double xbar = 0, sxx = 0;
  double center = 0, slope = 0;
  double level = 0;  // the window's median, for the noise floor
  double sigma = 0;  // the day noise scale
  double z = kBandZ;

  double At(double x) const { return center + slope * (x - xbar); }
};

// Student's t quantile for kBandZ's normal one with `df` degrees of freedom
// (Cornish-Fisher, within 2 % for df >= 2): the band of a scale estimated from
// few residuals is wider.
double BandZ(double df) {
  df = std::max(df, 1.0);
  constexpr double z = kBandZ;
  return z + (z * z * z + z) / (4 * df) + (5 * std::pow(z, 5) + 16 * z * z * z + 3 * z) / (96 * df * df);
}

double TheilSenSlope(const std::vector<double>& d) {
  std::vector<double> slopes;
  slopes.reserve(d.size() * (d.size() - 1) / 2);
  for (size_t i = 0; i < d.size(); ++i) {
    for (size_t j = i + 1; j < d.size(); ++j) slopes.push_back((d[j] - d[i]) / static_cast<double>(j - i));
  }
  return Median(std::move(slopes));
}

// The residuals' center and scale: 0 (the line's level is their median) and
// 1.4826 x MAD. When more than half of them tie (sparse or constant counts)
// the MAD is 0 and says nothing: then the mean and standard deviation of the
// residuals clipped to +-3 max(1, sqrt(level)), the noise of counts.
std::pair<double, double> ResidualSpread(const std::vector<double>& residuals, double level) {
  std::vector<double> deviations;
  deviations.reserve(residuals.size());
  for (double r : residuals) deviations.push_back(std::abs(r));
  const double mad = Median(std::move(deviations));
  if (mad > 0) return {0, kMadToSigma * mad};
  const double fence = 3 * std::max(1.0, std::sqrt(level));
  const double m = static_cast<double>(residuals.size());
  double sum = 0, squares = 0;
  for (double r : residuals) {
    const double clipped = std::clamp(r, -fence, fence);
    sum += clipped;
    squares += clipped * clipped;
  }
  const double mean = sum / m;
  return {mean, std::sqrt(std::max(0.0, squares / m - mean * mean))};
}

Line FitLine(const std::vector<double>& d, double season_params) {
  Line line;
  line.m = static_cast<int>(d.size());
  line.trend = line.m >= kTrendMinDays;
  line.xbar = (line.m - 1) / 2.0;
  line.sxx = line.m * (static_cast<double>(line.m) * line.m - 1) / 12;
  line.level = std::max(0.0, Median(d));
  if (line.trend) line.slope = TheilSenSlope(d);
  std::vector<double> detrended;
  detrended.reserve(d.size());
  for (int x = 0; x < line.m; ++x) detrended.push_back(d[x] - line.slope * (x - line.xbar));
  line.center = Median(detrended);
  std::vector<double> residuals;
  residuals.reserve(detrended.size());
  for (double v : detrended) residuals.push_back(v - line.center);
  const auto [shift, scale] = ResidualSpread(residuals, line.level);
  line.center += shift;
  // Corrected for the parameters fitted from the same days, floored.
  const double params = (line.trend ? 2 : 1) + season_params;
  line.sigma = line.m > params ? scale * std::sqrt(line.m / (line.m - params)) : scale;
  line.sigma = std::max(line.sigma, kSigmaFloor * line.level);
  line.z = BandZ(kMadEfficiency * (line.m - params));
  return line;
}

// The model fitted to a series: the line is in window coordinates (x = 0 is
// the window's first day).
struct Model {
  Seasonality season;
  Line line;
  int window_start = 0;
  bool early = false;  // no history, few days: the band is at least kEarlyBand
};

Model Fit(const Series& s, int observed) {
  Model model;
  model.season = FitSeasonality(s);
  model.window_start = std::max(0, s.size() - kWindowDays);
  std::vector<double> d;
  for (int i = model.window_start; i < s.size(); ++i) d.push_back(s.y[i] / model.season.factor[s.Weekday(i)]);
  // The 6 free factors were fitted on all days; the window's share of them.
  model.line = FitLine(d, model.season.fitted ? 6.0 * d.size() / s.size() : 0);
  model.early = s.history == 0 && observed < kEarlyDays;
  return model;
}

// Sums over the remaining days of what the band of their total needs.
struct RestSums {
  double expected = 0;
  double noise = 0;    // sum of factor^2
  double factors = 0;  // sum of factor
  double lever = 0;    // sum of factor * (x - xbar)
  std::array<double, 7> by_weekday{};

  double Variance(const Model& model) const {
    const Line& line = model.line;
    double v = noise + factors * factors * kMedianVariance / line.m;
    if (line.trend) v += lever * lever * kTheilSenVariance / line.sxx;
    v *= line.sigma * line.sigma;
    for (int w = 0; w < 7; ++w) v += std::pow(by_weekday[w] * model.season.error[w], 2);
    return v;
  }
};

// Fills the days after the observed ones; returns what the total's band needs.
RestSums ProjectRest(const Series& s, const Model& model, int days, Forecast& out) {
  const Line& line = model.line;
  RestSums sums;
  for (int t = static_cast<int>(out.daily_expected.size()); t < days; ++t) {
    const int w = s.Weekday(s.history + t);
    const double f = model.season.factor[w];
    const double x = s.history + t - model.window_start;
    const double dx = x - line.xbar;
    const double e = std::max(0.0, f * line.At(x));
    double var = line.sigma * line.sigma * f * f * (1 + kMedianVariance / line.m);
    if (line.trend) var += std::pow(line.sigma * f * dx, 2) * kTheilSenVariance / line.sxx;
    var += std::pow(e * model.season.error[w], 2);
    double half = line.z * std::sqrt(var);
    if (model.early) half = std::max(half, kEarlyBand * e);
    out.daily_expected.push_back(e);
    out.daily_lower.push_back(std::max(0.0, e - half));
    out.daily_upper.push_back(e + half);
    sums.expected += e;
    sums.noise += f * f;
    sums.factors += f;
    sums.lever += f * dx;
    sums.by_weekday[w] += e;
  }
  return sums;
}

std::optional<int> CrossingDay(const std::vector<double>& daily, int64_t limit) {
  double cumulative = 0;
  for (size_t t = 0; t < daily.size(); ++t) {
    cumulative += daily[t];
    if (cumulative >= static_cast<double>(limit)) return static_cast<int>(t);
  }
  return std::nullopt;
}

}  // namespace

Forecast Project(const DailySeries& series, std::optional<int64_t> limit) {
  Series s{
      {series.history.begin(), series.history.end()}, static_cast<int>(series.history.size()), series.first_weekday};
  s.y.insert(s.y.end(), series.period.begin(), series.period.end());
  const int observed = static_cast<int>(series.period.size());
  const int days = std::max(series.period_days, observed);

  Forecast out;
  out.basis_days = s.size();
  double observed_sum = 0;
  for (int64_t v : series.period) {
    observed_sum += static_cast<double>(v);
    out.daily_expected.push_back(static_cast<double>(v));
  }
  out.daily_lower = out.daily_upper = out.daily_expected;
  if (s.size() == 0) {  // nothing known: no forecast
    out.daily_expected.assign(days, 0);
    out.daily_lower = out.daily_upper = out.daily_expected;
  } else {
    const Model model = Fit(s, observed);
    const RestSums rest = ProjectRest(s, model, days, out);
    double half = model.line.z * std::sqrt(rest.Variance(model));
    if (model.early) half = std::max(half, kEarlyBand * rest.expected);
    out.expected = observed_sum + rest.expected;
    out.lower = observed_sum + std::max(0.0, rest.expected - half);
    out.upper = out.expected + half;
  }
  if (limit) out.crossing_day = CrossingDay(out.daily_expected, *limit);
  return out;
}

double BacktestMape(const std::vector<DailySeries>& full_periods, int day) {
  double sum = 0;
  int counted = 0;
  for (const DailySeries& full : full_periods) {
    double actual = 0;
    for (int64_t v : full.period) actual += static_cast<double>(v);
    if (actual == 0) continue;
    DailySeries partial = full;
    partial.period_days = static_cast<int>(full.period.size());
    partial.period.resize(std::min<size_t>(std::max(day, 0), full.period.size()));
    sum += std::abs(Project(partial).expected - actual) / std::abs(actual);
    ++counted;
  }
  return counted == 0 ? std::numeric_limits<double>::quiet_NaN() : sum / counted;
}

}  // namespace meterline::forecast
