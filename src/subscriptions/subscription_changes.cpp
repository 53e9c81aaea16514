// SubscriptionService's lifecycle: plan changes, cancellation, reactivation,
// and catching stored state up with time (docs/subscriptions.md).
#include <boost/json/object.hpp>

#include <algorithm>

#include "audit/audit_log.hpp"
#include "core/log.hpp"
#include "outbox/events.hpp"
#include "subscriptions/subscription_service.hpp"

namespace meterline::subscriptions {

namespace {

namespace json = boost::json;

Error Ended(const Subscription& sub) {
  return Error(ErrorCode::kConflict, "subscription_ended",
               "subscription " + sub.id + " is canceled" +
                   (sub.ends_at ? " (it ended at " + FormatIso8601(*sub.ends_at) + ")" : std::string()) +
                   "; a canceled subscription stays canceled: create a new one");
}

json::value OptTime(const std::optional<TimePoint>& t) {
  return t ? json::value(FormatIso8601(*t)) : json::value(nullptr);
}

// The payload of subscription.* events: the subscription as it is after the change.
json::object EventPayload(const Subscription& sub, TimePoint now) {
  const Phase& phase = sub.PhaseAt(now);
  json::object out{{"subscription_id", sub.id}, {"customer_id", sub.customer_id}, {"status", StatusName(sub.status)},
                   {"plan", phase.plan_id},     {"plan_version", phase.version},  {"cancel_at", OptTime(sub.ends_at)}};
  out["trial_end"] = sub.trial ? json::value(FormatIso8601(sub.trial->end)) : json::value(nullptr);
  if (const Phase* next = sub.ScheduledChange(now)) {
    out["scheduled_change"] = {
        {"plan", next->plan_id}, {"plan_version", next->version}, {"effective_at", FormatIso8601(next->from)}};
  } else {
    out["scheduled_change"] = nullptr;
  }
  return out;
}

}  // namespace

const char* TimingName(Timing timing) { return timing == Timing::kNow ? "now" : "period_end"; }

std::optional<Timing> ParseTiming(std::string_view text) {
  if (text == "now") return Timing::kNow;
  if (text == "period_end") return Timing::kPeriodEnd;
  return std::nullopt;
}

Result<PlanChange> SubscriptionService::PlanChangeFor(const Subscription& sub, const PlanChangeRequest& request) {
  TimePoint now = clock_.Now();
  if (sub.status == Status::kCanceled || sub.EndedBy(now)) return Ended(sub);
  auto record = plans_.Get(request.plan_id);
  if (!record.ok()) {
    if (record.error().code == ErrorCode::kNotFound) {
      return InvalidParam("plan", "no plan '" + request.plan_id.substr(0, 64) + "'");
    }
    return std::move(record).error();
  }
  if (record->archived_at) return InvalidParam("plan", "plan " + request.plan_id + " is archived");
  int64_t version = request.version != 0 ? request.version : record->CurrentAt(now).plan.version;
  auto found = std::find_if(record->versions.begin(), record->versions.end(),
                            [&](const plans::PlanVersion& v) { return v.plan.version == version; });
  if (found == record->versions.end()) {
    return InvalidParam("version", "plan " + request.plan_id + " has no version " + std::to_string(version));
  }
  const catalog::Plan& target = found->plan;
  if (target.interval_months != sub.interval_months || target.base_fee_in_advance != sub.base_fee_in_advance) {
    return InvalidParam("plan", "plan " + request.plan_id + " bills per " +
                                    std::string(catalog::IntervalName(target.interval_months)) + " with its fee " +
                                    (target.base_fee_in_advance ? "in advance" : "in arrears") +
                                    "; a plan change keeps the subscription's billing interval and fee timing "
                                    "(cancel and subscribe anew to change them)");
  }
  const catalog::Plan* priced = target.InCurrency(sub.currency);
  if (priced == nullptr) {
    return InvalidParam("plan", "plan " + request.plan_id + " has no prices in " + sub.currency + ", which customer " +
                                    sub.customer_id + " pays in");
  }
  std::optional<Segment> current = sub.SegmentAt(now);
  if (!current) return Ended(sub);
  MTL_ASSIGN_OR_RETURN(const catalog::Plan* current_plan, sub.PlanOf(plans_, *current));

  PlanChange change;
  change.from_plan = current->plan_id;
  change.from_version = current->version;
  change.to_plan = request.plan_id;
  change.to_version = version;
  change.upgrade = priced->base_fee_minor > current_plan->base_fee_minor;
  change.timing = request.timing.value_or(change.upgrade ? Timing::kNow : Timing::kPeriodEnd);
  change.at = change.timing == Timing::kNow ? HourStart(now) : current->period.end;
  if (sub.EndedBy(change.at)) {
    return Error(ErrorCode::kConflict, "subscription_ended",
                 "subscription " + sub.id + " ends at " + FormatIso8601(*sub.ends_at) +
                     "; reactivate it before changing its plan at period end");
  }
  const Phase& then = sub.PhaseAt(change.at);
  if (then.plan_id == change.to_plan && then.version == change.to_version) {
    return Error(ErrorCode::kConflict, "no_change",
                 "subscription " + sub.id + " is on version " + std::to_string(version) + " of " + request.plan_id +
                     " then already" + (sub.ScheduledChange(now) ? " (withdraw the scheduled change to stay)" : ""));
  }
  // The new phase replaces every phase from its instant on; when the phase
  // before it is the same version already (a change back within the hour,
  // or to what a scheduled change would leave), dropping them is the change,
  // and the period is not split.
  change.after = sub;
  std::erase_if(change.after.phases, [&](const Phase& p) { return p.from >= change.at; });
  const Phase* before = change.after.phases.empty() ? nullptr : &change.after.phases.back();
  change.merges = before != nullptr && before->plan_id == change.to_plan && before->version == change.to_version;
  if (!change.merges) change.after.phases.push_back({change.at, change.to_plan, change.to_version, "change", now});
  if (change.timing == Timing::kNow) change.after.plan_id = change.to_plan;
  return change;
}

Result<Subscription> SubscriptionService::LockForChange(storage::Transaction& tx, const std::string& id,
                                                        TimePoint now) {
  // Touching the row first makes concurrent changes of one subscription take turns.
  MTL_ASSIGN_OR_RETURN(auto touched,
                       tx.Execute("UPDATE subscriptions SET updated_at = $2 WHERE id = $1", {id, ToUnixMillis(now)}));
  if (touched.affected_rows == 0) return NotFound("no subscription " + id);
  MTL_ASSIGN_OR_RETURN(auto found, FindById(tx, id));
  if (!found) return NotFound("no subscription " + id);
  return *std::move(found);
}

Result<PlanChange> SubscriptionService::ChangePlan(const std::string& id, const PlanChangeRequest& request,
                                                   const std::string& actor) {
  PlanChange change;
  MTL_RETURN_IF_ERROR(db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> meterline::Status {
    TimePoint now = clock_.Now();
    MTL_ASSIGN_OR_RETURN(auto sub, LockForChange(tx, id, now));
    MTL_ASSIGN_OR_RETURN(change, PlanChangeFor(sub, request));
    MTL_RETURN_IF_ERROR(
        tx.Execute("DELETE FROM subscription_plan_versions WHERE subscription_id = $1 AND effective_from >= $2",
                   {id, ToUnixMillis(change.at)}));
    if (!change.merges) {
      MTL_RETURN_IF_ERROR(
          tx.Execute("INSERT INTO subscription_plan_versions (subscription_id, effective_from, plan_id, plan_version, "
                     "source, created_by, created_at) VALUES ($1, $2, $3, $4, 'change', $5, $6)",
                     {id, ToUnixMillis(change.at), change.to_plan, change.to_version, actor, ToUnixMillis(now)}));
    }
    if (change.timing == Timing::kNow) {
      MTL_RETURN_IF_ERROR(tx.Execute("UPDATE subscriptions SET plan_id = $2 WHERE id = $1", {id, change.to_plan}));
    }
    MTL_RETURN_IF_ERROR(audit::Record(tx, clock_,
                                      {actor,
                                       "subscription.change",
                                       sub.customer_id,
                                       {{"subscription_id", id},
                                        {"from_plan", change.from_plan},
                                        {"from_version", change.from_version},
                                        {"to_plan", change.to_plan},
                                        {"to_version", change.to_version},
                                        {"effective", TimingName(change.timing)},
                                        {"at", FormatIso8601(change.at)}},
                                       {}}));
    return outbox::Publish(tx, {"subscription.updated", sub.customer_id, EventPayload(change.after, now), now});
  }));
  return change;
}

