// Subscriptions: creating one (admins), reading one, and its lifecycle: plan
// changes with a preview of the invoices they make, withdrawing a scheduled
// change, cancellation and reactivation (docs/subscriptions.md). Admins may
// act on any subscription; members on their own customer's when
// SELF_SERVICE_PLAN_CHANGES is on. Another customer's subscription is a 404.
#include <boost/json/value.hpp>

#include "api/handlers.hpp"
#include "api/input.hpp"
#include "api/invoice_json.hpp"
#include "api/scope.hpp"
#include "invoicing/invoice_service.hpp"
#include "subscriptions/subscription_service.hpp"

namespace meterline::api {

namespace {

namespace json = boost::json;

json::object PeriodJson(const Period& p) { return {{"start", FormatIso8601(p.start)}, {"end", FormatIso8601(p.end)}}; }

json::object SubscriptionJson(const subscriptions::Subscription& sub, TimePoint now) {
  // After its end, the last segment it had.
  auto segment = sub.SegmentAt(sub.EndedBy(now) ? *sub.ends_at - std::chrono::milliseconds(1) : now);
  const subscriptions::Phase& phase = sub.PhaseAt(now);
  json::object out{{"object", "subscription"},
                   {"id", sub.id},
                   {"customer_id", sub.customer_id},
                   {"plan_id", phase.plan_id},
                   {"plan_version", phase.version},
                   {"status", subscriptions::StatusName(sub.status)},
                   {"billing_anchor", FormatIso8601(sub.billing_anchor)},
                   {"interval", catalog::IntervalName(sub.interval_months)},
                   {"currency", sub.currency},
                   {"current_period", segment ? json::value(PeriodJson(segment->period)) : json::value(nullptr)},
                   {"current_segment", segment ? json::value(PeriodJson(segment->span)) : json::value(nullptr)},
                   {"cancel_at", TimeOrNull(sub.EndedBy(now) ? std::nullopt : sub.ends_at)},
                   {"ended_at", TimeOrNull(sub.EndedBy(now) ? sub.ends_at : std::nullopt)},
                   {"canceled_at", TimeOrNull(sub.canceled_at)},
                   {"trial", sub.trial ? json::value(PeriodJson(*sub.trial)) : json::value(nullptr)},
                   {"created_at", FormatIso8601(sub.created_at)}};
  if (const subscriptions::Phase* next = sub.ScheduledChange(now)) {
    out["scheduled_change"] = {
        {"plan_id", next->plan_id}, {"plan_version", next->version}, {"effective_at", FormatIso8601(next->from)}};
  } else {
    out["scheduled_change"] = nullptr;
  }
  json::array phases;
  for (const subscriptions::Phase& p : sub.phases) {
    phases.push_back(
        {{"from", FormatIso8601(p.from)}, {"plan_id", p.plan_id}, {"plan_version", p.version}, {"source", p.source}});
  }
  out["phases"] = std::move(phases);
  return out;
}

json::object ChangeJson(const subscriptions::PlanChange& change) {
  return {{"from_plan", change.from_plan},
          {"from_version", change.from_version},
          {"to_plan", change.to_plan},
          {"to_version", change.to_version},
          {"upgrade", change.upgrade},
          {"effective", subscriptions::TimingName(change.timing)},
          {"effective_at", FormatIso8601(change.at)}};
}

// The subscription the path names, if the caller may see it.
Result<subscriptions::Subscription> Visible(ApiContext& context, const http::Request& request) {
  std::string id(request.PathParam("id"));
  auto sub = context.subscriptions.Get(id);
  if (!sub.ok()) return std::move(sub).error();
  if (!CanSeeCustomer(*request.principal, sub->customer_id)) return NotVisible("subscription", id);
  return sub;
}

// The same, for a change: members only with self-service on.
Result<subscriptions::Subscription> Changeable(ApiContext& context, const http::Request& request) {
  MTL_ASSIGN_OR_RETURN(auto sub, Visible(context, request));
  if (request.principal->role != Role::kAdmin && !context.self_service_plan_changes) {
    return Error(ErrorCode::kPermissionDenied, "self_service_disabled",
                 "plan changes and cancellations are made by an administrator here (SELF_SERVICE_PLAN_CHANGES is off)");
  }
  return sub;
}

Result<subscriptions::PlanChangeRequest> ChangeRequestOf(const http::Request& request) {
  MTL_ASSIGN_OR_RETURN(auto body, BodyObject(request));
  MTL_RETURN_IF_ERROR(RejectUnknownFields(body, {"plan", "version", "effective"}));
  subscriptions::PlanChangeRequest out;
  MTL_ASSIGN_OR_RETURN(out.plan_id, RequiredString(body, "plan", 64));
  if (auto v = body.find("version"); v != body.end() && !v->value().is_null()) {
    if (!v->value().is_int64() || v->value().as_int64() < 1) {
      return InvalidParam("version", "version must be a positive integer");
    }
    out.version = v->value().as_int64();
  }
  MTL_ASSIGN_OR_RETURN(auto effective, OptionalString(body, "effective", 20));
  if (!effective.empty()) {
    out.timing = subscriptions::ParseTiming(effective);
    if (!out.timing) return InvalidParam("effective", "effective must be now or period_end");
  }
  return out;
}

// When an invoice of `segment` is made: once its late window has closed.
TimePoint InvoicedAt(const ApiContext& context, const Period& span) {
  return span.end + context.invoices.options().grace;
}

Result<json::object> PreviewPart(ApiContext& context, const subscriptions::Subscription& after,
                                 const subscriptions::Segment& segment, const char* part) {
  MTL_ASSIGN_OR_RETURN(auto amounts, context.invoices.Preview(after, segment));
  const std::string& currency = after.currency;
  return json::object{{"part", part},
                      {"period", PeriodJson(segment.span)},
                      {"plan_id", segment.plan_id},
                      {"plan_version", segment.version},
                      {"prorated", !segment.Whole()},
                      {"invoiced_at", FormatIso8601(InvoicedAt(context, segment.span))},
                      {"currency", currency},
                      {"lines", LinesJson(amounts.lines, currency)},
                      {"subtotal", AmountJson(amounts.subtotal_minor, currency)},
                      {"tax", AmountJson(amounts.tax_minor, currency)},
                      {"total", AmountJson(amounts.total_minor, currency)}};
}

}  // namespace

http::Handler CreateSubscription(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    MTL_ASSIGN_OR_RETURN(auto body, BodyObject(request));
    MTL_RETURN_IF_ERROR(
        RejectUnknownFields(body, {"customer_id", "plan_id", "billing_anchor", "status", "trial_days"}));
    auto customer_id = RequiredString(body, "customer_id", 64);
    if (!customer_id.ok()) return std::move(customer_id).error();
    auto plan_id = RequiredString(body, "plan_id", 64);
    if (!plan_id.ok()) return std::move(plan_id).error();
    MTL_ASSIGN_OR_RETURN(auto anchor_text, OptionalString(body, "billing_anchor", 40));
    TimePoint anchor = context.clock.Now();
    if (!anchor_text.empty()) {
      auto parsed = ParseIso8601(anchor_text);
      if (!parsed) return InvalidParam("billing_anchor", "billing_anchor must be an RFC 3339 timestamp");
      anchor = *parsed;
    }
    MTL_ASSIGN_OR_RETURN(auto status_text, OptionalString(body, "status", 20));
    auto status = subscriptions::ParseStatus(status_text.empty() ? "active" : status_text);
    if (!status) return InvalidParam("status", "status must be trialing, active, past_due or canceled");
    // Absent: the plan's trial, if it has one.
    MTL_ASSIGN_OR_RETURN(auto trial_days, OptionalInt(body, "trial_days", 0, catalog::kMaxTrialDays));
    if (trial_days && *trial_days > 0 && !status_text.empty() && *status != subscriptions::Status::kTrialing) {
      return InvalidParam("status", "a subscription with a trial starts trialing; leave status out");
    }
    MTL_ASSIGN_OR_RETURN(auto sub, context.subscriptions.Create(
                                       *customer_id, *plan_id, anchor, *status, request.principal->id,
                                       trial_days ? std::optional<int>(static_cast<int>(*trial_days)) : std::nullopt));
    return JsonResponse(201, SubscriptionJson(sub, context.clock.Now()));
  };
}

