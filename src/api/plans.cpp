// Plans and what they charge: the plans and their versions with each metric's
// charge model (as data and in words), creating plans and versions, archiving,
// moving subscriptions to a version, and a price preview that runs the invoice
// builder on given quantities without storing anything.
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>

#include <algorithm>
#include <initializer_list>
#include <map>
#include <string_view>

#include "api/handlers.hpp"
#include "api/input.hpp"
#include "api/invoice_json.hpp"
#include "api/scope.hpp"
#include "customers/customer_store.hpp"
#include "invoicing/invoice_builder.hpp"
#include "plans/plan_book.hpp"
#include "pricing/charge_json.hpp"
#include "pricing/describe.hpp"
#include "subscriptions/subscription_service.hpp"

namespace meterline::api {

namespace {

namespace json = boost::json;

// Most metrics one preview may name: a catalog has a handful.
constexpr size_t kMaxPreviewMetrics = 100;

// Fields a plan's body may carry: a plan as in the catalog file, and when its
// prices start for new subscriptions.
Status RejectUnknownPlanFields(const json::object& body) {
  return RejectUnknownFields(
      body, {"id", "name", "currency", "base_fee", "limits", "overage_prices", "charges", "prices",
             "minimum_commitment", "effective_at", "interval", "allowances", "base_fee_timing", "trial"});
}

// A plan's trial: {days, usage, requires_payment_method} (days 0: none).
json::object TrialJson(const catalog::Plan& plan) {
  return {{"days", plan.trial.days},
          {"usage", plan.trial.usage_billed ? "billed" : "free"},
          {"requires_payment_method", plan.trial.requires_payment_method}};
}

json::array MetricsJson(const catalog::Catalog& catalog, const catalog::Plan& plan) {
  json::array metrics;
  for (const catalog::Metric& metric : catalog.metrics()) {
    pricing::MetricCharge charge = catalog::ChargeFor(plan, metric);
    metrics.push_back(
        {{"metric", metric.id},
         {"name", metric.name},
         {"unit", metric.unit},
         {"aggregation", catalog::AggregationName(metric.aggregation)},
         {"limit", plan.LimitOf(metric)},
         {"charge", pricing::ChargeJson(charge)},
         {"pricing", pricing::DescribeModel(charge, plan.currency, pricing::WordsFor(metric.name, metric.unit))}});
  }
  return metrics;
}

json::value MinimumJson(const catalog::Plan& plan) {
  if (plan.minimum_minor == 0) return nullptr;
  return AmountJson(plan.minimum_minor, plan.currency.code);
}

// A plan: its current version's prices at the top (what new subscriptions
// get), and every version with its own.
json::object PlanJson(const catalog::Catalog& catalog, const plans::PlanRecord& record, TimePoint now) {
  const plans::PlanVersion& current = record.CurrentAt(now);
  const catalog::Plan& plan = current.plan;
  json::array versions;
  for (const plans::PlanVersion& v : record.versions) {
    versions.push_back({{"object", "plan_version"},
                        {"version", v.plan.version},
                        {"current", v.plan.version == plan.version},
                        {"effective_at", FormatIso8601(v.effective_at)},
                        {"created_at", FormatIso8601(v.created_at)},
                        {"name", v.plan.name},
                        {"base_fee", AmountJson(v.plan.base_fee_minor, v.plan.currency.code)},
                        {"minimum_commitment", MinimumJson(v.plan)},
                        {"metrics", MetricsJson(catalog, v.plan)},
                        {"definition", catalog::PlanDefinition(v.plan)}});
  }
  return {{"object", "plan"},
          {"id", record.id},
          {"name", plan.name},
          {"currency", plan.currency.code},
          {"currencies", json::value_from(plan.Currencies())},
          {"interval", catalog::IntervalName(plan.interval_months)},
          {"allowances", plan.allowances_per_interval ? "per_interval" : "per_month"},
          {"base_fee_timing", plan.base_fee_in_advance ? "in_advance" : "in_arrears"},
          {"trial", TrialJson(plan)},
          {"version", plan.version},
          {"archived", record.archived_at.has_value()},
          {"archived_at", record.archived_at ? json::value(FormatIso8601(*record.archived_at)) : nullptr},
          {"base_fee", AmountJson(plan.base_fee_minor, plan.currency.code)},
          {"minimum_commitment", MinimumJson(plan)},
          {"metrics", MetricsJson(catalog, plan)},
          {"versions", std::move(versions)}};
}

// `effective_at` of a plan or version body: an RFC 3339 timestamp, now when absent.
Result<TimePoint> EffectiveAt(const json::object& body, TimePoint now) {
  MTL_ASSIGN_OR_RETURN(auto text, OptionalString(body, "effective_at", 40));
  if (text.empty()) return now;
  auto at = ParseIso8601(text);
  if (!at) return InvalidParam("effective_at", "effective_at must be an RFC 3339 timestamp");
  return *at;
}

bool PlainId(const std::string& id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

}  // namespace

http::Handler ListPlans(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    MTL_ASSIGN_OR_RETURN(auto page, PageOf(request, {.default_limit = 20, .max_limit = 100}));
    MTL_ASSIGN_OR_RETURN(auto plans, context.plans.List(page));
    TimePoint now = context.clock.Now();
    return JsonResponse(200, ListJson(plans, page, [&](const plans::PlanRecord& record) {
                          return PlanJson(context.catalog, record, now);
                        }));
  };
}

// The plans a customer may move to, for people comparing them: every plan
// not archived, at its current version, priced in the customer's currency.
// Members: their own customer's; admins: ?customer_id= (else every plan in
// its own currency).
http::Handler ListAvailablePlans(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    const Principal& caller = *request.principal;
    std::string customer_id =
        caller.role == Role::kAdmin ? request.QueryParam("customer_id").value_or("") : caller.customer_id;
    if (caller.role != Role::kAdmin && customer_id.empty()) {
      return Error(ErrorCode::kPermissionDenied, "this key is not bound to a customer");
    }
    std::string currency;
    if (!customer_id.empty()) {
      auto customer = context.customers.Get(customer_id);
      if (!customer.ok()) return NotFound("no customer " + customer_id);
      currency = customer->currency;
    }
    PageRequest page{.limit = 100};
    MTL_ASSIGN_OR_RETURN(auto plans, context.plans.List(page));
    TimePoint now = context.clock.Now();
    json::array data;
    for (const plans::PlanRecord& record : plans.items) {
      if (record.archived_at) continue;
      const catalog::Plan& current = record.CurrentAt(now).plan;
      const catalog::Plan* plan = currency.empty() ? &current : current.InCurrency(currency);
      if (plan == nullptr) continue;
      data.push_back({{"object", "plan_offer"},
                      {"id", record.id},
                      {"name", plan->name},
                      {"version", plan->version},
                      {"currency", plan->currency.code},
                      {"interval", catalog::IntervalName(plan->interval_months)},
                      {"base_fee_timing", plan->base_fee_in_advance ? "in_advance" : "in_arrears"},
                      {"trial", TrialJson(*plan)},
                      {"base_fee", AmountJson(plan->base_fee_minor, plan->currency.code)},
                      {"minimum_commitment", MinimumJson(*plan)},
                      {"metrics", MetricsJson(context.catalog, *plan)}});
    }
    return JsonResponse(200, json::object{{"object", "list"}, {"data", std::move(data)}, {"has_more", false}});
  };
}

