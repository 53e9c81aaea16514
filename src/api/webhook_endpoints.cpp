// Outgoing webhook endpoints and their delivery log (docs/webhooks.md).
// Admins register platform-wide endpoints and see every endpoint; members
// register and see their own customer's. Another customer's endpoint or
// delivery is a 404. The secret is in the answer only when it is made.
#include <boost/json/value.hpp>

#include "api/handlers.hpp"
#include "api/input.hpp"
#include "webhooks/delivery_log.hpp"
#include "webhooks/endpoint_store.hpp"

namespace meterline::api {

namespace {

namespace json = boost::json;

// The most a rotated-out secret keeps signing: a week.
constexpr int64_t kMaxOverlapHours = int64_t{24} * 7;

// Admins act on any endpoint; members on their customer's.
webhooks::Scope ScopeOf(const http::Request& request) {
  return request.principal->role == Role::kAdmin ? std::string() : request.principal->customer_id;
}

json::object EndpointJson(const webhooks::Endpoint& e) {
  json::array events;
  for (const std::string& t : e.event_types) events.emplace_back(t);
  return {{"object", "webhook_endpoint"},
          {"id", e.id},
          {"customer_id", e.customer_id.empty() ? json::value(nullptr) : json::value(e.customer_id)},
          {"url", e.url},
          {"description", e.description},
          {"events", std::move(events)},
          {"status", e.enabled ? "enabled" : "disabled"},
          {"disabled_reason", e.disabled_reason.empty() ? json::value(nullptr) : json::value(e.disabled_reason)},
          {"failing_since", TimeOrNull(e.failing_since)},
          {"previous_secret_expires_at", TimeOrNull(e.previous_secret_expires_at)},
          {"created_at", FormatIso8601(e.created_at)},
          {"updated_at", FormatIso8601(e.updated_at)}};
}

json::object DeliveryJson(const webhooks::Delivery& d, bool with_attempts) {
  json::object out{
      {"object", "webhook_delivery"},
      {"id", d.id},
      {"endpoint_id", d.endpoint_id},
      {"event_id", d.event_id},
      {"event_type", d.event_type},
      {"customer_id", d.customer_id.empty() ? json::value(nullptr) : json::value(d.customer_id)},
      {"status", d.status},
      {"attempts", d.attempts},
      {"last_status_code", d.last_status_code > 0 ? json::value(d.last_status_code) : json::value(nullptr)},
      {"last_error", d.last_error.empty() ? json::value(nullptr) : json::value(d.last_error)},
      {"next_attempt_at", TimeOrNull(d.next_attempt_at)},
      {"created_at", FormatIso8601(d.created_at)},
      {"delivered_at", TimeOrNull(d.delivered_at)}};
  if (with_attempts) {
    json::array log;
    for (const webhooks::DeliveryAttempt& a : d.attempt_log) {
      log.push_back({{"attempted_at", FormatIso8601(a.at)},
                     {"status_code", a.status_code > 0 ? json::value(a.status_code) : json::value(nullptr)},
                     {"latency_ms", a.latency_ms},
                     {"response_excerpt", a.response_excerpt},
                     {"error", a.error.empty() ? json::value(nullptr) : json::value(a.error)},
                     {"manual", a.manual}});
    }
    out["attempt_log"] = std::move(log);
  }
  return out;
}

Result<std::vector<std::string>> EventsOf(const json::object& body) {
  const json::value* events = body.if_contains("events");
  if (events == nullptr) return InvalidParam("events", "events is required: event types, or [\"*\"] for all");
  if (!events->is_array() || events->as_array().size() > 64) {
    return InvalidParam("events", "events must be an array of at most 64 event types");
  }
  std::vector<std::string> out;
  for (const json::value& v : events->as_array()) {
    if (!v.is_string()) return InvalidParam("events", "events must be strings");
    out.emplace_back(v.as_string());
  }
  return out;
}

// The endpoint named in the path, within the caller's scope.
Result<webhooks::Endpoint> Named(ApiContext& context, const http::Request& request) {
  return context.webhook_endpoints.Get(std::string(request.PathParam("id")), ScopeOf(request));
}

}  // namespace

http::Handler CreateWebhookEndpoint(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    MTL_ASSIGN_OR_RETURN(auto body, BodyObject(request));
    MTL_RETURN_IF_ERROR(RejectUnknownFields(body, {"url", "events", "description"}));
    MTL_ASSIGN_OR_RETURN(auto url, RequiredString(body, "url", 2048));
    MTL_ASSIGN_OR_RETURN(auto description, OptionalString(body, "description", 500));
    MTL_ASSIGN_OR_RETURN(auto events, EventsOf(body));
    MTL_ASSIGN_OR_RETURN(auto made, context.webhook_endpoints.Create({.customer_id = ScopeOf(request),
                                                                      .url = url,
                                                                      .description = description,
                                                                      .event_types = std::move(events),
                                                                      .actor = request.principal->id}));
    json::object out = EndpointJson(made.first);
    out["secret"] = made.second;
    return JsonResponse(201, out);
  };
}

