// The usage forecast of a customer's current period (docs/forecasting.md):
// members their own, admins any customer's (?customer_id=).
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "api/handlers.hpp"
#include "api/input.hpp"
#include "api/scope.hpp"
#include "forecast/usage_forecast.hpp"

namespace meterline::api {

namespace {

namespace json = boost::json;

json::value OptTime(const std::optional<TimePoint>& t) {
  return t ? json::value(FormatIso8601(*t)) : json::value(nullptr);
}

json::object MetricJson(const forecast::MetricForecast& f) {
  json::array days;
  for (const auto& d : f.days) {
    days.push_back({{"date", FormatIso8601(d.start).substr(0, 10)},
                    {"actual", d.actual ? json::value(*d.actual) : json::value(nullptr)},
                    {"expected", d.expected},
                    {"lower", d.lower},
                    {"upper", d.upper}});
  }
  return {{"metric", f.metric->id},
          {"name", f.metric->name},
          {"unit", f.metric->unit},
          {"model", f.model},
          {"usage_so_far", f.usage_so_far},
          {"limit", f.limit},
          {"projected", {{"expected", f.expected}, {"lower", f.lower}, {"upper", f.upper}}},
          {"projected_overage_units", f.expected_overage_units},
          {"limit_crossed_at", OptTime(f.limit_crossed_at)},
          {"basis_days", f.basis_days},
          {"days", std::move(days)}};
}

}  // namespace

http::Handler UsageForecast(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    const Principal& caller = *request.principal;
    std::string customer_id = request.QueryParam("customer_id").value_or(caller.customer_id);
    if (customer_id.empty()) return InvalidParam("customer_id", "customer_id is required for admins");
    if (!CanSeeCustomer(caller, customer_id)) return NotVisible("customer", customer_id);
    forecast::UsageForecaster forecaster(context.usage, context.usage_store, context.catalog, context.clock);
    MTL_ASSIGN_OR_RETURN(auto f, forecaster.ForCustomer(customer_id));
    json::array metrics;
    for (const auto& m : f.metrics) metrics.push_back(MetricJson(m));
    json::object out{{"object", "usage_forecast"},
                     {"customer_id", f.customer_id},
                     {"plan", f.plan_id},
                     {"currency", f.currency},
                     {"period", {{"start", FormatIso8601(f.period.start)}, {"end", FormatIso8601(f.period.end)}}},
                     {"as_of", FormatIso8601(f.as_of)},
                     {"days_observed", f.days_observed},
                     {"period_days", f.period_days},
                     {"confidence", 0.8},
                     {"metrics", std::move(metrics)},
                     {"invoice",
                      {{"expected", AmountJson(f.invoice.expected_minor, f.currency)},
                       {"lower", AmountJson(f.invoice.lower_minor, f.currency)},
                       {"upper", AmountJson(f.invoice.upper_minor, f.currency)},
                       {"expected_usage_charges", AmountJson(f.invoice.expected_overage_minor, f.currency)},
                       {"tax_included", false}}}};
    return JsonResponse(200, out);
  };
}

}  // namespace meterline::api
