#include "subscriptions/subscription.hpp"

#include <algorithm>

#include "plans/plan_book.hpp"

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

const Phase& Subscription::PhaseAt(TimePoint t) const {
  static const Phase kNone{};
  if (phases.empty()) return kNone;
  const Phase* found = &phases.front();
  for (const Phase& phase : phases) {
    if (phase.from <= t) found = &phase;
  }
  return *found;
}

TimePoint Subscription::FinalFrom(const Segment& segment) const {
  TimePoint out = segment.span.end;
  for (const Phase& phase : phases) {
    if (phase.from == segment.span.end) out = std::max(out, phase.made_at);
  }
  if (ends_at && *ends_at == segment.span.end && canceled_at) out = std::max(out, *canceled_at);
  return out;
}

const Phase* Subscription::ScheduledChange(TimePoint t) const {
  for (const Phase& phase : phases) {
    if (phase.from > t && phase.source == "change" && !EndedBy(phase.from)) return &phase;
  }
  return nullptr;
}

Period Subscription::PeriodAt(TimePoint t) const {
  if (InTrial(t)) return *trial;
  return PeriodContaining(billing_anchor, interval_months, t);
}

std::optional<Segment> Subscription::SegmentAt(TimePoint t) const {
  if (EndedBy(t)) return std::nullopt;
  Period period = PeriodAt(t);
  Period span = period;
  // Phases starting inside the period cut it; so does the end.
  auto cut = [&](TimePoint at) {
    if (at <= period.start || at >= period.end) return;
    if (at <= t) {
      span.start = std::max(span.start, at);
    } else {
      span.end = std::min(span.end, at);
    }
  };
  for (const Phase& phase : phases) cut(phase.from);
  if (ends_at) cut(*ends_at);
  const Phase& phase = PhaseAt(span.start);
  return Segment{span, period, phase.plan_id.empty() ? plan_id : phase.plan_id, phase.version, InTrial(t)};
}

std::optional<Segment> Subscription::FirstSegment() const {
  if (trial) return SegmentAt(trial->start);
  return SegmentAt(base_fee_in_advance ? billing_anchor - std::chrono::milliseconds(1) : billing_anchor);
}

Result<const catalog::Plan*> Subscription::PlanOf(plans::PlanBook& plans, const Segment& segment) const {
  MTL_ASSIGN_OR_RETURN(const catalog::Plan* version, plans.Version(segment.plan_id, segment.version));
  const catalog::Plan* priced = version->InCurrency(currency);
  if (priced == nullptr) {
    return Error(ErrorCode::kConflict, "currency_not_priced",
                 "version " + std::to_string(version->version) + " of plan " + segment.plan_id + " has no prices in " +
                     currency + ", the currency of customer " + customer_id);
  }
  return priced;
}

Result<const catalog::Plan*> Subscription::PlanAt(plans::PlanBook& plans, TimePoint start) const {
  const Phase& phase = PhaseAt(start);
  Segment at{{start, start}, {start, start}, phase.plan_id.empty() ? plan_id : phase.plan_id, phase.version};
  return PlanOf(plans, at);
}

}  // namespace meterline::subscriptions
