// The Stripe Customer Portal, for payment methods (docs/stripe.md): a member
// opens a session for their own customer, an admin for the customer named.
#include <boost/json/object.hpp>

#include "api/handlers.hpp"
#include "api/input.hpp"
#include "api/scope.hpp"
#include "customers/customer_store.hpp"
#include "stripe/customer_portal.hpp"

namespace meterline::api {

http::Handler CreatePortalSession(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    MTL_ASSIGN_OR_RETURN(auto body, BodyObject(request));
    MTL_RETURN_IF_ERROR(RejectUnknownFields(body, {"return_url", "customer_id"}));
    MTL_ASSIGN_OR_RETURN(auto return_url, RequiredString(body, "return_url", 2048));
    MTL_ASSIGN_OR_RETURN(auto named, OptionalString(body, "customer_id", 64));
    std::string customer_id = request.principal->customer_id;
    if (request.principal->role == Role::kAdmin) {
      if (named.empty()) return InvalidParam("customer_id", "customer_id is required for an admin");
      customer_id = named;
    } else if (!named.empty() && named != customer_id) {
      return NotVisible("customer", named);
    }
    if (auto customer = context.customers.Get(customer_id); !customer.ok()) return std::move(customer).error();
    MTL_ASSIGN_OR_RETURN(auto url, context.customer_portal.SessionUrl(customer_id, return_url));
    return JsonResponse(200, boost::json::object{{"object", "billing_portal_session"}, {"url", url}});
  };
}

}  // namespace meterline::api
