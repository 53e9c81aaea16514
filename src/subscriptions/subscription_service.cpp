#include "subscriptions/subscription_service.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <map>
#include <tuple>

#include "audit/audit_log.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "core/period.hpp"
#include "customers/customer_store.hpp"
#include "storage/bulk.hpp"

namespace meterline::subscriptions {

const char* StatusName(Status status) {
  switch (status) {
    case Status::kTrialing: return "trialing";
    case Status::kActive: return "active";
    case Status::kPastDue: return "past_due";
    case Status::kCanceled: return "canceled";
  }
  return "active";
}

std::optional<Status> ParseStatus(std::string_view text) {
  if (text == "trialing") return Status::kTrialing;
  if (text == "active") return Status::kActive;
  if (text == "past_due") return Status::kPastDue;
  if (text == "canceled") return Status::kCanceled;
  return std::nullopt;
}

Subscription SubscriptionService::FromRow(const storage::Row& row) {
  return {row.Text(0),
          row.Text(1),
          row.Text(2),
          ParseStatus(row.Text(3)).value_or(Status::kActive),
          FromUnixMillis(row.Int(4)),
          FromUnixMillis(row.Int(5)),
          row.Text(6),
          static_cast<int>(row.Int(7)),
          row.Int(8) != 0,
          {}};
}

Result<const catalog::Plan*> Subscription::PlanAt(plans::PlanBook& plans, TimePoint period_start) const {
  MTL_ASSIGN_OR_RETURN(const catalog::Plan* version, plans.Version(plan_id, VersionAt(period_start)));
  const catalog::Plan* priced = version->InCurrency(currency);
  if (priced == nullptr) {
    return Error(ErrorCode::kConflict, "currency_not_priced",
                 "version " + std::to_string(version->version) + " of plan " + plan_id + " has no prices in " +
                     currency + ", the currency of customer " + customer_id);
  }
  return priced;
}

int64_t Subscription::VersionAt(TimePoint period_start) const {
  int64_t version = plan_versions.empty() ? 1 : plan_versions.front().second;
  for (const auto& [from, v] : plan_versions) {
    if (from <= period_start) version = v;
  }
  return version;
}

SubscriptionService::SubscriptionService(storage::Database& db, plans::PlanBook& plans, const Clock& clock)
    : db_(db), plans_(plans), clock_(clock) {}

Result<Subscription> SubscriptionService::Create(const std::string& customer_id, const std::string& plan_id,
                                                 TimePoint anchor, Status status, const std::string& actor) {
  anchor = HourStart(anchor);
  TimePoint now = clock_.Now();
  Subscription sub{NewId("sub"), customer_id, plan_id, status, anchor, now, "", 1, false, {}};
  Period period;
  meterline::Status s = db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> meterline::Status {
    MTL_ASSIGN_OR_RETURN(auto plan, plans::PlanBook::Load(tx, plan_id, plans_.catalog().metrics()));
    if (!plan) return InvalidParam("plan_id", "no plan '" + plan_id.substr(0, 64) + "'");
    MTL_ASSIGN_OR_RETURN(auto customer, tx.Execute("SELECT currency FROM customers WHERE id = $1", {customer_id}));
    if (customer.rows.empty()) return NotFound("no customer " + customer_id);
    if (plan->archived_at) return InvalidParam("plan_id", "plan " + plan_id + " is archived");
    const catalog::Plan& current = plan->CurrentAt(now).plan;
    sub.currency = customer.rows[0].Text(0);
    sub.interval_months = current.interval_months;
    sub.base_fee_in_advance = current.base_fee_in_advance;
    period = PeriodAt(sub, now);
    if (current.InCurrency(sub.currency) == nullptr) {
      return InvalidParam("plan_id", "plan " + plan_id + " is priced in " + current.CurrencyList() + ", and customer " +
                                         customer_id + " pays in " + sub.currency);
    }
    sub.plan_versions = {{FromUnixMillis(0), current.version}};
    auto inserted = tx.Execute(
        "INSERT INTO subscriptions (id, customer_id, plan_id, status, billing_anchor, current_period_start, "
        "current_period_end, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
        {sub.id, customer_id, plan_id, StatusName(status), ToUnixMillis(anchor), ToUnixMillis(period.start),
         ToUnixMillis(period.end), ToUnixMillis(sub.created_at)});
    if (!inserted.ok()) {
      if (inserted.error().code == ErrorCode::kConflict)
        return Conflict("customer " + customer_id + " already has a subscription");
      return std::move(inserted).error();
    }
    // From the epoch: whatever period is asked about, this version prices it until a move.
    MTL_RETURN_IF_ERROR(
        tx.Execute("INSERT INTO subscription_plan_versions (subscription_id, effective_from, plan_version, created_by, "
                   "created_at) VALUES ($1, 0, $2, $3, $4)",
                   {sub.id, current.version, actor, ToUnixMillis(now)}));
    return audit::Record(tx, clock_,
                         {actor,
                          "subscription.create",
                          customer_id,
                          {{"subscription_id", sub.id}, {"plan", plan_id}, {"plan_version", current.version}},
                          {}});
  });
  if (!s.ok()) return std::move(s).error();
  return sub;
}