Result<Subscription> SubscriptionService::WithdrawScheduledChange(const std::string& id, const std::string& actor) {
  Subscription out;
  MTL_RETURN_IF_ERROR(db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> meterline::Status {
    TimePoint now = clock_.Now();
    MTL_ASSIGN_OR_RETURN(out, LockForChange(tx, id, now));
    const Phase* scheduled = out.ScheduledChange(now);
    if (scheduled == nullptr) return NotFound("subscription " + id + " has no scheduled plan change");
    Phase withdrawn = *scheduled;
    MTL_RETURN_IF_ERROR(
        tx.Execute("DELETE FROM subscription_plan_versions WHERE subscription_id = $1 AND "
                   "effective_from = $2 AND source = 'change'",
                   {id, ToUnixMillis(withdrawn.from)}));
    std::erase_if(out.phases, [&](const Phase& p) { return p.from == withdrawn.from; });
    MTL_RETURN_IF_ERROR(audit::Record(tx, clock_,
                                      {actor,
                                       "subscription.change_withdrawn",
                                       out.customer_id,
                                       {{"subscription_id", id},
                                        {"plan", withdrawn.plan_id},
                                        {"plan_version", withdrawn.version},
                                        {"at", FormatIso8601(withdrawn.from)}},
                                       {}}));
    return outbox::Publish(tx, {"subscription.updated", out.customer_id, EventPayload(out, now), now});
  }));
  return out;
}

