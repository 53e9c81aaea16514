// SubscriptionService: creating subscriptions, moving them between plan
// versions, reading them with their phases (subscription.hpp). A customer
// has at most one subscription (unique in storage). Thread-safe.
#pragma once

#include <optional>
#include <string>

#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "core/period.hpp"
#include "core/result.hpp"
#include "plans/plan_book.hpp"
#include "storage/database.hpp"
#include "subscriptions/subscription.hpp"

namespace meterline::subscriptions {

// Moving a plan's subscriptions to another of its versions.
struct VersionMove {
  std::string plan_id;
  int64_t to_version = 0;
  // Only subscriptions now on this version (0: every other version).
  int64_t from_version = 0;
};

struct MoveSummary {
  int64_t moved = 0;      // subscriptions whose next period gets to_version
  int64_t unchanged = 0;  // already there
};

class SubscriptionService {
 public:
  // `db`, `plans` and `clock` must outlive the service.
  SubscriptionService(storage::Database& db, plans::PlanBook& plans, const Clock& clock);

  // Creates the customer's subscription on the plan's current version.
  // kNotFound for an unknown customer, kInvalidArgument (param plan_id) for
  // an unknown or archived plan or one priced in another currency than the
  // customer's, kConflict when it already has one.
  // The anchor is truncated to its UTC hour, so that every period is made of
  // whole hourly rollups and no event's hour straddles two periods.
  Result<Subscription> Create(const std::string& customer_id, const std::string& plan_id, TimePoint anchor,
                              Status status, const std::string& actor);

  // Moves the plan's live subscriptions to `move.to_version` from the start
  // of each one's next period (the current period keeps its price: changes
  // within a period, prorated, are a plan change). kNotFound for an unknown
  // plan or version. Audited once per run as plan.migrate.
  Result<MoveSummary> MoveAtPeriodEnd(const VersionMove& move, const std::string& actor);

  // The customer's subscription; kNotFound when it has none.
  Result<Subscription> ForCustomer(const std::string& customer_id);
  // The same inside the caller's transaction; nullopt when it has none.
  static Result<std::optional<Subscription>> Find(storage::Executor& ex, const std::string& customer_id);
  // "SELECT <a subscription's columns> FROM subscriptions s JOIN customers c",
  // for FromRow; the caller adds WHERE and ORDER BY on s.
  static constexpr const char* kSelectSubscriptions =
      "SELECT s.id, s.customer_id, s.plan_id, s.status, s.billing_anchor, s.created_at, c.currency, "
      "p.interval_months, p.base_fee_in_advance, s.ends_at, s.canceled_at FROM subscriptions s "
      "JOIN customers c ON c.id = s.customer_id JOIN plans p ON p.id = s.plan_id";
  // A row of kSelectSubscriptions, without its phases (LoadPhases).
  static Subscription FromRow(const storage::Row& row);
  // Fills each subscription's phases, in a few statements.
  static meterline::Status LoadPhases(storage::Executor& ex, std::vector<Subscription>& subs);

 private:
  storage::Database& db_;
  plans::PlanBook& plans_;
  const Clock& clock_;
};

}  // namespace meterline::subscriptions