Result<MoveSummary> SubscriptionService::MoveAtPeriodEnd(const VersionMove& move, const std::string& actor) {
  TimePoint now = clock_.Now();
  MoveSummary summary;
  MTL_RETURN_IF_ERROR(db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> meterline::Status {
    summary = {};
    MTL_ASSIGN_OR_RETURN(auto rows, tx.Execute(std::string(kSelectSubscriptions) +
                                                   " WHERE s.plan_id = $1 AND s.status <> 'canceled' ORDER BY s.id",
                                               {move.plan_id}));
    std::vector<Subscription> subs;
    for (const storage::Row& row : rows.rows) subs.push_back(FromRow(row));
    MTL_RETURN_IF_ERROR(LoadVersions(tx, subs));
    // The version must have prices in every moved customer's currency.
    MTL_ASSIGN_OR_RETURN(const catalog::Plan* target, plans_.Version(move.plan_id, move.to_version));
    for (const Subscription& sub : subs) {
      if (target->InCurrency(sub.currency) == nullptr) {
        return InvalidParam("to_version", "version " + std::to_string(move.to_version) + " of " + move.plan_id +
                                              " has no prices in " + sub.currency + ", which customer " +
                                              sub.customer_id + " pays in");
      }
    }
    for (const Subscription& sub : subs) {
      TimePoint next_start = PeriodAt(sub, now).end;
      int64_t current = sub.VersionAt(PeriodAt(sub, now).start);
      if (move.from_version != 0 && current != move.from_version) continue;
      if (sub.VersionAt(next_start) == move.to_version) {
        ++summary.unchanged;
        continue;
      }
      // A later move scheduled for the same boundary replaces the earlier one.
      MTL_RETURN_IF_ERROR(tx.Execute(
          "INSERT INTO subscription_plan_versions (subscription_id, effective_from, plan_version, created_by, "
          "created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (subscription_id, effective_from) DO UPDATE SET "
          "plan_version = $3, created_by = $4, created_at = $5",
          {sub.id, ToUnixMillis(next_start), move.to_version, actor, ToUnixMillis(now)}));
      ++summary.moved;
    }
    return audit::Record(tx, clock_,
                         {actor,
                          "plan.migrate",
                          "",
                          {{"plan", move.plan_id},
                           {"to_version", move.to_version},
                           {"from_version", move.from_version},
                           {"at", "period_end"},
                           {"moved", summary.moved}},
                          {}});
  }));
  return summary;
}

meterline::Status SubscriptionService::LoadVersions(storage::Executor& ex, std::vector<Subscription>& subs) {
  if (subs.empty()) return OkStatus();
  std::map<std::string, Subscription*> by_id;
  std::vector<std::string> ids;
  for (Subscription& sub : subs) {
    sub.plan_versions.clear();
    by_id[sub.id] = &sub;
    ids.push_back(sub.id);
  }
  std::vector<std::tuple<std::string, int64_t, int64_t>> found;
  MTL_RETURN_IF_ERROR(storage::SelectIn(
      ex,
      "SELECT subscription_id, effective_from, plan_version FROM subscription_plan_versions WHERE subscription_id "
      "IN_LIST",
      {}, ids, [&](const storage::Row& row) { found.emplace_back(row.Text(0), row.Int(1), row.Int(2)); }));
  // A short last chunk repeats a key: rows can come twice.
  std::sort(found.begin(), found.end());
  found.erase(std::unique(found.begin(), found.end()), found.end());
  for (const auto& [id, from, version] : found) by_id[id]->plan_versions.emplace_back(FromUnixMillis(from), version);
  return OkStatus();
}

Result<std::optional<Subscription>> SubscriptionService::Find(storage::Executor& ex, const std::string& customer_id) {
  MTL_ASSIGN_OR_RETURN(auto rows,
                       ex.Execute(std::string(kSelectSubscriptions) + " WHERE s.customer_id = $1", {customer_id}));
  if (rows.rows.empty()) return std::optional<Subscription>();
  Subscription sub = FromRow(rows.rows[0]);
  MTL_ASSIGN_OR_RETURN(auto versions, ex.Execute("SELECT effective_from, plan_version FROM subscription_plan_versions "
                                                 "WHERE subscription_id = $1 ORDER BY effective_from",
                                                 {sub.id}));
  for (const auto& v : versions.rows) sub.plan_versions.emplace_back(FromUnixMillis(v.Int(0)), v.Int(1));
  return std::optional<Subscription>(std::move(sub));
}

Result<Subscription> SubscriptionService::ForCustomer(const std::string& customer_id) {
  auto found = Find(db_, customer_id);
  if (!found.ok()) return std::move(found).error();
  if (!*found) return NotFound("customer " + customer_id + " has no subscription");
  return **std::move(found);
}

}  // namespace meterline::subscriptions
