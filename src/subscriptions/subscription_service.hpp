// SubscriptionService: which plan each customer is on, and its monthly periods.
// A customer has at most one subscription (unique in storage). Thread-safe.
#pragma once

#include <optional>
#include <string>

#include "catalog/catalog.hpp"
#include "core/clock.hpp"
#include "core/period.hpp"
#include "core/result.hpp"
#include "storage/database.hpp"

namespace meterline::subscriptions {

enum class Status { kTrialing, kActive, kPastDue, kCanceled };
const char* StatusName(Status status);
std::optional<Status> ParseStatus(std::string_view text);

struct Subscription {
  std::string id;  // "sub_…"
  std::string customer_id;
  std::string plan_id;
  Status status = Status::kActive;
  TimePoint billing_anchor;
  TimePoint created_at;
};

class SubscriptionService {
 public:
  // `catalog`, `db` and `clock` must outlive the service.
  SubscriptionService(storage::Database& db, const catalog::Catalog& catalog, const Clock& clock);

  // Mirrors the catalog's plans into the plans table (insert or update), so
  // subscriptions can reference them. Called at start.
  meterline::Status SyncPlans();

  // Creates the customer's subscription. kNotFound for an unknown customer,
  // kInvalidArgument for an unknown plan, kConflict when it already has one.
  // The anchor is truncated to its UTC hour, so that every period is made of
  // whole hourly rollups and no event's hour straddles two periods.
  Result<Subscription> Create(const std::string& customer_id, const std::string& plan_id, TimePoint anchor,
                              Status status, const std::string& actor);

  // The customer's subscription; kNotFound when it has none.
  Result<Subscription> ForCustomer(const std::string& customer_id);
  // The same inside the caller's transaction; nullopt when it has none.
  static Result<std::optional<Subscription>> Find(storage::Executor& ex, const std::string& customer_id);

  // The billing period containing `t`.
  static Period PeriodAt(const Subscription& subscription, TimePoint t) {
    return MonthlyPeriodContaining(subscription.billing_anchor, t);
  }

 private:
  storage::Database& db_;
  const catalog::Catalog& catalog_;
  const Clock& clock_;
};

}  // namespace meterline::subscriptions
