// billingd forecast show | backtest: the usage forecast (docs/forecasting.md).
#include <cmath>
#include <cstdio>
#include <iostream>

#include "app/cli/cli.hpp"
#include "app/config.hpp"
#include "app/wiring.hpp"
#include "forecast/backtest.hpp"
#include "forecast/usage_forecast.hpp"
#include "money/money.hpp"

namespace meterline::app {

namespace {

constexpr const char* kUsage = R"(Usage: billingd forecast show --customer cus_…
       billingd forecast backtest [--synthetic N] [--seed S]

show      Projects the customer's current period: per metric the usage at its end
          with the 80 % band and the day the limit is projected to be crossed,
          and the invoice those usages make (before tax).
backtest  The mean absolute percentage error of the end-of-period forecast made
          after 5, 10 and 20 days: on N generated periods with known weekly
          seasonality (default 200, seed 20261130) and on every complete billing
          period stored in the database (each customer's additive metrics).
)";

int Fail(const Error& error, int code = 1) {
  PrintError(error.message);
  return code;
}

std::string Percent(double fraction) {
  if (std::isnan(fraction)) return "      -";
  char text[32];
  std::snprintf(text, sizeof text, "%6.2f%%", fraction * 100);
  return text;
}

void PrintRow(const forecast::BacktestRow& row) {
  std::printf("%-24s %8d %9s %9s %9s\n", row.data_set.c_str(), row.periods, Percent(row.mape_day5).c_str(),
              Percent(row.mape_day10).c_str(), Percent(row.mape_day20).c_str());
}

// Every complete billing period of every subscription, per customer.
Result<std::vector<forecast::DailySeries>> DatabasePeriods(App& app, TimePoint now) {
  std::vector<std::string> metrics;
  for (const auto& m : app.plans->catalog().metrics()) {
    if (m.aggregation == catalog::Aggregation::kSum || m.aggregation == catalog::Aggregation::kCount) {
      metrics.push_back(m.id);
    }
  }
  MTL_ASSIGN_OR_RETURN(auto rows, app.db->Execute("SELECT id FROM subscriptions ORDER BY id"));
  std::vector<forecast::DailySeries> out;
  for (const auto& row : rows.rows) {
    MTL_ASSIGN_OR_RETURN(auto sub, app.subscriptions->Get(row.Text(0)));
    std::vector<Period> periods;
    for (Period p = sub.PeriodAt(sub.billing_anchor); p.end <= now && periods.size() < 120; p = sub.PeriodAt(p.end)) {
      periods.push_back(p);
    }
    MTL_ASSIGN_OR_RETURN(auto series, forecast::StoredPeriods(*app.usage_store, sub.customer_id, periods, metrics));
    out.insert(out.end(), series.begin(), series.end());
  }
  return out;
}

}  // namespace

int RunForecast(const std::vector<std::string>& args) {
  if (args.empty() || WantsHelp(args)) {
    (args.empty() ? std::cerr : std::cout) << kUsage;
    return args.empty() ? 2 : 0;
  }
  const std::string& command = args.front();
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (command == "show") {
    auto flags = ParseFlags(rest, {"--customer"});
    if (!flags.ok() || !flags->count("--customer")) {
      return Fail(flags.ok() ? InvalidArgument("--customer is required") : flags.error(), 2);
    }
    return WithApp([&](App& app) {
      SystemClock clock;
      forecast::UsageForecaster forecaster(*app.usage, *app.usage_store, app.plans->catalog(), clock);
      auto f = forecaster.ForCustomer((*flags)["--customer"]);
      if (!f.ok()) return Fail(f.error());
      auto currency = money::FindCurrency(f->currency);
      auto format = [&](int64_t minor) {
        return (currency ? money::FormatMajor(minor, *currency) : std::to_string(minor)) + " " + f->currency;
      };
      std::printf("%s on %s, period %s to %s: day %d of %d\n", f->customer_id.c_str(), f->plan_id.c_str(),
                  FormatIso8601(f->period.start).c_str(), FormatIso8601(f->period.end).c_str(), f->days_observed,
                  f->period_days);
      for (const auto& m : f->metrics) {
        std::printf("  %-14s so far %15lld  projected %15lld  (80%%: %lld to %lld)  limit %lld%s%s\n",
                    m.metric->id.c_str(), static_cast<long long>(m.usage_so_far), static_cast<long long>(m.expected),
                    static_cast<long long>(m.lower), static_cast<long long>(m.upper), static_cast<long long>(m.limit),
                    m.limit_crossed_at ? ", crossed on " : "",
                    m.limit_crossed_at ? FormatIso8601(*m.limit_crossed_at).substr(0, 10).c_str() : "");
      }
      std::printf("  invoice before tax: %s (80%%: %s to %s)\n", format(f->invoice.expected_minor).c_str(),
                  format(f->invoice.lower_minor).c_str(), format(f->invoice.upper_minor).c_str());
      return 0;
    });
  }
  if (command != "backtest") {
    std::cerr << kUsage;
    return 2;
  }
  auto flags = ParseFlags(rest, {"--synthetic", "--seed"});
  if (!flags.ok()) return Fail(flags.error(), 2);
  int64_t count = 200, seed = 20261130;
  if (flags->count("--synthetic") && (!ParseInt((*flags)["--synthetic"], count) || count < 1 || count > 100000)) {
    return Fail(InvalidArgument("--synthetic must be between 1 and 100000"), 2);
  }
  if (flags->count("--seed") && (!ParseInt((*flags)["--seed"], seed) || seed < 0 || seed > UINT32_MAX)) {
    return Fail(InvalidArgument("--seed must be a non-negative 32-bit integer"), 2);
  }
  return WithApp([&](App& app) {
    std::printf("%-24s %8s %9s %9s %9s\n", "data set", "periods", "day 5", "day 10", "day 20");
    PrintRow(forecast::Backtest("synthetic (seed " + std::to_string(seed) + ")",
                                forecast::SyntheticPeriods(static_cast<int>(count), static_cast<uint32_t>(seed))));
    auto stored = DatabasePeriods(app, SystemClock().Now());
    if (!stored.ok()) return Fail(stored.error());
    PrintRow(forecast::Backtest("database", *stored));
    return 0;
  });
}

}  // namespace meterline::app
