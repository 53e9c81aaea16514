// Budgets (docs/forecasting.md "Budgets"): a customer's budget for each
// billing period, in its currency. The spend is what the period's invoice
// holds so far (before tax); budget.threshold_crossed is published when it
// reaches 50, 80 and 100 % of the budget, and budget.forecast_exceeded when
// the projected invoice (forecast/usage_forecast.hpp) passes it — each once
// per period (budget_alerts), through the events table like usage alerts.
// Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/period.hpp"
#include "core/result.hpp"
#include "forecast/usage_forecast.hpp"
#include "storage/database.hpp"

namespace meterline::budgets {

inline constexpr int kThresholds[] = {50, 80, 100};

struct BudgetStatus {
  std::string customer_id;
  int64_t amount_minor = 0;
  std::string currency;
  Period period;
  int64_t spend_minor = 0;     // the period's invoice so far, before tax
  int64_t forecast_minor = 0;  // the projected invoice, before tax
  std::vector<int> thresholds_crossed;
  bool forecast_exceeds = false;
};

struct CheckRun {
  int64_t budgets = 0;
  int64_t events = 0;  // alerts published
};

class BudgetService {
 public:
  BudgetService(storage::Database& db, metering::UsageService& usage, metering::UsageStore& store,
                const catalog::Catalog& catalog, const Clock& clock)
      : db_(db), usage_(usage), forecaster_(usage, store, catalog, clock), catalog_(catalog), clock_(clock) {}

  // Sets the customer's budget (in the currency of its plan). kInvalidArgument
  // (param amount_minor) for one not above 0; kNotFound without a subscription.
  Result<BudgetStatus> Set(const std::string& customer_id, int64_t amount_minor, const std::string& actor);
  // kNotFound "no budget" when none is set.
  Result<BudgetStatus> Get(const std::string& customer_id);
  Status Delete(const std::string& customer_id, const std::string& actor);
  // Checks every budget and publishes the alerts due (the scheduler in serve).
  Result<CheckRun> CheckAll();

 private:
  Result<BudgetStatus> Evaluate(const std::string& customer_id, int64_t amount_minor, const std::string& currency);
  storage::Database& db_;
  metering::UsageService& usage_;
  forecast::UsageForecaster forecaster_;
  const catalog::Catalog& catalog_;
  const Clock& clock_;
};

}  // namespace meterline::budgets
