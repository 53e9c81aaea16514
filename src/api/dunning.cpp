// Dunning campaigns (docs/dunning.md): members read their own customer's,
// admins everyone's (?customer_id= narrows). Read-only: campaigns start from
// Stripe's payment failures and end by payment or their final action.
#include <boost/json/object.hpp>

#include "api/handlers.hpp"
#include "api/input.hpp"
#include "api/scope.hpp"
#include "dunning/campaign_store.hpp"

namespace meterline::api {

namespace {

// A member's own customer; an admin's ?customer_id= or "" (all).
Result<std::string> CampaignScope(const http::Request& request) {
  const Principal& caller = *request.principal;
  if (caller.role == Role::kAdmin) return request.QueryParam("customer_id").value_or("");
  if (caller.customer_id.empty()) return Error(ErrorCode::kPermissionDenied, "this key is not bound to a customer");
  return caller.customer_id;
}

}  // namespace

http::Handler ListDunningCampaigns(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    MTL_ASSIGN_OR_RETURN(auto page_request, PageOf(request));
    dunning::CampaignFilter filter;
    MTL_ASSIGN_OR_RETURN(filter.customer_id, CampaignScope(request));
    filter.state = request.QueryParam("state").value_or("");
    if (!filter.state.empty() && filter.state != "active" && filter.state != "recovered" &&
        filter.state != "exhausted" && filter.state != "closed") {
      return InvalidParam("state", "state must be one of active, recovered, exhausted, closed");
    }
    MTL_ASSIGN_OR_RETURN(auto page, dunning::CampaignStore::List(context.db, filter, page_request));
    return JsonResponse(200, ListJson(page, page_request, dunning::CampaignJson));
  };
}

http::Handler GetDunningCampaign(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    const Principal& caller = *request.principal;
    std::string id(request.PathParam("id"));
    MTL_ASSIGN_OR_RETURN(auto campaign, dunning::CampaignStore::Get(
                                            context.db, id, caller.role == Role::kAdmin ? "" : caller.customer_id));
    if (!CanSeeCustomer(caller, campaign.customer_id)) return NotVisible("dunning campaign", id);
    return JsonResponse(200, dunning::CampaignJson(campaign));
  };
}

}  // namespace meterline::api