http::Handler GetPlan(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    MTL_ASSIGN_OR_RETURN(auto record, context.plans.Get(std::string(request.PathParam("id"))));
    return JsonResponse(200, PlanJson(context.catalog, record, context.clock.Now()));
  };
}

// POST a plan as in the catalog file (+ effective_at): its version 1.
http::Handler CreatePlan(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    MTL_ASSIGN_OR_RETURN(auto body, BodyObject(request));
    MTL_RETURN_IF_ERROR(RejectUnknownPlanFields(body));
    TimePoint now = context.clock.Now();
    MTL_ASSIGN_OR_RETURN(auto effective_at, EffectiveAt(body, now));
    body.erase("effective_at");
    MTL_ASSIGN_OR_RETURN(auto plan, catalog::ParsePlan(body, context.catalog.metrics(), ""));
    if (!PlainId(plan.id)) {
      return InvalidParam("id", "id must be 1 to 64 lower-case letters, digits, '_' or '-'");
    }
    MTL_ASSIGN_OR_RETURN(auto record, context.plans.Create(plan, effective_at, request.principal->id));
    return JsonResponse(201, PlanJson(context.catalog, record, now));
  };
}

// POST the next version's prices; name and currency default to the latest
// version's (the currency cannot change).
http::Handler AddPlanVersion(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    std::string id(request.PathParam("id"));
    MTL_ASSIGN_OR_RETURN(auto body, BodyObject(request));
    MTL_RETURN_IF_ERROR(RejectUnknownPlanFields(body));
    MTL_ASSIGN_OR_RETURN(auto record, context.plans.Get(id));
    if (auto given = body.find("id");
        given != body.end() && !(given->value().is_string() && given->value().as_string() == id)) {
      return InvalidParam("id", "id must be the plan's own (" + id + ") or absent");
    }
    TimePoint now = context.clock.Now();
    MTL_ASSIGN_OR_RETURN(auto effective_at, EffectiveAt(body, now));
    body.erase("effective_at");
    const catalog::Plan& latest = record.versions.back().plan;
    body["id"] = id;
    if (!body.contains("name")) body["name"] = latest.name;
    if (!body.contains("currency")) body["currency"] = latest.currency.code;
    MTL_ASSIGN_OR_RETURN(auto plan, catalog::ParsePlan(body, context.catalog.metrics(), ""));
    MTL_ASSIGN_OR_RETURN(auto updated, context.plans.AddVersion(id, plan, effective_at, request.principal->id));
    return JsonResponse(201, PlanJson(context.catalog, updated, now));
  };
}

