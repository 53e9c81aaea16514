// Console users, for admins: list, change role or customer, disable or
// enable, end every session. A change takes effect on the user's next request.
#include <boost/json/value.hpp>

#include "api/handlers.hpp"
#include "api/input.hpp"
#include "auth/identity_service.hpp"

namespace meterline::api {

http::Handler ListUsers(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    auto page = PageOf(request);
    if (!page.ok()) return std::move(page).error();
    auto users = context.identity.ListUsers(static_cast<int>(page->limit) + 1, static_cast<int>(page->offset));
    if (!users.ok()) return std::move(users).error();
    boost::json::array data;
    for (const auto& u : *users) data.push_back(UserJson(u));
    return JsonResponse(200, PageJson(std::move(data), *page));
  };
}

http::Handler UpdateUser(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    auto body = BodyObject(request);
    if (!body.ok()) return std::move(body).error();
    for (const auto& field : *body) {
      if (field.key() != "role" && field.key() != "customer_id" && field.key() != "disabled") {
        return InvalidArgument("unknown field '" + std::string(field.key()) + "'; expected role, customer_id, disabled");
      }
    }
    auth::UserChange change;
    if (body->contains("role")) {
      auto text = RequiredString(*body, "role", 20);
      if (!text.ok()) return std::move(text).error();
      auto role = ParseRole(*text);
      if (!role || *role == Role::kService) return InvalidArgument("role must be admin or member");
      change.role = *role;
    }
    if (const auto* customer = body->if_contains("customer_id")) {
      if (customer->is_null()) {
        change.customer_id = "";
      } else {
        auto text = RequiredString(*body, "customer_id", 64);
        if (!text.ok()) return std::move(text).error();
        change.customer_id = *text;
      }
    }
    if (const auto* disabled = body->if_contains("disabled")) {
      if (!disabled->is_bool()) return InvalidArgument("disabled must be true or false");
      change.disabled = disabled->as_bool();
    }
    if (!change.role && !change.customer_id && !change.disabled) {
      return InvalidArgument("nothing to change; send role, customer_id or disabled");
    }
    auto user = context.identity.UpdateUser(std::string(request.PathParam("id")), change, request.principal->id,
                                            OriginOf(request));
    if (!user.ok()) return std::move(user).error();
    return JsonResponse(200, UserJson(*user));
  };
}

http::Handler RevokeUserSessions(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    Status s = context.identity.RevokeUserSessions(std::string(request.PathParam("id")), request.principal->id,
                                                   OriginOf(request));
    if (!s.ok()) return std::move(s).error();
    return http::Response::NoContent(204);
  };
}

}  // namespace meterline::api