http::Handler ListWebhookEndpoints(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    MTL_ASSIGN_OR_RETURN(auto page_request, PageOf(request));
    MTL_ASSIGN_OR_RETURN(auto page, context.webhook_endpoints.List(ScopeOf(request), page_request));
    return JsonResponse(200, ListJson(page, page_request, EndpointJson));
  };
}

http::Handler GetWebhookEndpoint(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    MTL_ASSIGN_OR_RETURN(auto endpoint, Named(context, request));
    return JsonResponse(200, EndpointJson(endpoint));
  };
}

http::Handler DeleteWebhookEndpoint(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    std::string id(request.PathParam("id"));
    MTL_RETURN_IF_ERROR(context.webhook_endpoints.Delete(id, ScopeOf(request), request.principal->id));
    return JsonResponse(200, json::object{{"object", "webhook_endpoint"}, {"id", id}, {"deleted", true}});
  };
}

http::Handler RotateWebhookSecret(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    MTL_ASSIGN_OR_RETURN(auto endpoint, Named(context, request));
    json::object body;
    if (!request.body.empty()) {
      MTL_ASSIGN_OR_RETURN(body, BodyObject(request));
    }
    MTL_RETURN_IF_ERROR(RejectUnknownFields(body, {"overlap_hours"}));
    MTL_ASSIGN_OR_RETURN(auto overlap, OptionalInt(body, "overlap_hours", 0, kMaxOverlapHours));
    MTL_ASSIGN_OR_RETURN(auto secret, context.webhook_endpoints.RotateSecret(endpoint.id, ScopeOf(request),
                                                                             std::chrono::hours(overlap.value_or(24)),
                                                                             request.principal->id));
    MTL_ASSIGN_OR_RETURN(auto rotated, Named(context, request));
    json::object out = EndpointJson(rotated);
    out["secret"] = secret;
    return JsonResponse(200, out);
  };
}

http::Handler EnableWebhookEndpoint(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    MTL_ASSIGN_OR_RETURN(auto endpoint, Named(context, request));
    MTL_ASSIGN_OR_RETURN(auto enabled,
                         context.webhook_endpoints.Enable(endpoint.id, ScopeOf(request), request.principal->id));
    return JsonResponse(200, EndpointJson(enabled));
  };
}

http::Handler ListWebhookDeliveries(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    MTL_ASSIGN_OR_RETURN(auto endpoint, Named(context, request));
    MTL_ASSIGN_OR_RETURN(auto page_request, PageOf(request));
    std::string status(request.QueryParam("status").value_or(""));
    MTL_ASSIGN_OR_RETURN(auto page, context.webhook_deliveries.List(endpoint.id, status, page_request));
    return JsonResponse(
        200, ListJson(page, page_request, [](const webhooks::Delivery& d) { return DeliveryJson(d, false); }));
  };
}

http::Handler GetWebhookDelivery(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    MTL_ASSIGN_OR_RETURN(auto endpoint, Named(context, request));
    MTL_ASSIGN_OR_RETURN(auto delivery,
                         context.webhook_deliveries.Get(endpoint.id, std::string(request.PathParam("delivery_id"))));
    return JsonResponse(200, DeliveryJson(delivery, true));
  };
}

http::Handler RedeliverWebhookDelivery(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    MTL_ASSIGN_OR_RETURN(auto endpoint, Named(context, request));
    MTL_ASSIGN_OR_RETURN(
        auto delivery, context.webhook_deliveries.Redeliver(endpoint.id, std::string(request.PathParam("delivery_id")),
                                                            request.principal->id));
    return JsonResponse(200, DeliveryJson(delivery, true));
  };
}

}  // namespace meterline::api