Result<Subscription> SubscriptionService::Cancel(const std::string& id, Timing timing, const std::string& actor) {
  Subscription out;
  MTL_RETURN_IF_ERROR(db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> meterline::Status {
    TimePoint now = clock_.Now();
    MTL_ASSIGN_OR_RETURN(out, LockForChange(tx, id, now));
    if (out.status == Status::kCanceled || out.EndedBy(now)) return Ended(out);
    Period period = out.PeriodAt(now);
    // Now: the end of the current hour, so the usage already sent this hour
    // is on the final invoice (and within the period).
    TimePoint ends_at =
        timing == Timing::kNow ? std::min(HourStart(now) + std::chrono::hours(1), period.end) : period.end;
    if (out.ends_at && *out.ends_at < ends_at) ends_at = *out.ends_at;  // never later than already set
    out.ends_at = ends_at;
    out.canceled_at = now;
    if (timing == Timing::kNow) out.status = Status::kCanceled;
    std::erase_if(out.phases,
                  [&](const Phase& p) { return p.from >= ends_at && p.from.time_since_epoch().count() != 0; });
    MTL_RETURN_IF_ERROR(
        tx.Execute("DELETE FROM subscription_plan_versions WHERE subscription_id = $1 AND "
                   "effective_from >= $2 AND effective_from > 0",
                   {id, ToUnixMillis(ends_at)}));
    MTL_RETURN_IF_ERROR(tx.Execute(
        "UPDATE subscriptions SET ends_at = $2, canceled_at = $3, status = $4, updated_at = $3 WHERE id = $1",
        {id, ToUnixMillis(ends_at), ToUnixMillis(now), StatusName(out.status)}));
    MTL_RETURN_IF_ERROR(
        audit::Record(tx, clock_,
                      {actor,
                       "subscription.cancel",
                       out.customer_id,
                       {{"subscription_id", id}, {"at", TimingName(timing)}, {"ends_at", FormatIso8601(ends_at)}},
                       {}}));
    return outbox::Publish(tx, {timing == Timing::kNow ? "subscription.canceled" : "subscription.updated",
                                out.customer_id, EventPayload(out, now), now});
  }));
  return out;
}

Result<Subscription> SubscriptionService::Reactivate(const std::string& id, const std::string& actor) {
  Subscription out;
  MTL_RETURN_IF_ERROR(db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> meterline::Status {
    TimePoint now = clock_.Now();
    MTL_ASSIGN_OR_RETURN(out, LockForChange(tx, id, now));
    if (out.status == Status::kCanceled || out.EndedBy(now)) return Ended(out);
    if (!out.ends_at) {
      return Error(ErrorCode::kConflict, "not_scheduled_to_end",
                   "subscription " + id + " is not scheduled to end; nothing to reactivate");
    }
    out.ends_at.reset();
    out.canceled_at.reset();
    MTL_RETURN_IF_ERROR(
        tx.Execute("UPDATE subscriptions SET ends_at = NULL, canceled_at = NULL, updated_at = $2 WHERE id = $1",
                   {id, ToUnixMillis(now)}));
    MTL_RETURN_IF_ERROR(
        audit::Record(tx, clock_, {actor, "subscription.reactivate", out.customer_id, {{"subscription_id", id}}, {}}));
    return outbox::Publish(tx, {"subscription.updated", out.customer_id, EventPayload(out, now), now});
  }));
  return out;
}

