// API keys for machine callers (admin only).
#include <boost/json/value.hpp>

#include "api/handlers.hpp"
#include "api/input.hpp"
#include "auth/identity_service.hpp"

namespace meterline::api {

namespace {

boost::json::object ApiKeyJson(const auth::ApiKey& k) {
  boost::json::object o;
  o["id"] = k.id;
  o["name"] = k.name;
  o["prefix"] = k.prefix;
  o["role"] = RoleName(k.role);
  o["customer_id"] = k.customer_id.empty() ? boost::json::value(nullptr) : boost::json::value(k.customer_id);
  o["created_at"] = FormatIso8601(k.created_at);
  o["last_used_at"] = k.last_used_at ? boost::json::value(FormatIso8601(*k.last_used_at)) : boost::json::value(nullptr);
  o["revoked_at"] = k.revoked_at ? boost::json::value(FormatIso8601(*k.revoked_at)) : boost::json::value(nullptr);
  return o;
}

}  // namespace

http::Handler ListApiKeys(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    MTL_ASSIGN_OR_RETURN(auto page, PageOf(request, {.default_limit = 100}));
    MTL_ASSIGN_OR_RETURN(auto keys,
                         context.identity.ListApiKeys(static_cast<int>(page.limit) + 1, static_cast<int>(page.offset)));
    return JsonResponse(200, ListJson(TrimPage(std::move(keys), page), page, ApiKeyJson));
  };
}

http::Handler CreateApiKey(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    MTL_ASSIGN_OR_RETURN(auto body, BodyObject(request));
    MTL_RETURN_IF_ERROR(RejectUnknownFields(body, {"name", "role", "customer_id"}));
    MTL_ASSIGN_OR_RETURN(auto name, RequiredString(body, "name", 100));
    MTL_ASSIGN_OR_RETURN(auto role_text, OptionalString(body, "role", 20));
    auto role = ParseRole(role_text.empty() ? "service" : role_text);
    if (!role || *role == Role::kMember) return InvalidParam("role", "role must be service or admin");
    MTL_ASSIGN_OR_RETURN(auto customer_id, OptionalString(body, "customer_id", 64));
    MTL_ASSIGN_OR_RETURN(auto created, context.identity.CreateApiKey(name, *role, customer_id, request.principal->id,
                                                                     OriginOf(request)));
    boost::json::object out = ApiKeyJson(created.key);
    out["secret"] = created.secret;  // shown once
    http::Response response = JsonResponse(201, out);
    response.headers.Set("Cache-Control", "no-store");
    return response;
  };
}

http::Handler RevokeApiKey(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    MTL_RETURN_IF_ERROR(
        context.identity.RevokeApiKey(std::string(request.PathParam("id")), request.principal->id, OriginOf(request)));
    return http::Response::NoContent(204);
  };
}

}  // namespace meterline::api