http::Handler ArchivePlan(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    MTL_ASSIGN_OR_RETURN(auto record,
                         context.plans.Archive(std::string(request.PathParam("id")), request.principal->id));
    return JsonResponse(200, PlanJson(context.catalog, record, context.clock.Now()));
  };
}

// POST {to_version, from_version?, at: "period_end"}: the plan's subscriptions
// move to that version from the start of each one's next period.
http::Handler MigratePlan(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    MTL_ASSIGN_OR_RETURN(auto body, BodyObject(request));
    MTL_RETURN_IF_ERROR(RejectUnknownFields(body, {"to_version", "from_version", "at"}));
    subscriptions::VersionMove move;
    move.plan_id = std::string(request.PathParam("id"));
    MTL_ASSIGN_OR_RETURN(auto record, context.plans.Get(move.plan_id));
    auto version_field = [&](const char* name, int64_t& out, bool required) -> Status {
      auto it = body.find(name);
      if (it == body.end()) {
        if (required) return InvalidParam(name, std::string(name) + " is required");
        return OkStatus();
      }
      if (!it->value().is_int64() || it->value().as_int64() < 1) {
        return InvalidParam(name, std::string(name) + " must be a positive integer");
      }
      out = it->value().as_int64();
      if (out > record.versions.back().plan.version) {
        return InvalidParam(name, "plan " + move.plan_id + " has no version " + std::to_string(out));
      }
      return OkStatus();
    };
    MTL_RETURN_IF_ERROR(version_field("to_version", move.to_version, true));
    MTL_RETURN_IF_ERROR(version_field("from_version", move.from_version, false));
    MTL_ASSIGN_OR_RETURN(auto at, OptionalString(body, "at", 20));
    if (!at.empty() && at != "period_end") {
      return InvalidParam("at", "at must be \"period_end\": a price version changes only between periods");
    }
    MTL_ASSIGN_OR_RETURN(auto moved, context.subscriptions.MoveAtPeriodEnd(move, request.principal->id));
    return JsonResponse(200, json::object{{"object", "plan_migration"},
                                          {"plan", move.plan_id},
                                          {"to_version", move.to_version},
                                          {"from_version", move.from_version == 0 ? json::value(nullptr)
                                                                                  : json::value(move.from_version)},
                                          {"at", "period_end"},
                                          {"moved", moved.moved},
                                          {"unchanged", moved.unchanged}});
  };
}

// POST {plan, currency?, quantities: {metric: units}, tax_rate?}: the lines,
// subtotal, tax and total one period of the plan would be invoiced for.
http::Handler PricePreview(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    MTL_ASSIGN_OR_RETURN(auto body, BodyObject(request));
    MTL_RETURN_IF_ERROR(RejectUnknownFields(body, {"plan", "version", "currency", "quantities", "tax_rate"}));
    MTL_ASSIGN_OR_RETURN(auto plan_id, RequiredString(body, "plan", 64));
    auto record = context.plans.Get(plan_id);
    if (!record.ok() && record.error().code == ErrorCode::kNotFound) {
      return InvalidParam("plan", "no plan '" + plan_id + "'");
    }
    if (!record.ok()) return std::move(record).error();
    int64_t version = record->CurrentAt(context.clock.Now()).plan.version;
    if (auto it = body.find("version"); it != body.end()) {
      if (!it->value().is_int64() || it->value().as_int64() < 1 ||
          it->value().as_int64() > record->versions.back().plan.version) {
        return InvalidParam("version", "version must be one of plan " + plan_id + "'s versions (1 to " +
                                           std::to_string(record->versions.back().plan.version) + ")");
      }
      version = it->value().as_int64();
    }
    MTL_ASSIGN_OR_RETURN(const catalog::Plan* plan, context.plans.Version(plan_id, version));
    MTL_ASSIGN_OR_RETURN(auto currency, OptionalString(body, "currency", 3));
    if (!currency.empty()) {
      const catalog::Plan* priced = plan->InCurrency(currency);
      if (priced == nullptr) {
        return InvalidParam("currency",
                            "plan " + plan->id + " is priced in " + plan->CurrencyList() + ", not " + currency);
      }
      plan = priced;
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
    json::object quantities_json;
    for (const auto& [metric, units] : quantities) quantities_json[metric] = units;
    return JsonResponse(200, json::object{{"object", "price_preview"},
                                          {"plan", plan->id},
                                          {"version", plan->version},
                                          {"currency", code},
                                          {"quantities", std::move(quantities_json)},
                                          {"lines", LinesJson(amounts.lines, code)},
                                          {"subtotal", AmountJson(amounts.subtotal_minor, code)},
                                          {"tax_rate", tax_rate ? json::value(tax_rate->ToString()) : nullptr},
                                          {"tax", AmountJson(amounts.tax_minor, code)},
                                          {"total", AmountJson(amounts.total_minor, code)}});
  };
}

}  // namespace meterline::api