Result<bool> SubscriptionService::SetPastDue(storage::Transaction& tx, const Clock& clock, const std::string& id,
                                             bool past_due, const std::string& actor, const json::object& why) {
  TimePoint now = clock.Now();
  const char* from = past_due ? "active" : "past_due";
  const char* to = past_due ? "past_due" : "active";
  MTL_ASSIGN_OR_RETURN(auto changed, tx.Execute("UPDATE subscriptions SET status = $2, updated_at = $4 WHERE id = $1 "
                                                "AND status = $3",
                                                {id, to, from, ToUnixMillis(now)}));
  if (changed.affected_rows == 0) return false;
  MTL_ASSIGN_OR_RETURN(auto sub, FindById(tx, id));
  if (!sub) return NotFound("no subscription " + id);
  json::object data = why;
  data["subscription_id"] = id;
  data["status"] = to;
  MTL_RETURN_IF_ERROR(audit::Record(
      tx, clock,
      {actor, past_due ? "subscription.past_due" : "subscription.payment_recovered", sub->customer_id, data, {}}));
  MTL_RETURN_IF_ERROR(outbox::Publish(tx, {"subscription.updated", sub->customer_id, EventPayload(*sub, now), now}));
  return true;
}

Result<int64_t> SubscriptionService::ApplyDue() {
  int64_t changed = 0;
  MTL_RETURN_IF_ERROR(db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> meterline::Status {
    changed = 0;
    TimePoint now = clock_.Now();
    int64_t now_ms = ToUnixMillis(now);
    MTL_ASSIGN_OR_RETURN(auto ended, tx.Execute("SELECT id FROM subscriptions WHERE ends_at IS NOT NULL AND "
                                                "ends_at <= $1 AND status <> 'canceled' ORDER BY id",
                                                {now_ms}));
    for (const storage::Row& row : ended.rows) {
      MTL_ASSIGN_OR_RETURN(auto sub, LockForChange(tx, row.Text(0), now));
      sub.status = Status::kCanceled;
      MTL_RETURN_IF_ERROR(
          tx.Execute("UPDATE subscriptions SET status = 'canceled' WHERE id = $1 AND status <> 'canceled'", {sub.id}));
      MTL_RETURN_IF_ERROR(audit::Record(
          tx, clock_, {"system", "subscription.ended", sub.customer_id, {{"subscription_id", sub.id}}, {}}));
      MTL_RETURN_IF_ERROR(outbox::Publish(tx, {"subscription.canceled", sub.customer_id, EventPayload(sub, now), now}));
      ++changed;
    }
    MTL_RETURN_IF_ERROR(EndTrials(tx, now, changed));
    MTL_RETURN_IF_ERROR(NoticeTrialsEnding(tx, now));
    // Scheduled changes that took effect: the phase in force names another plan.
    MTL_ASSIGN_OR_RETURN(
        auto moved,
        tx.Execute("SELECT s.id, v.plan_id FROM subscriptions s JOIN subscription_plan_versions v ON "
                   "v.subscription_id = s.id WHERE v.effective_from = (SELECT MAX(w.effective_from) FROM "
                   "subscription_plan_versions w WHERE w.subscription_id = s.id AND w.effective_from <= $1) "
                   "AND v.plan_id <> s.plan_id AND v.plan_id <> '' AND s.status <> 'canceled' ORDER BY s.id",
                   {now_ms}));
    for (const storage::Row& row : moved.rows) {
      MTL_ASSIGN_OR_RETURN(auto sub, LockForChange(tx, row.Text(0), now));
      sub.plan_id = row.Text(1);
      MTL_RETURN_IF_ERROR(tx.Execute("UPDATE subscriptions SET plan_id = $2 WHERE id = $1", {sub.id, sub.plan_id}));
      MTL_RETURN_IF_ERROR(outbox::Publish(tx, {"subscription.updated", sub.customer_id, EventPayload(sub, now), now}));
      ++changed;
    }
    return OkStatus();
  }));
  return changed;
}