http::Handler GetSubscription(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    MTL_ASSIGN_OR_RETURN(auto sub, Visible(context, request));
    return JsonResponse(200, SubscriptionJson(sub, context.clock.Now()));
  };
}

http::Handler ChangeSubscriptionPlan(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    MTL_ASSIGN_OR_RETURN(auto sub, Changeable(context, request));
    MTL_ASSIGN_OR_RETURN(auto change_request, ChangeRequestOf(request));
    MTL_ASSIGN_OR_RETURN(auto change, context.subscriptions.ChangePlan(sub.id, change_request, request.principal->id));
    return JsonResponse(200, json::object{{"object", "plan_change"},
                                          {"change", ChangeJson(change)},
                                          {"subscription", SubscriptionJson(change.after, context.clock.Now())}});
  };
}

http::Handler PreviewSubscriptionPlanChange(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    // Members may look even without self-service: it changes nothing.
    MTL_ASSIGN_OR_RETURN(auto sub, Visible(context, request));
    MTL_ASSIGN_OR_RETURN(auto change_request, ChangeRequestOf(request));
    MTL_ASSIGN_OR_RETURN(auto change, context.subscriptions.PlanChangeFor(sub, change_request));
    const subscriptions::Subscription& after = change.after;
    // The invoice of the stretch before the change and of the one after it.
    auto before = after.SegmentAt(change.at - std::chrono::milliseconds(1));
    auto from = after.SegmentAt(change.at);
    json::array parts;
    // A change now at a period's start splits nothing: the period before is not touched.
    bool split = change.timing == subscriptions::Timing::kPeriodEnd || (from && change.at > from->period.start);
    if (before && split) {
      MTL_ASSIGN_OR_RETURN(auto part, PreviewPart(context, after, *before, "before"));
      parts.push_back(std::move(part));
    }
    if (from) {
      MTL_ASSIGN_OR_RETURN(auto part, PreviewPart(context, after, *from, "after"));
      parts.push_back(std::move(part));
    }
    return JsonResponse(
        200,
        json::object{{"object", "plan_change_preview"}, {"change", ChangeJson(change)}, {"parts", std::move(parts)}});
  };
}

