#include "metering/usage.hpp"

#include <map>

#include "core/checked_math.hpp"

namespace meterline::metering {

UsageService::UsageService(UsageStore& store, plans::PlanBook& plans, subscriptions::SubscriptionService& subs,
                           const Clock& clock)
    : store_(store), plans_(plans), subscriptions_(subs), clock_(clock) {}

Result<CurrentUsage> UsageService::Current(const std::string& customer_id) {
  MTL_ASSIGN_OR_RETURN(auto sub, subscriptions_.ForCustomer(customer_id));
  CurrentUsage out;
  out.subscription = sub;
  // The segment now (after an end, the last one): a whole period unless the
  // plan changed or the subscription ends within it.
  TimePoint now = clock_.Now();
  auto segment = sub.SegmentAt(sub.EndedBy(now) ? *sub.ends_at - std::chrono::milliseconds(1) : now);
  if (!segment) return NotFound("subscription " + sub.id + " has no billing period");
  out.period = segment->span;
  out.share = segment->Share();
  MTL_ASSIGN_OR_RETURN(out.plan, sub.PlanOf(plans_, *segment));
  MTL_ASSIGN_OR_RETURN(auto totals, store_.Totals(customer_id, out.period.start, out.period.end));
  std::map<std::string, int64_t>& used = totals;
  for (const catalog::Metric& metric : plans_.catalog().metrics()) {
    MetricUsage m;
    m.metric = &metric;
    m.usage = used[metric.id];
    m.limit = out.plan->LimitOf(metric, out.share);
    m.overage_units = std::max<int64_t>(0, m.usage - m.limit);
    m.overage_price = out.plan->overage.at(metric.id);
    // What the metric costs so far under the plan's charge model (for the
    // spec's plans: the units over the limit at the overage price).
    m.charge = catalog::ChargeFor(*out.plan, metric, out.share);
    MTL_ASSIGN_OR_RETURN(auto priced, pricing::Price(m.charge, m.usage, out.plan->currency));
    m.overage_minor = priced.total_minor;
    m.permille = m.limit > 0 ? static_cast<int64_t>(static_cast<__int128>(m.usage) * 1000 / m.limit) : 0;
    MTL_RETURN_IF_ERROR(AddChecked(out.total_overage_minor, m.overage_minor, "the overage total"));
    out.metrics.push_back(m);
  }
  return out;
}

Result<std::vector<UsageSeries>> UsageService::History(const std::string& customer_id, TimePoint from, TimePoint to,
                                                       Granularity granularity) {
  std::chrono::milliseconds bucket = granularity == Granularity::kDay ? std::chrono::hours(24) : std::chrono::hours(1);
  MTL_ASSIGN_OR_RETURN(auto buckets, store_.Buckets(customer_id, from, to, bucket));
  std::map<std::string, UsageSeries> by_metric;
  for (const catalog::Metric& m : plans_.catalog().metrics()) by_metric[m.id].metric = m.id;
  for (const RollupBucket& b : buckets) {
    auto& series = by_metric[b.metric];
    series.metric = b.metric;
    series.points.push_back({b.start, b.total});
  }
  std::vector<UsageSeries> out;
  for (const catalog::Metric& m : plans_.catalog().metrics()) out.push_back(std::move(by_metric[m.id]));
  return out;
}

}  // namespace meterline::metering