// Stripe sends customer.subscription.trial_will_end three days before a
// trial ends; ours does the same, once, for trials that will go on into a
// period (not those canceled to end with the trial).
meterline::Status SubscriptionService::NoticeTrialsEnding(storage::Transaction& tx, TimePoint now) {
  constexpr auto kNotice = std::chrono::hours(24 * 3);
  MTL_ASSIGN_OR_RETURN(auto due, tx.Execute("SELECT id FROM subscriptions WHERE trial_start IS NOT NULL AND "
                                            "status = 'trialing' AND trial_notice_at IS NULL AND "
                                            "billing_anchor > $1 AND billing_anchor <= $2 AND "
                                            "(ends_at IS NULL OR ends_at > billing_anchor) ORDER BY id",
                                            {ToUnixMillis(now), ToUnixMillis(now + kNotice)}));
  for (const storage::Row& row : due.rows) {
    MTL_ASSIGN_OR_RETURN(auto sub, LockForChange(tx, row.Text(0), now));
    MTL_ASSIGN_OR_RETURN(auto marked, tx.Execute("UPDATE subscriptions SET trial_notice_at = $2 WHERE id = $1 AND "
                                                 "trial_notice_at IS NULL",
                                                 {sub.id, ToUnixMillis(now)}));
    if (marked.affected_rows != 1) continue;
    MTL_RETURN_IF_ERROR(
        outbox::Publish(tx, {"subscription.trial_will_end", sub.customer_id, EventPayload(sub, now), now}));
  }
  return OkStatus();
}

meterline::Status SubscriptionService::EndTrials(storage::Transaction& tx, TimePoint now, int64_t& changed) {
  MTL_ASSIGN_OR_RETURN(auto ended, tx.Execute("SELECT id FROM subscriptions WHERE trial_start IS NOT NULL AND "
                                              "status = 'trialing' AND billing_anchor <= $1 ORDER BY id",
                                              {ToUnixMillis(now)}));
  for (const storage::Row& row : ended.rows) {
    MTL_ASSIGN_OR_RETURN(auto sub, LockForChange(tx, row.Text(0), now));
    if (!sub.trial || sub.status != Status::kTrialing) continue;
    TimePoint trial_end = sub.trial->end;
    // The plan it goes on with decides whether a payment method is needed.
    bool needs_method = false;
    if (auto plan = sub.PlanAt(plans_, trial_end); plan.ok()) {
      needs_method = (*plan)->trial.requires_payment_method;
    } else {
      log::Warn("trial end: its plan is unreadable; no payment method required",
                {{"subscription_id", sub.id}, {"error", plan.error().message}});
    }
    bool has_method = false;
    if (needs_method) {
      MTL_ASSIGN_OR_RETURN(auto method,
                           tx.Execute("SELECT default_payment_method FROM customers WHERE id = $1", {sub.customer_id}));
      has_method = !method.rows.empty() && !method.rows[0].OptText(0).value_or("").empty();
    }
    json::object audit{{"subscription_id", sub.id}, {"trial_end", FormatIso8601(trial_end)}};
    if (needs_method && !has_method) {
      // Canceled at the trial's end: nothing after it is billed.
      sub.status = Status::kCanceled;
      sub.ends_at = trial_end;
      sub.canceled_at = now;
      std::erase_if(sub.phases,
                    [&](const Phase& p) { return p.from >= trial_end && p.from.time_since_epoch().count() != 0; });
      MTL_RETURN_IF_ERROR(
          tx.Execute("DELETE FROM subscription_plan_versions WHERE subscription_id = $1 AND "
                     "effective_from >= $2 AND effective_from > 0",
                     {sub.id, ToUnixMillis(trial_end)}));
      MTL_RETURN_IF_ERROR(
          tx.Execute("UPDATE subscriptions SET status = 'canceled', ends_at = $2, canceled_at = $3 "
                     "WHERE id = $1",
                     {sub.id, ToUnixMillis(trial_end), ToUnixMillis(now)}));
      audit["outcome"] = "canceled";
      audit["reason"] = "no_payment_method";
    } else {
      sub.status = Status::kActive;
      MTL_RETURN_IF_ERROR(tx.Execute("UPDATE subscriptions SET status = 'active' WHERE id = $1", {sub.id}));
      audit["outcome"] = "active";
    }
    MTL_RETURN_IF_ERROR(audit::Record(tx, clock_, {"system", "subscription.trial_end", sub.customer_id, audit, {}}));
    json::object payload = EventPayload(sub, now);
    if (sub.status == Status::kCanceled) payload["cancellation_reason"] = "no_payment_method";
    MTL_RETURN_IF_ERROR(
        outbox::Publish(tx, {sub.status == Status::kCanceled ? "subscription.canceled" : "subscription.updated",
                             sub.customer_id, std::move(payload), now}));
    ++changed;
  }
  return OkStatus();
}

}  // namespace meterline::subscriptions
