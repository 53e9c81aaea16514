// Usage: a customer's usage in its current billing period, against its plan's
// limits, with overage priced exactly (the spec's getCurrentUsage /
// getSubscriptionDetails / calculateOverages). Reads at most one rollup row per
// hour of the period (~744), whatever the number of events. Thread-safe.
#pragma once

#include <string>
#include <vector>

#include "catalog/catalog.hpp"
#include "core/clock.hpp"
#include "core/period.hpp"
#include "core/result.hpp"
#include "metering/usage_store.hpp"
#include "plans/plan_book.hpp"
#include "subscriptions/subscription_service.hpp"

namespace meterline::metering {

struct MetricUsage {
  const catalog::Metric* metric = nullptr;
  int64_t usage = 0;
  int64_t limit = 0;
  int64_t overage_units = 0;  // max(0, usage - limit)
  money::UnitPrice overage_price;
  pricing::MetricCharge charge;  // how the plan prices this metric (catalog::ChargeFor)
  int64_t overage_minor = 0;     // the metric's charge so far: for the spec's plans, overage_units at
                                 // overage_price, rounded half to even
  // usage / limit in tenths of a percent (753 = 75.3 %); 0 when the limit is 0.
  int64_t permille = 0;
};

struct CurrentUsage {
  subscriptions::Subscription subscription;
  const catalog::Plan* plan = nullptr;
  Period period;                     // the current segment: a whole period unless the plan changed or ends within it
  money::Share share;                // its share of the billing period (limits are prorated by it)
  std::vector<MetricUsage> metrics;  // in catalog order
  int64_t total_overage_minor = 0;
};

enum class Granularity { kHour, kDay };

struct UsagePoint {
  TimePoint start;  // start of the hour or UTC day
  int64_t value = 0;
};

struct UsageSeries {
  std::string metric;
  std::vector<UsagePoint> points;  // only buckets with usage, oldest first
};

class UsageService {
 public:
  UsageService(UsageStore& store, plans::PlanBook& plans, subscriptions::SubscriptionService& subs, const Clock& clock);

  // kNotFound when the customer has no subscription.
  Result<CurrentUsage> Current(const std::string& customer_id);

  // Usage per metric in [from, to) by hour or UTC day, from the rollups.
  // REQUIRES: from < to (the API checks ranges).
  Result<std::vector<UsageSeries>> History(const std::string& customer_id, TimePoint from, TimePoint to,
                                           Granularity granularity);

 private:
  UsageStore& store_;
  plans::PlanBook& plans_;
  subscriptions::SubscriptionService& subscriptions_;
  const Clock& clock_;
};

}  // namespace meterline::metering
