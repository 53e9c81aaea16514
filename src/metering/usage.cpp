#include "metering/usage.hpp"

#include <map>

namespace meterline::metering {

UsageService::UsageService(storage::Database& db, const catalog::Catalog& catalog,
                           subscriptions::SubscriptionService& subs, const Clock& clock)
    : db_(db), catalog_(catalog), subscriptions_(subs), clock_(clock) {}

Result<CurrentUsage> UsageService::Current(const std::string& customer_id) {
  auto sub = subscriptions_.ForCustomer(customer_id);
  if (!sub.ok()) return std::move(sub).error();
  CurrentUsage out;
  out.subscription = *sub;
  out.plan = catalog_.FindPlan(sub->plan_id);
  if (out.plan == nullptr) return Internal("subscription " + sub->id + " names plan '" + sub->plan_id + "' not in the catalog");
  out.period = subscriptions::SubscriptionService::PeriodAt(*sub, clock_.Now());
  auto sums = db_.Execute(
      "SELECT metric, SUM(total) FROM usage_rollups_hourly WHERE customer_id = $1 AND hour_start >= $2 "
      "AND hour_start < $3 GROUP BY metric",
      {customer_id, ToUnixMillis(out.period.start), ToUnixMillis(out.period.end)});
  if (!sums.ok()) return std::move(sums).error();
  std::map<std::string, int64_t> used;
  for (const auto& row : sums->rows) used[row.Text(0)] = row.Int(1);
  for (const catalog::Metric& metric : catalog_.metrics()) {
    MetricUsage m;
    m.metric = &metric;
    m.usage = used[metric.id];
    m.limit = out.plan->limits.at(metric.id);
    m.overage_units = std::max<int64_t>(0, m.usage - m.limit);
    m.overage_price = out.plan->overage.at(metric.id);
    auto charge = money::ChargeMinor(m.overage_price, m.overage_units, out.plan->currency);
    if (!charge.ok()) return std::move(charge).error();
    m.overage_minor = *charge;
    m.permille = m.limit > 0 ? static_cast<int64_t>(static_cast<__int128>(m.usage) * 1000 / m.limit) : 0;
    if (__builtin_add_overflow(out.total_overage_minor, m.overage_minor, &out.total_overage_minor)) {
      return Internal("overage total overflow");
    }
    out.metrics.push_back(m);
  }
  return out;
}

}  // namespace meterline::metering
