// A customer's budget per billing period (docs/forecasting.md "Budgets"):
// members read and set their own customer's, admins any customer's.
#include <boost/json/object.hpp>

#include "api/handlers.hpp"
#include "api/input.hpp"
#include "api/scope.hpp"
#include "budgets/budget_service.hpp"

namespace meterline::api {

namespace {

namespace json = boost::json;

budgets::BudgetService Service(ApiContext& context) {
  return budgets::BudgetService(context.db, context.usage, context.usage_store, context.catalog, context.clock);
}

// The customer a request is about: a member's own; an admin names one.
Result<std::string> BudgetCustomer(const http::Request& request, const std::string& named) {
  const Principal& caller = *request.principal;
  std::string customer_id = named.empty() ? caller.customer_id : named;
  if (customer_id.empty()) return InvalidParam("customer_id", "customer_id is required for admins");
  if (!CanSeeCustomer(caller, customer_id)) return NotVisible("customer", customer_id);
  return customer_id;
}

// spend / budget in tenths of a percent, rounded down (amounts stay below 2^50).
int64_t PerMille(int64_t spend, int64_t budget) { return spend * 1000 / budget; }

json::object BudgetJson(const budgets::BudgetStatus& s) {
  json::array crossed;
  for (int t : s.thresholds_crossed) crossed.push_back(t);
  return {{"object", "budget"},
          {"customer_id", s.customer_id},
          {"amount", AmountJson(s.amount_minor, s.currency)},
          {"currency", s.currency},
          {"period", {{"start", FormatIso8601(s.period.start)}, {"end", FormatIso8601(s.period.end)}}},
          {"spend", AmountJson(s.spend_minor, s.currency)},
          // Display only; the thresholds are decided in integers.
          {"spend_percent", static_cast<double>(PerMille(s.spend_minor, s.amount_minor)) / 10.0},
          {"forecast", AmountJson(s.forecast_minor, s.currency)},
          {"forecast_exceeds", s.forecast_exceeds},
          {"thresholds_crossed", std::move(crossed)}};
}

}  // namespace

http::Handler GetBudget(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    MTL_ASSIGN_OR_RETURN(auto customer_id, BudgetCustomer(request, request.QueryParam("customer_id").value_or("")));
    MTL_ASSIGN_OR_RETURN(auto status, Service(context).Get(customer_id));
    return JsonResponse(200, BudgetJson(status));
  };
}

http::Handler SetBudget(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    MTL_ASSIGN_OR_RETURN(auto body, BodyObject(request));
    MTL_RETURN_IF_ERROR(RejectUnknownFields(body, {"amount_minor", "customer_id"}));
    MTL_ASSIGN_OR_RETURN(auto named, OptionalString(body, "customer_id", 64));
    MTL_ASSIGN_OR_RETURN(auto customer_id, BudgetCustomer(request, named));
    MTL_ASSIGN_OR_RETURN(auto amount, OptionalInt(body, "amount_minor", 1, int64_t{1} << 50));
    if (!amount) return InvalidParam("amount_minor", "amount_minor is required: the budget in minor units");
    MTL_ASSIGN_OR_RETURN(auto status, Service(context).Set(customer_id, *amount, request.principal->id));
    return JsonResponse(200, BudgetJson(status));
  };
}

http::Handler DeleteBudget(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    MTL_ASSIGN_OR_RETURN(auto customer_id, BudgetCustomer(request, request.QueryParam("customer_id").value_or("")));
    MTL_RETURN_IF_ERROR(Service(context).Delete(customer_id, request.principal->id));
    return JsonResponse(200, json::object{{"object", "budget"}, {"customer_id", customer_id}, {"deleted", true}});
  };
}

}  // namespace meterline::api
