// SubscriptionService: creating subscriptions, moving them between plan
// versions, reading them with their phases (subscription.hpp). A customer
// has at most one subscription (unique in storage). Thread-safe.
#pragma once

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>

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

// When a plan change or a cancellation takes effect.
enum class Timing {
  kNow,        // a change: from the start of the current UTC hour (usage is kept
               // in hourly rollups, so the hour of the change belongs to the new
               // plan); a cancellation: at the end of the current hour
  kPeriodEnd,  // at the end of the current billing period
};
const char* TimingName(Timing timing);  // "now" | "period_end"
std::optional<Timing> ParseTiming(std::string_view text);

struct PlanChangeRequest {
  std::string plan_id;
  int64_t version = 0;           // 0: the plan's current version
  std::optional<Timing> timing;  // default: now for an upgrade, else period_end
};

// A plan change worked out against a subscription, before it is written.
struct PlanChange {
  std::string from_plan;
  int64_t from_version = 0;
  std::string to_plan;
  int64_t to_version = 0;
  // The new plan's base fee (in the customer's currency) is higher.
  bool upgrade = false;
  Timing timing = Timing::kPeriodEnd;
  TimePoint at;        // when the new plan takes over
  Subscription after;  // the subscription with the change made
  // It only drops later phases: the phase before `at` is that version already.
  bool merges = false;
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
  // `trial_days` (nullopt: the plan's; 0: none) starts it with a free trial
  // from the anchor: it is trialing, and its periods run from the trial's end.
  Result<Subscription> Create(const std::string& customer_id, const std::string& plan_id, TimePoint anchor,
                              Status status, const std::string& actor, std::optional<int> trial_days = std::nullopt);

  // Moves the plan's live subscriptions to `move.to_version` from the start
  // of each one's next period (the current period keeps its price: changes
  // within a period, prorated, are a plan change). kNotFound for an unknown
  // plan or version. Audited once per run as plan.migrate.
  Result<MoveSummary> MoveAtPeriodEnd(const VersionMove& move, const std::string& actor);

  // One subscription; kNotFound when missing.
  Result<Subscription> Get(const std::string& id);

  // Works a plan change out (no writes). kInvalidArgument (param plan,
  // version or effective) for an unknown or archived plan, a missing version,
  // other billing terms (interval, fee timing) or no prices in the customer's
  // currency; kConflict "subscription_ended" for an ended or canceled
  // subscription, "no_change" when it would already be on that version then.
  Result<PlanChange> PlanChangeFor(const Subscription& subscription, const PlanChangeRequest& request);
  // Makes it: the new phase replaces every phase after its instant (pending
  // changes and version moves). Audited as subscription.change; publishes
  // subscription.updated.
  Result<PlanChange> ChangePlan(const std::string& id, const PlanChangeRequest& request, const std::string& actor);
  // Withdraws the plan change scheduled for a later instant; kNotFound when
  // none is. Audited; publishes subscription.updated.
  Result<Subscription> WithdrawScheduledChange(const std::string& id, const std::string& actor);
  // Ends the subscription at the end of its period, or now (the end of the
  // current hour; its status becomes canceled at once). Later phases are
  // dropped. kConflict "subscription_ended" when canceled already. Audited as
  // subscription.cancel; publishes subscription.updated (at period end) or
  // subscription.canceled (now).
  Result<Subscription> Cancel(const std::string& id, Timing timing, const std::string& actor);
  // Withdraws a cancellation at period end before it takes effect;
  // kConflict "not_scheduled_to_end" otherwise (canceled stays final).
  Result<Subscription> Reactivate(const std::string& id, const std::string& actor);
  // Catches stored state up with time: a subscription whose end has come
  // becomes canceled (publishing subscription.canceled), one whose scheduled
  // change took effect gets its new plan_id (subscription.updated). A trial
  // ending within 3 days publishes subscription.trial_will_end once; one that
  // has ended makes the subscription active (subscription.updated), or
  // canceled at the trial's end when its plan requires a payment method and
  // the customer has none on file (subscription.canceled). Returns how many
  // changed. The scheduler calls it every minute; reads go by phases and
  // ends_at, and only the trial's invoice waits for its outcome.

  Result<int64_t> ApplyDue();

  // Dunning's side (docs/dunning.md), in the caller's transaction: an active
  // subscription becomes past_due (`past_due` true), a past_due one active
  // again (false); any other status is left alone. Audited (`why` is the
  // audit row's data); publishes subscription.updated. Returns whether it changed.
  static Result<bool> SetPastDue(storage::Transaction& tx, const Clock& clock, const std::string& id, bool past_due,
                                 const std::string& actor, const boost::json::object& why);

  // The customer's subscription; kNotFound when it has none.
  Result<Subscription> ForCustomer(const std::string& customer_id);
  // The same inside the caller's transaction; nullopt when it has none.
  static Result<std::optional<Subscription>> Find(storage::Executor& ex, const std::string& customer_id);
  // By subscription id, the same way.
  static Result<std::optional<Subscription>> FindById(storage::Executor& ex, const std::string& id);
  // "SELECT <a subscription's columns> FROM subscriptions s JOIN customers c",
  // for FromRow; the caller adds WHERE and ORDER BY on s.
  static constexpr const char* kSelectSubscriptions =
      "SELECT s.id, s.customer_id, s.plan_id, s.status, s.billing_anchor, s.created_at, c.currency, "
      "p.interval_months, p.base_fee_in_advance, s.ends_at, s.canceled_at, s.trial_start, s.billing_anchor "
      "FROM subscriptions s "
      "JOIN customers c ON c.id = s.customer_id JOIN plans p ON p.id = s.plan_id";
  // A row of kSelectSubscriptions, without its phases (LoadPhases).
  static Subscription FromRow(const storage::Row& row);
  // Fills each subscription's phases, in a few statements.
  static meterline::Status LoadPhases(storage::Executor& ex, std::vector<Subscription>& subs);

 private:
  // `column` is one of ours ("id", "customer_id"), never input.
  static Result<std::optional<Subscription>> FindWhere(storage::Executor& ex, const char* column,
                                                       const std::string& value);
  // Locks the subscription's row for the rest of `tx` and reads it; kNotFound when missing.
  static Result<Subscription> LockForChange(storage::Transaction& tx, const std::string& id, TimePoint now);
  // ApplyDue's trial steps, in its transaction (EndTrials counts into `changed`).
  meterline::Status NoticeTrialsEnding(storage::Transaction& tx, TimePoint now);
  meterline::Status EndTrials(storage::Transaction& tx, TimePoint now, int64_t& changed);

  storage::Database& db_;
  plans::PlanBook& plans_;
  const Clock& clock_;
};

}  // namespace meterline::subscriptions
