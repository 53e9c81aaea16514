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
  o["created_at"] = FormatIso8601(FromUnixMillis(k.created_at));
  o["last_used_at"] = k.last_used_at ? boost::json::value(FormatIso8601(FromUnixMillis(*k.last_used_at)))
                                     : boost::json::value(nullptr);
  o["revoked_at"] = k.revoked_at ? boost::json::value(FormatIso8601(FromUnixMillis(*k.revoked_at)))
                                 : boost::json::value(nullptr);
  return o;
}

auth::RequestOrigin Origin(const http::Request& request) {
  return {request.remote_address, std::string(request.headers.Get("User-Agent"))};
}

}  // namespace

http::Handler ListApiKeys(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    auto limit = IntQuery(request, "limit", 100, 1, 100);
    if (!limit.ok()) return std::move(limit).error();
    auto offset = IntQuery(request, "offset", 0, 0, 1'000'000);
    if (!offset.ok()) return std::move(offset).error();
    // One more than asked tells whether there is a next page.
    auto keys = context.identity.ListApiKeys(static_cast<int>(*limit) + 1, static_cast<int>(*offset));
    if (!keys.ok()) return std::move(keys).error();
    bool more = static_cast<int64_t>(keys->size()) > *limit;
    if (more) keys->pop_back();
    boost::json::array data;
    for (const auto& k : *keys) data.push_back(ApiKeyJson(k));
    boost::json::object out;
    out["data"] = std::move(data);
    out["limit"] = *limit;
    out["offset"] = *offset;
    out["next_offset"] = more ? boost::json::value(*offset + *limit) : boost::json::value(nullptr);
    return JsonResponse(200, out);
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
    auto created = context.identity.CreateApiKey(*name, *role, *customer_id, request.principal->id, Origin(request));
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
                                             Origin(request));
    if (!s.ok()) return std::move(s).error();
    return http::Response::NoContent(204);
  };
}

}  // namespace meterline::api
