// Subscription: which plan (and version of it) a customer is on over time,
// and how that cuts time into the stretches each invoice covers.
//
// Periods run from the billing anchor, one plan interval long. Phases say
// which plan version prices what: a phase starting on a period boundary
// prices whole periods from there (a version move, or a change at period
// end); one starting inside a period (a plan change "now") splits that
// period into segments, each invoiced on its own with its share of the fee
// and allowances. A cancellation ends the last segment at `ends_at`. A free
// trial comes before the first period: the periods run from its end, and the
// trial is a period of its own, without base fee or minimum.
// Pure data and arithmetic: no storage, no clock.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.hpp"
#include "core/clock.hpp"
#include "core/period.hpp"
#include "core/result.hpp"
#include "money/share.hpp"

namespace meterline::plans {
class PlanBook;
}

namespace meterline::subscriptions {

enum class Status { kTrialing, kActive, kPastDue, kCanceled };
const char* StatusName(Status status);
std::optional<Status> ParseStatus(std::string_view text);

// From `from` on, `version` of `plan_id` prices the subscription.
struct Phase {
  TimePoint from;
  std::string plan_id;
  int64_t version = 1;
  // Who made it: "create", "migrate" (a version move) or "change" (a plan
  // change; one still in the future can be withdrawn).
  std::string source = "create";
  TimePoint made_at;  // when it was written
};

// A stretch of one billing period priced by one phase: the whole period, or
// part of it when the plan changed or the subscription ended within it.
// Invoices are one per segment (keyed by its start).
struct Segment {
  Period span;    // [start, end), within `period`
  Period period;  // the billing period it is part of
  std::string plan_id;
  int64_t version = 1;
  bool trial = false;  // part of the free trial (its period is the trial)

  bool Whole() const { return span == period; }
  money::Share Share() const { return money::Share::Of(span, period); }
};

struct Subscription {
  std::string id;  // "sub_…"
  std::string customer_id;
  std::string plan_id;  // as stored: the plan it was created on or last changed to (see PhaseAt)
  Status status = Status::kActive;
  TimePoint billing_anchor;
  TimePoint created_at;
  // The customer's currency: it picks the plan's prices (catalog::Plan::InCurrency).
  std::string currency;
  // Its plan's billing interval in months (1, 3 or 12): its periods' length.
  // Plan changes keep it (they are only between plans with the same terms).
  int interval_months = 1;
  // Its plan invoices the base fee at the start of each period (with the
  // usage of the period before), and so has an opening invoice (see
  // FirstSegment).
  bool base_fee_in_advance = false;
  // Ascending by `from`; the first from the epoch.
  std::vector<Phase> phases;
  // When it stops: no segment starts at or after it. Set by a cancellation.
  std::optional<TimePoint> ends_at;
  // When the cancellation was asked for.
  std::optional<TimePoint> canceled_at;
  // Its free trial: from when it started to billing_anchor (its end). Only
  // Meterline's own trials; a trial Stripe runs is not one.
  std::optional<Period> trial;

  // The billing period containing `t`: the trial during it.
  Period PeriodAt(TimePoint t) const;
  // Whether `t` falls in its trial.
  bool InTrial(TimePoint t) const { return trial && trial->Contains(t); }
  // The phase in force at `t`.
  const Phase& PhaseAt(TimePoint t) const;
  // The version of its plan that prices the period starting at `period_start`
  // (the phase in force then).
  int64_t VersionAt(TimePoint period_start) const { return PhaseAt(period_start).version; }
  // The segment containing `t`; nullopt at or after ends_at.
  std::optional<Segment> SegmentAt(TimePoint t) const;
  // The first segment with an invoice: the trial's, else the one starting at
  // the anchor, or for a base fee in advance the one ending there, whose
  // invoice (the opening invoice) holds only the first period's base fee.
  // nullopt when it ended before that.
  std::optional<Segment> FirstSegment() const;
  // The segment after `s`; nullopt when `s` is the last.
  std::optional<Segment> Next(const Segment& s) const { return SegmentAt(s.span.end); }
  // Whether it has ended by `t`.
  bool EndedBy(TimePoint t) const { return ends_at && *ends_at <= t; }
  // From when `segment` is final: its end, or when the change or
  // cancellation that ended it was made, if later (a change "now" ends the
  // part before it at the start of the hour). Its invoice is made, and late
  // events for it refused, once a grace has passed since.
  TimePoint FinalFrom(const Segment& segment) const;
  // A plan change that starts after `t`, if one is scheduled.
  const Phase* ScheduledChange(TimePoint t) const;

  // A segment's plan version in the customer's currency. kNotFound when the
  // version is missing; kConflict "currency_not_priced" when it has no prices in it.
  Result<const catalog::Plan*> PlanOf(plans::PlanBook& plans, const Segment& segment) const;
  // The same for the period (or segment) starting at `start`.
  Result<const catalog::Plan*> PlanAt(plans::PlanBook& plans, TimePoint start) const;
};

}  // namespace meterline::subscriptions
