// Stripe webhooks: verify the signature on the raw body, record the event
// once, acknowledge fast. Processing runs later (stripe/webhook_inbox.hpp).
#include <boost/json/value.hpp>

#include <charconv>

#include "api/handlers.hpp"
#include "api/input.hpp"
#include "core/log.hpp"
#include "observability/metrics.hpp"
#include "stripe/webhook_inbox.hpp"
#include "stripe/webhook_processor.hpp"
#include "stripe/webhook_signature.hpp"

namespace meterline::api {

namespace json = boost::json;

http::Handler StripeWebhook(ApiContext& context) {
  auto& outcomes = context.metrics.AddCounter("meterline_stripe_webhooks_total",
                                              "Stripe webhook deliveries by outcome.", {"outcome"});
  return [&context, &outcomes](http::Request& request) -> Result<http::Response> {
    if (context.stripe_webhook_secret.empty()) {
      outcomes.WithLabels({"not_configured"}).Inc();
      return Error(ErrorCode::kUnavailable, "not_configured",
                   "Stripe webhooks are not configured (STRIPE_WEBHOOK_SECRET)");
    }
    Status verified = stripe::VerifyWebhookSignature(request.headers.Get("Stripe-Signature"), request.body,
                                                     context.stripe_webhook_secret, context.clock.Now());
    if (!verified.ok()) {
      outcomes.WithLabels({"rejected"}).Inc();
      log::Warn("stripe webhook rejected", {{"reason", verified.error().Reason()}});
      return std::move(verified).error();
    }
    auto accepted = context.webhook_inbox.Record(request.body);
    if (!accepted.ok()) {
      outcomes.WithLabels({"invalid"}).Inc();
      return std::move(accepted).error();
    }
    outcomes.WithLabels({accepted->duplicate ? "duplicate" : "accepted"}).Inc();
    json::object out;
    out["received"] = true;
    out["id"] = accepted->stripe_event_id;
    out["duplicate"] = accepted->duplicate;
    return JsonResponse(200, out);
  };
}

http::Handler ListStripeWebhookEvents(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    std::optional<stripe::EventStatus> status;
    if (auto text = request.QueryParam("status"); text && !text->empty()) {
      status = stripe::ParseEventStatus(*text);
      if (!status) return InvalidParam("status", "status must be one of pending, processing, processed, failed, dead");
    }
    MTL_ASSIGN_OR_RETURN(auto page, PageOf(request, {.default_limit = 50, .max_limit = 500, .cursors = true}));
    MTL_ASSIGN_OR_RETURN(auto events, context.webhook_inbox.List(status, page));
    return JsonResponse(
        200, ListJson(events, page, [](const stripe::RecordedEvent& e) -> json::object {
          return {
              {"id", e.id},
              {"stripe_event_id", e.stripe_event_id},
              {"type", e.type},
              {"event_created", e.event_created},
              {"status", stripe::EventStatusName(e.status)},
              {"attempts", e.attempts},
              {"last_error", e.last_error.empty() ? json::value(nullptr) : json::value(e.last_error)},
              {"outcome", e.outcome.empty() ? json::value(nullptr) : json::value(e.outcome)},
              {"received_at", FormatIso8601(e.received_at)},
              {"processed_at", e.processed_at ? json::value(FormatIso8601(*e.processed_at)) : json::value(nullptr)}};
        }));
  };
}

http::Handler RetryStripeWebhookEvent(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    std::string_view text = request.PathParam("id");
    int64_t id = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (ec != std::errc() || end != text.data() + text.size() || id <= 0)
      return NotFound("no Stripe event " + std::string(text));
    MTL_RETURN_IF_ERROR(context.webhook_processor.Retry(id, request.principal->id, request.remote_address,
                                                        std::string(request.headers.Get("User-Agent"))));
    json::object out;
    out["id"] = id;
    out["status"] = "failed";
    out["retry"] = "queued";
    return JsonResponse(202, out);
  };
}

}  // namespace meterline::api
