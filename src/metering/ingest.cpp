#include "metering/ingest.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "core/log.hpp"
#include "core/period.hpp"
#include "customers/customer_store.hpp"
#include "outbox/events.hpp"
#include "subscriptions/subscription_service.hpp"

namespace meterline::metering {

namespace {

constexpr int kThresholds[] = {75, 90, 100};

struct CustomerFacts {
  bool exists = false;
  std::vector<Period> invoiced;  // periods with a non-draft invoice
  std::optional<subscriptions::Subscription> subscription;
  std::optional<TimePoint> anchor;  // subscription billing anchor
  // The plan versions it has been on, read before writing.
  std::map<std::pair<std::string, int64_t>, const catalog::Plan*> plans;
};

}  // namespace

IngestService::IngestService(storage::Database& db, UsageStore& store, plans::PlanBook& plans, const Clock& clock,
                             InvoicedPeriodsFn invoiced_periods, IngestOptions options)
    : db_(db),
      store_(store),
      plans_(plans),
      clock_(clock),
      invoiced_periods_(std::move(invoiced_periods)),
      options_(options) {}

Result<IngestResult> IngestService::Ingest(const std::vector<std::pair<size_t, UsageEventRef>>& events,
                                           std::vector<Rejection> rejected, const std::string& only_customer) {
  TimePoint now = clock_.Now();
  TimePoint oldest = now - options_.max_age;
  TimePoint newest = now + options_.max_future;

  // What we need to know about each customer in the batch, read once; a key
  // bound to one customer gets no lookups for the others it will be refused.
  // Keyed by views of the events' strings: a string copy per customer, none per event.
  std::map<std::string_view, CustomerFacts> facts_of;
  for (const auto& [index, event] : events) {
    if (only_customer.empty() || event.customer_id == only_customer) facts_of.try_emplace(event.customer_id);
  }
  for (auto& [customer_view, facts] : facts_of) {
    const std::string customer_id(customer_view);
    MTL_ASSIGN_OR_RETURN(auto exists, customers::CustomerStore::Exists(db_, customer_id));
    if (!exists) continue;
    facts.exists = true;
    MTL_ASSIGN_OR_RETURN(auto sub, subscriptions::SubscriptionService::Find(db_, customer_id));
    if (sub) {
      facts.anchor = sub->billing_anchor;
      for (const subscriptions::Phase& phase : sub->phases) {
        auto& plan = facts.plans[std::make_pair(phase.plan_id, phase.version)];
        MTL_ASSIGN_OR_RETURN(plan, plans_.Version(phase.plan_id, phase.version));
      }
      facts.subscription = std::move(sub);
    }
    MTL_ASSIGN_OR_RETURN(auto invoiced, invoiced_periods_(db_, customer_id, oldest));
    facts.invoiced = std::move(invoiced);
  }

  const CustomerFacts none;   // a customer a key bound to another may not name
  std::vector<size_t> valid;  // positions in `events`
  valid.reserve(events.size());
  for (size_t position = 0; position < events.size(); ++position) {
    // Named, not structured bindings: lambdas below capture them.
    const size_t index = events[position].first;
    const UsageEventRef& event = events[position].second;
    auto reject = [&](const char* code, std::string reason) {
      rejected.push_back({index, std::string(event.id), std::move(reason), code});
    };
    auto found = facts_of.find(event.customer_id);
    const CustomerFacts& facts = found == facts_of.end() ? none : found->second;
    if (event.id.find('\0') != std::string::npos) {
      // JSON may escape one (\u0000); PostgreSQL's text cannot hold it, and an
      // id that differs by what a C string drops must not pass for another.
      reject("invalid", "id must not contain NUL characters");
    } else if (!only_customer.empty() && event.customer_id != only_customer) {
      reject("wrong_customer", "this API key may only send usage for customer " + only_customer);
    } else if (!facts.exists) {
      reject("unknown_customer", "unknown customer " + std::string(event.customer_id));
    } else if (!plans_.catalog().AcceptsEvent(event.metric)) {
      reject("unknown_metric", "unknown metric '" + std::string(event.metric) + "'");
    } else if (event.value > options_.max_event_value) {
      reject("value_too_large", "value must be at most " + std::to_string(options_.max_event_value));
    } else if (event.timestamp < oldest) {
      reject("too_old",
             "timestamp is more than " + std::to_string(options_.max_age.count() / 24) + " days in the past");
    } else if (event.timestamp > newest) {
      reject("too_far_ahead",
             "timestamp is more than " + std::to_string(options_.max_future.count()) + " minutes in the future");
    } else if (std::any_of(facts.invoiced.begin(), facts.invoiced.end(),
                           [&](const Period& p) { return p.Contains(event.timestamp); })) {
      reject("period_invoiced", "the billing period of this timestamp is already invoiced");
    } else if (facts.subscription && facts.subscription->EndedBy(event.timestamp)) {
      reject("subscription_ended", "subscription " + facts.subscription->id + " ended at " +
                                       FormatIso8601(*facts.subscription->ends_at) +
                                       ": usage after that is not billed");
    } else if (options_.closed_after && facts.anchor &&
               facts.subscription->FinalFrom(*facts.subscription->SegmentAt(event.timestamp)) +
                       *options_.closed_after <=
                   now) {
      reject("period_closed", "the billing period of this timestamp is closed");
    } else {
      valid.push_back(position);
    }
  }

  std::vector<UsageEventRef> to_write;
  to_write.reserve(valid.size());
  for (size_t position : valid) to_write.push_back(events[position].second);
  int64_t received = ToUnixMillis(now);

  // Threshold alerts: one row per (customer, metric, period, threshold),
  // exactly once thanks to the unique constraint, each with a queued event.
  AfterWrite record_alerts = [&](storage::Executor& tx, const std::set<RollupKey>& touched,
                                 const TotalFn& total) -> Status {
    // Per segment of a subscription (a whole period unless the plan changed
    // within it): customer, metric, segment start.
    std::set<std::tuple<std::string, std::string, TimePoint>> periods;
    // Read-only from here: with usage in shard files, the writers of two
    // shards may run this at once for one request.
    for (const auto& [customer_id, metric, hour] : touched) {
      auto found = facts_of.find(customer_id);
      if (found == facts_of.end() || !found->second.anchor) continue;
      const CustomerFacts& facts = found->second;
      if (auto segment = facts.subscription->SegmentAt(hour))
        periods.insert({customer_id, metric, segment->span.start});
    }
    for (const auto& [customer_id, metric, period_start] : periods) {
      const CustomerFacts& facts = facts_of.at(customer_id);
      subscriptions::Segment segment = *facts.subscription->SegmentAt(period_start);
      auto version = facts.plans.find({segment.plan_id, segment.version});
      const catalog::Plan* plan = version == facts.plans.end() ? nullptr : version->second;
      const catalog::Metric* defined = plans_.catalog().FindMetric(metric);
      int64_t limit = plan == nullptr || defined == nullptr ? 0 : plan->LimitOf(*defined, segment.Share());
      if (limit == 0) continue;
      const Period& period = segment.span;
      auto used = total(customer_id, metric, period_start, period.end);
      // A period total past int64 can only come from rows written before the
      // hourly limit existed; it is past every threshold, and must not make
      // every later batch of this metric fail.
      if (!used.ok() && used.error().Reason() == "overflow") used = INT64_MAX;
      if (!used.ok()) return std::move(used).error();
      for (int threshold : kThresholds) {
        // used / limit >= threshold / 100, in integers.
        if (static_cast<__int128>(*used) * 100 < static_cast<__int128>(limit) * threshold) break;
        MTL_ASSIGN_OR_RETURN(
            auto alert,
            tx.Execute(
                "INSERT INTO usage_alerts (customer_id, metric, period_start, threshold_percent, usage, usage_limit, "
                "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) "
                "ON CONFLICT (customer_id, metric, period_start, threshold_percent) DO NOTHING",
                {customer_id, metric, ToUnixMillis(period_start), int64_t{threshold}, *used, limit, received}));
        if (alert.affected_rows == 0) continue;
        MTL_RETURN_IF_ERROR(outbox::Publish(tx, {"usage.threshold_crossed",
                                                 customer_id,
                                                 {{"customer_id", customer_id},
                                                  {"metric", metric},
                                                  {"threshold_percent", threshold},
                                                  {"usage", *used},
                                                  {"limit", limit},
                                                  {"period_start", FormatIso8601(period.start)}},
                                                 now}));
      }
    }
    return OkStatus();
  };

  MTL_ASSIGN_OR_RETURN(auto written, store_.Write(to_write, now, record_alerts));
  IngestResult result;
  result.accepted = written.accepted;
  for (size_t position : written.duplicates) {
    result.duplicates.push_back({events[valid[position]].first, std::string(to_write[position].id), ""});
  }
  for (const StoreRefusal& refusal : written.refused) {
    rejected.push_back({events[valid[refusal.position]].first, std::string(to_write[refusal.position].id),
                        refusal.reason, "hourly_limit"});
  }
  std::sort(rejected.begin(), rejected.end(), [](const auto& a, const auto& b) { return a.index < b.index; });
  result.rejected = std::move(rejected);
  return result;
}

}  // namespace meterline::metering
