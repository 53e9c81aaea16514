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

namespace {

std::optional<TimePoint> OptTime(const storage::Row& row, size_t col) {
  auto millis = row.OptInt(col);
  return millis ? std::optional<TimePoint>(FromUnixMillis(*millis)) : std::nullopt;
}

}  // namespace

Subscription SubscriptionService::FromRow(const storage::Row& row) {
  std::optional<Period> trial;
  if (auto start = OptTime(row, 11)) trial = Period{*start, FromUnixMillis(row.Int(12))};
  return {row.Text(0),
          row.Text(1),
          row.Text(2),
          ParseStatus(row.Text(3)).value_or(Status::kActive),
          FromUnixMillis(row.Int(4)),
          FromUnixMillis(row.Int(5)),
          row.Text(6),
          static_cast<int>(row.Int(7)),
          row.Int(8) != 0,
          {},
          OptTime(row, 9),
          OptTime(row, 10),
          trial};
}

SubscriptionService::SubscriptionService(storage::Database& db, plans::PlanBook& plans, const Clock& clock)
    : db_(db), plans_(plans), clock_(clock) {}

Result<Subscription> SubscriptionService::Create(const std::string& customer_id, const std::string& plan_id,
                                                 TimePoint anchor, Status status, const std::string& actor,
                                                 std::optional<int> trial_days) {
  anchor = HourStart(anchor);
  TimePoint now = clock_.Now();
  Subscription sub{.id = NewId("sub"),
                   .customer_id = customer_id,
                   .plan_id = plan_id,
                   .status = status,
                   .billing_anchor = anchor,
                   .created_at = now};
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
    int days = trial_days.value_or(current.trial.days);
    if (days < 0 || days > catalog::kMaxTrialDays) {
      return InvalidParam("trial_days", "trial_days must be from 0 to " + std::to_string(catalog::kMaxTrialDays));
    }
    if (days > 0) {
      // The periods run from the trial's end.
      sub.trial = Period{anchor, anchor + std::chrono::hours(24 * days)};
      sub.billing_anchor = sub.trial->end;
      sub.status = Status::kTrialing;
    }
    period = sub.PeriodAt(now);
    if (current.InCurrency(sub.currency) == nullptr) {
      return InvalidParam("plan_id", "plan " + plan_id + " is priced in " + current.CurrencyList() + ", and customer " +
                                         customer_id + " pays in " + sub.currency);
    }
    sub.phases = {{FromUnixMillis(0), plan_id, current.version, "create", now}};
    auto inserted = tx.Execute(
        "INSERT INTO subscriptions (id, customer_id, plan_id, status, billing_anchor, current_period_start, "
        "current_period_end, created_at, updated_at, trial_start, trial_end) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10)",
        {sub.id, customer_id, plan_id, StatusName(sub.status), ToUnixMillis(sub.billing_anchor),
         ToUnixMillis(period.start), ToUnixMillis(period.end), ToUnixMillis(sub.created_at),
         sub.trial ? storage::Value(ToUnixMillis(sub.trial->start)) : storage::Value(nullptr),
         sub.trial ? storage::Value(ToUnixMillis(sub.trial->end)) : storage::Value(nullptr)});
    if (!inserted.ok()) {
      if (inserted.error().code == ErrorCode::kConflict)
        return Conflict("customer " + customer_id + " already has a subscription");
      return std::move(inserted).error();
    }
    // From the epoch: whatever period is asked about, this version prices it until a move.
    MTL_RETURN_IF_ERROR(tx.Execute(
        "INSERT INTO subscription_plan_versions (subscription_id, effective_from, plan_id, plan_version, source, "
        "created_by, created_at) VALUES ($1, 0, $2, $3, 'create', $4, $5)",
        {sub.id, plan_id, current.version, actor, ToUnixMillis(now)}));
    return audit::Record(
        tx, clock_,
        {actor,
         "subscription.create",
         customer_id,
         {{"subscription_id", sub.id}, {"plan", plan_id}, {"plan_version", current.version}, {"trial_days", days}},
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
    // Those on the plan at the start of their next period: maybe not the
    // stored plan_id, when a change is pending.
    MTL_ASSIGN_OR_RETURN(
        auto rows, tx.Execute(std::string(kSelectSubscriptions) +
                                  " WHERE s.status <> 'canceled' AND EXISTS (SELECT 1 FROM subscription_plan_versions "
                                  "v WHERE v.subscription_id = s.id AND v.plan_id = $1) ORDER BY s.id",
                              {move.plan_id}));
    std::vector<Subscription> subs;
    for (const storage::Row& row : rows.rows) subs.push_back(FromRow(row));
    MTL_RETURN_IF_ERROR(LoadPhases(tx, subs));
    std::erase_if(subs, [&](const Subscription& sub) {
      TimePoint next_start = sub.PeriodAt(now).end;
      return sub.EndedBy(next_start) || sub.PhaseAt(next_start).plan_id != move.plan_id;
    });
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
      TimePoint next_start = sub.PeriodAt(now).end;
      int64_t current = sub.VersionAt(sub.PeriodAt(now).start);
      if (move.from_version != 0 && current != move.from_version) continue;
      if (sub.VersionAt(next_start) == move.to_version) {
        ++summary.unchanged;
        continue;
      }
      // A later move scheduled for the same boundary replaces the earlier
      // one's version (a pending plan change to this plan stays a change).
      MTL_RETURN_IF_ERROR(tx.Execute(
          "INSERT INTO subscription_plan_versions (subscription_id, effective_from, plan_id, plan_version, source, "
          "created_by, created_at) VALUES ($1, $2, $3, $4, 'migrate', $5, $6) ON CONFLICT (subscription_id, "
          "effective_from) DO UPDATE SET plan_version = $4, created_by = $5, created_at = $6",
          {sub.id, ToUnixMillis(next_start), move.plan_id, move.to_version, actor, ToUnixMillis(now)}));
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

meterline::Status SubscriptionService::LoadPhases(storage::Executor& ex, std::vector<Subscription>& subs) {
  if (subs.empty()) return OkStatus();
  std::map<std::string, Subscription*> by_id;
  std::vector<std::string> ids;
  for (Subscription& sub : subs) {
    sub.phases.clear();
    by_id[sub.id] = &sub;
    ids.push_back(sub.id);
  }
  std::vector<std::tuple<std::string, int64_t, std::string, int64_t, std::string, int64_t>> found;
  MTL_RETURN_IF_ERROR(storage::SelectIn(ex,
                                        "SELECT subscription_id, effective_from, plan_id, plan_version, source, "
                                        "created_at FROM subscription_plan_versions WHERE subscription_id IN_LIST",
                                        {}, ids, [&](const storage::Row& row) {
                                          found.emplace_back(row.Text(0), row.Int(1), row.Text(2), row.Int(3),
                                                             row.Text(4), row.Int(5));
                                        }));
  // A short last chunk repeats a key: rows can come twice.
  std::sort(found.begin(), found.end());
  found.erase(std::unique(found.begin(), found.end()), found.end());
  for (auto& [id, from, plan, version, source, made_at] : found) {
    by_id[id]->phases.push_back(
        {FromUnixMillis(from), std::move(plan), version, std::move(source), FromUnixMillis(made_at)});
  }
  return OkStatus();
}

Result<std::optional<Subscription>> SubscriptionService::FindWhere(storage::Executor& ex, const char* column,
                                                                   const std::string& value) {
  MTL_ASSIGN_OR_RETURN(auto rows,
                       ex.Execute(std::string(kSelectSubscriptions) + " WHERE s." + column + " = $1", {value}));
  if (rows.rows.empty()) return std::optional<Subscription>();
  Subscription sub = FromRow(rows.rows[0]);
  MTL_ASSIGN_OR_RETURN(auto phases, ex.Execute("SELECT effective_from, plan_id, plan_version, source, created_at FROM "
                                               "subscription_plan_versions WHERE subscription_id = $1 ORDER BY "
                                               "effective_from",
                                               {sub.id}));
  for (const auto& v : phases.rows) {
    sub.phases.push_back({FromUnixMillis(v.Int(0)), v.Text(1), v.Int(2), v.Text(3), FromUnixMillis(v.Int(4))});
  }
  return std::optional<Subscription>(std::move(sub));
}

Result<std::optional<Subscription>> SubscriptionService::Find(storage::Executor& ex, const std::string& customer_id) {
  return FindWhere(ex, "customer_id", customer_id);
}

Result<std::optional<Subscription>> SubscriptionService::FindById(storage::Executor& ex, const std::string& id) {
  return FindWhere(ex, "id", id);
}

Result<Subscription> SubscriptionService::Get(const std::string& id) {
  MTL_ASSIGN_OR_RETURN(auto found, FindById(db_, id));
  if (!found) return NotFound("no subscription " + id);
  return *std::move(found);
}

Result<Subscription> SubscriptionService::ForCustomer(const std::string& customer_id) {
  auto found = Find(db_, customer_id);
  if (!found.ok()) return std::move(found).error();
  if (!*found) return NotFound("customer " + customer_id + " has no subscription");
  return **std::move(found);
}

}  // namespace meterline::subscriptions
