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
  o["last_used_at"] = k.last_used_at ? boost::json::value(FormatIso8601(*k.last_used_at))
                                     : boost::json::value(nullptr);
  o["revoked_at"] = k.revoked_at ? boost::json::value(FormatIso8601(*k.revoked_at))
                                 : boost::json::value(nullptr);
  return o;
}

}  // namespace

http::Handler ListApiKeys(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    auto page = PageOf(request);
    if (!page.ok()) return std::move(page).error();
    auto keys = context.identity.ListApiKeys(static_cast<int>(page->limit) + 1, static_cast<int>(page->offset));
    if (!keys.ok()) return std::move(keys).error();
    boost::json::array data;
    for (const auto& k : *keys) data.push_back(ApiKeyJson(k));
    return JsonResponse(200, PageJson(std::move(data), *page));
  };
}

http::Handler CreateApiKey(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    auto body = BodyObject(request);
    if (!body.ok()) return std::move(body).error();
    auto name = RequiredString(*body, "name", 100);
    if (!name.ok()) return std::move(name).error();
    auto role_text = OptionalString(*body, "role", 20);
    if (!role_text.ok()) return std::move(role_text).error();
    auto role = ParseRole(role_text->empty() ? "service" : *role_text);
    if (!role || *role == Role::kMember) return InvalidArgument("role must be service or admin");
    auto customer_id = OptionalString(*body, "customer_id", 64);
    if (!customer_id.ok()) return std::move(customer_id).error();
    auto created = context.identity.CreateApiKey(*name, *role, *customer_id, request.principal->id, OriginOf(request));
    if (!created.ok()) return std::move(created).error();
    boost::json::object out = ApiKeyJson(created->key);
    out["secret"] = created->secret;  // shown once
    http::Response response = JsonResponse(201, out);
    response.headers.Set("Cache-Control", "no-store");
    return response;
  };
}

http::Handler RevokeApiKey(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    Status s = context.identity.RevokeApiKey(std::string(request.PathParam("id")), request.principal->id,
                                             OriginOf(request));
    if (!s.ok()) return std::move(s).error();
    return http::Response::NoContent(204);
  };
}

}  // namespace meterline::api
