// SubscriptionService: which plan each customer is on, which version of it
// prices each period, and its periods (its plan's interval from its anchor). A customer has at most one
// subscription (unique in storage). Thread-safe.
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
  // The customer's currency: it picks the plan's prices (catalog::Plan::InCurrency).
  std::string currency;
  // Its plan's billing interval in months (1, 3 or 12): its periods' length.
  int interval_months = 1;
  // Its plan invoices the base fee at the start of each period (with the
  // usage of the period before), and so has an opening invoice (see
  // FirstInvoicedPeriod).
  bool base_fee_in_advance = false;
  // (effective_from, version), ascending: periods starting at or after
  // effective_from are priced with that version of the plan.
  std::vector<std::pair<TimePoint, int64_t>> plan_versions;

  // The version of the plan that prices the period starting at `period_start`.
  int64_t VersionAt(TimePoint period_start) const;
  // That version's prices in the customer's currency. kNotFound when the
  // version is missing; kFailedPrecondition when it has no prices in it.
  Result<const catalog::Plan*> PlanAt(plans::PlanBook& plans, TimePoint period_start) const;
};

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
      "p.interval_months, p.base_fee_in_advance FROM subscriptions s JOIN customers c ON c.id = s.customer_id "
      "JOIN plans p ON p.id = s.plan_id";
  // A row of kSelectSubscriptions, without its plan_versions (LoadVersions).
  static Subscription FromRow(const storage::Row& row);
  // Fills each subscription's plan_versions, in a few statements.
  static meterline::Status LoadVersions(storage::Executor& ex, std::vector<Subscription>& subs);

  // The billing period containing `t`.
  static Period PeriodAt(const Subscription& subscription, TimePoint t) {
    return PeriodContaining(subscription.billing_anchor, subscription.interval_months, t);
  }
  // The first period with an invoice: the one starting at the anchor, or for
  // a base fee in advance the one ending there, whose invoice (the opening
  // invoice) holds only the first period's base fee.
  static Period FirstInvoicedPeriod(const Subscription& subscription) {
    return PeriodAt(subscription, subscription.base_fee_in_advance
                                      ? subscription.billing_anchor - std::chrono::milliseconds(1)
                                      : subscription.billing_anchor);
  }

 private:
  storage::Database& db_;
  plans::PlanBook& plans_;
  const Clock& clock_;
};

}  // namespace meterline::subscriptions