http::Handler WithdrawScheduledChange(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    MTL_ASSIGN_OR_RETURN(auto sub, Changeable(context, request));
    MTL_ASSIGN_OR_RETURN(auto after, context.subscriptions.WithdrawScheduledChange(sub.id, request.principal->id));
    return JsonResponse(200, SubscriptionJson(after, context.clock.Now()));
  };
}

http::Handler CancelSubscription(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    MTL_ASSIGN_OR_RETURN(auto sub, Changeable(context, request));
    MTL_ASSIGN_OR_RETURN(auto body, BodyObject(request));
    MTL_RETURN_IF_ERROR(RejectUnknownFields(body, {"at"}));
    MTL_ASSIGN_OR_RETURN(auto at_text, OptionalString(body, "at", 20));
    auto timing = subscriptions::ParseTiming(at_text.empty() ? "period_end" : at_text);
    if (!timing) return InvalidParam("at", "at must be period_end or now");
    MTL_ASSIGN_OR_RETURN(auto after, context.subscriptions.Cancel(sub.id, *timing, request.principal->id));
    return JsonResponse(200, SubscriptionJson(after, context.clock.Now()));
  };
}

http::Handler ReactivateSubscription(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    MTL_ASSIGN_OR_RETURN(auto sub, Changeable(context, request));
    MTL_ASSIGN_OR_RETURN(auto after, context.subscriptions.Reactivate(sub.id, request.principal->id));
    return JsonResponse(200, SubscriptionJson(after, context.clock.Now()));
  };
}

}  // namespace meterline::api
