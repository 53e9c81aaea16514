#include "subscriptions/subscription_service.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "core/period.hpp"

#include "audit/audit_log.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "customers/customer_store.hpp"

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

SubscriptionService::SubscriptionService(storage::Database& db, const catalog::Catalog& catalog, const Clock& clock)
    : db_(db), catalog_(catalog), clock_(clock) {}

meterline::Status SubscriptionService::SyncPlans() {
  int64_t now = ToUnixMillis(clock_.Now());
  return db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> meterline::Status {
    for (const catalog::Plan& plan : catalog_.plans()) {
      boost::json::object limits, overage;
      for (const auto& [metric, limit] : plan.limits) limits[metric] = limit;
      for (const auto& [metric, price] : plan.overage) {
        overage[metric] = {{"amount", price.amount.ToString()}, {"per", price.per_units}};
      }
      std::string definition =
          boost::json::serialize(boost::json::object{{"limits", std::move(limits)}, {"overage", std::move(overage)}});
      MTL_RETURN_IF_ERROR(
          tx.Execute("INSERT INTO plans (id, name, currency, base_fee_minor, definition, created_at, updated_at) "
                     "VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (id) DO UPDATE SET name = $2, currency = $3, "
                     "base_fee_minor = $4, definition = $5, updated_at = $6",
                     {plan.id, plan.name, plan.currency.code, plan.base_fee_minor, definition, now}));
    }
    return OkStatus();
  });
}

Result<Subscription> SubscriptionService::Create(const std::string& customer_id, const std::string& plan_id,
                                                 TimePoint anchor, Status status, const std::string& actor) {
  if (catalog_.FindPlan(plan_id) == nullptr) return InvalidParam("plan_id", "no plan '" + plan_id + "' in the catalog");
  anchor = HourStart(anchor);
  Subscription sub{NewId("sub"), customer_id, plan_id, status, anchor, clock_.Now()};
  Period period = PeriodAt(sub, clock_.Now());
  meterline::Status s = db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> meterline::Status {
    MTL_ASSIGN_OR_RETURN(auto exists, customers::CustomerStore::Exists(tx, customer_id));
    if (!exists) return NotFound("no customer " + customer_id);
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
    return audit::Record(
        tx, clock_, {actor, "subscription.create", customer_id, {{"subscription_id", sub.id}, {"plan", plan_id}}, {}});
  });
  if (!s.ok()) return std::move(s).error();
  return sub;
}

Result<std::optional<Subscription>> SubscriptionService::Find(storage::Executor& ex, const std::string& customer_id) {
  MTL_ASSIGN_OR_RETURN(auto rows, ex.Execute("SELECT id, customer_id, plan_id, status, billing_anchor, created_at FROM "
                                             "subscriptions WHERE customer_id = $1",
                                             {customer_id}));
  if (rows.rows.empty()) return std::optional<Subscription>();
  const auto& row = rows.rows[0];
  return std::optional<Subscription>(Subscription{row.Text(0), row.Text(1), row.Text(2),
                                                  ParseStatus(row.Text(3)).value_or(Status::kActive),
                                                  FromUnixMillis(row.Int(4)), FromUnixMillis(row.Int(5))});
}

Result<Subscription> SubscriptionService::ForCustomer(const std::string& customer_id) {
  auto found = Find(db_, customer_id);
  if (!found.ok()) return std::move(found).error();
  if (!*found) return NotFound("customer " + customer_id + " has no subscription");
  return **std::move(found);
}

}  // namespace meterline::subscriptions
