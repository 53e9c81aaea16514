// Console users, for admins: list, change role or customer, disable or
// enable, end every session. A change takes effect on the user's next request.
#include <boost/json/value.hpp>

#include "api/handlers.hpp"
#include "api/input.hpp"
#include "auth/identity_service.hpp"

namespace meterline::api {

http::Handler ListUsers(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    MTL_ASSIGN_OR_RETURN(auto page, PageOf(request, {.default_limit = 100}));
    MTL_ASSIGN_OR_RETURN(auto users,
                         context.identity.ListUsers(static_cast<int>(page.limit) + 1, static_cast<int>(page.offset)));
    return JsonResponse(200, ListJson(TrimPage(std::move(users), page), page, UserJson));
  };
}

http::Handler UpdateUser(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    MTL_ASSIGN_OR_RETURN(auto body, BodyObject(request));
    MTL_RETURN_IF_ERROR(RejectUnknownFields(body, {"role", "customer_id", "disabled"}));
    auth::UserChange change;
    if (body.contains("role")) {
      MTL_ASSIGN_OR_RETURN(auto text, RequiredString(body, "role", 20));
      auto role = ParseRole(text);
      if (!role || *role == Role::kService) return InvalidParam("role", "role must be admin or member");
      change.role = *role;
    }
    if (const auto* customer = body.if_contains("customer_id")) {
      if (customer->is_null()) {
        change.customer_id = "";
      } else {
        MTL_ASSIGN_OR_RETURN(auto text, RequiredString(body, "customer_id", 64));
        change.customer_id = text;
      }
    }
    if (const auto* disabled = body.if_contains("disabled")) {
      if (!disabled->is_bool()) return InvalidParam("disabled", "disabled must be true or false");
      change.disabled = disabled->as_bool();
    }
    if (!change.role && !change.customer_id && !change.disabled) {
      return InvalidArgument("nothing to change; send role, customer_id or disabled");
    }
    MTL_ASSIGN_OR_RETURN(auto user, context.identity.UpdateUser(std::string(request.PathParam("id")), change,
                                                                request.principal->id, OriginOf(request)));
    return JsonResponse(200, UserJson(user));
  };
}

http::Handler RevokeUserSessions(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    MTL_RETURN_IF_ERROR(context.identity.RevokeUserSessions(std::string(request.PathParam("id")), request.principal->id,
                                                            OriginOf(request)));
    return http::Response::NoContent(204);
  };
}

}  // namespace meterline::api
