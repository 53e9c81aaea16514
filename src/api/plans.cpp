// Plans and what they charge: the catalog's plans with each metric's charge
// model (as data and in words), and a price preview that runs the invoice
// builder on given quantities without storing anything.
#include <boost/json/value.hpp>

#include <map>

#include "api/handlers.hpp"
#include "api/input.hpp"
#include "invoicing/invoice_builder.hpp"
#include "pricing/charge_json.hpp"
#include "pricing/describe.hpp"

namespace meterline::api {

namespace {

namespace json = boost::json;

// Most metrics one preview may name: a catalog has a handful.
constexpr size_t kMaxPreviewMetrics = 100;

json::object PlanJson(const catalog::Catalog& catalog, const catalog::Plan& plan) {
  json::array metrics;
  for (const catalog::Metric& metric : catalog.metrics()) {
    pricing::MetricCharge charge = catalog::ChargeFor(plan, metric);
    metrics.push_back(
        {{"metric", metric.id},
         {"name", metric.name},
         {"unit", metric.unit},
         {"limit", plan.limits.count(metric.id) ? plan.limits.at(metric.id) : 0},
         {"charge", pricing::ChargeJson(charge)},
         {"pricing", pricing::DescribeModel(charge, plan.currency, pricing::WordsFor(metric.name, metric.unit))}});
  }
  return {
      {"object", "plan"},
      {"id", plan.id},
      {"name", plan.name},
      {"currency", plan.currency.code},
      {"interval", "month"},
      {"base_fee", AmountJson(plan.base_fee_minor, plan.currency.code)},
      {"minimum_commitment",
       plan.minimum_minor > 0 ? json::value(AmountJson(plan.minimum_minor, plan.currency.code)) : json::value(nullptr)},
      {"metrics", std::move(metrics)}};
}

}  // namespace

http::Handler ListPlans(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    MTL_ASSIGN_OR_RETURN(auto page, PageOf(request, {.default_limit = 20, .max_limit = 100}));
    const auto& plans = context.catalog.plans();
    Page<const catalog::Plan*> out;
    out.total = static_cast<int64_t>(plans.size());
    for (int64_t i = page.offset; i < static_cast<int64_t>(plans.size()) && i < page.offset + page.limit; ++i) {
      out.items.push_back(&plans[static_cast<size_t>(i)]);
    }
    out.has_more = page.offset + page.limit < static_cast<int64_t>(plans.size());
    return JsonResponse(
        200, ListJson(out, page, [&context](const catalog::Plan* plan) { return PlanJson(context.catalog, *plan); }));
  };
}

http::Handler GetPlan(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    std::string id(request.PathParam("id"));
    const catalog::Plan* plan = context.catalog.FindPlan(id);
    if (plan == nullptr) return NotFound("no plan " + id.substr(0, 64));
    return JsonResponse(200, PlanJson(context.catalog, *plan));
  };
}

// POST {plan, currency?, quantities: {metric: units}, tax_rate?}: the lines,
// subtotal, tax and total one period of the plan would be invoiced for.
http::Handler PricePreview(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    MTL_ASSIGN_OR_RETURN(auto body, BodyObject(request));
    MTL_RETURN_IF_ERROR(RejectUnknownFields(body, {"plan", "currency", "quantities", "tax_rate"}));
    MTL_ASSIGN_OR_RETURN(auto plan_id, RequiredString(body, "plan", 64));
    const catalog::Plan* plan = context.catalog.FindPlan(plan_id);
    if (plan == nullptr) return InvalidParam("plan", "no plan '" + plan_id + "' in the catalog");
    MTL_ASSIGN_OR_RETURN(auto currency, OptionalString(body, "currency", 3));
    if (!currency.empty() && currency != plan->currency.code) {
      return InvalidParam("currency",
                          "plan " + plan->id + " is priced in " + plan->currency.code + ", not " + currency);
    }
    std::map<std::string, int64_t> quantities;
    if (auto it = body.find("quantities"); it != body.end()) {
      if (!it->value().is_object())
        return InvalidParam("quantities", "quantities must be an object of metric -> units");
      if (it->value().as_object().size() > kMaxPreviewMetrics) {
        return InvalidParam("quantities", "quantities names more metrics than the catalog has");
      }
      for (const auto& [metric, units] : it->value().as_object()) {
        std::string name = "quantities[" + std::string(metric.substr(0, 64)) + "]";
        if (context.catalog.FindMetric(metric) == nullptr) {
          return InvalidParam(name, "no metric '" + std::string(metric.substr(0, 64)) + "' in the catalog");
        }
        int64_t n = -1;
        if (units.is_int64()) n = units.as_int64();
        if (units.is_uint64() && units.as_uint64() <= INT64_MAX) n = static_cast<int64_t>(units.as_uint64());
        if (n < 0) return InvalidParam(name, name + " must be a non-negative integer");
        quantities[std::string(metric)] = n;
      }
    }
    std::optional<money::Decimal> tax_rate;
    MTL_ASSIGN_OR_RETURN(auto rate_text, OptionalString(body, "tax_rate", 24));
    if (!rate_text.empty()) {
      tax_rate = money::Decimal::Parse(rate_text);
      if (!tax_rate || tax_rate->IsNegative() || !(*tax_rate < money::Decimal(1, 0))) {
        return InvalidParam("tax_rate", "tax_rate must be a decimal string at least 0 and below 1, such as \"0.19\"");
      }
    }
    MTL_ASSIGN_OR_RETURN(auto amounts, invoicing::BuildInvoice(context.catalog, *plan, quantities, tax_rate));
    const std::string& code = plan->currency.code;
    json::array lines;
    for (const invoicing::LineItem& l : amounts.lines) {
      lines.push_back({{"kind", l.kind},
                       {"metric", l.metric.empty() ? json::value(nullptr) : json::value(l.metric)},
                       {"description", l.description},
                       {"quantity", l.quantity},
                       {"unit_price", l.unit_price},
                       {"amount", AmountJson(l.amount_minor, code)}});
    }
    json::object quantities_json;
    for (const auto& [metric, units] : quantities) quantities_json[metric] = units;
    return JsonResponse(200, json::object{{"object", "price_preview"},
                                          {"plan", plan->id},
                                          {"currency", code},
                                          {"quantities", std::move(quantities_json)},
                                          {"lines", std::move(lines)},
                                          {"subtotal", AmountJson(amounts.subtotal_minor, code)},
                                          {"tax_rate", tax_rate ? json::value(tax_rate->ToString()) : nullptr},
                                          {"tax", AmountJson(amounts.tax_minor, code)},
                                          {"total", AmountJson(amounts.total_minor, code)}});
  };
}

}  // namespace meterline::api
