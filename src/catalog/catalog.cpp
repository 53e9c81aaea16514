#include "catalog/catalog.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <set>
#include <span>
#include <stdexcept>

#include "core/embedded_file.hpp"
#include "pricing/charge_json.hpp"

namespace meterline::catalog {

std::span<const EmbeddedFile> EmbeddedDefaultCatalog();  // generated from default_catalog.json

namespace {

namespace json = boost::json;

std::string Field(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

// An error naming the field: "plans[1].limits.impressions must be …" (the
// catalog file adds "catalog: " in front; the API reports `param`).
Error Bad(const std::string& path, const std::string& what) { return InvalidParam(path, path + " " + what); }

Result<std::string> Text(const json::object& obj, const char* key, const std::string& path) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->value().is_string() || it->value().as_string().empty()) {
    return Bad(Field(path, key), "must be a non-empty string");
  }
  return std::string(it->value().as_string());
}

Result<int64_t> NonNegative(const json::value& v, const std::string& path) {
  if (v.is_int64() && v.as_int64() >= 0) return v.as_int64();
  if (v.is_uint64() && v.as_uint64() <= INT64_MAX) return static_cast<int64_t>(v.as_uint64());
  return Bad(path, "must be a non-negative integer");
}

Result<money::UnitPrice> Price(const json::value& v, const std::string& path) {
  if (!v.is_object()) return Bad(path, "must be an object like {\"amount\": \"0.50\", \"per\": 1000}");
  const auto& obj = v.as_object();
  MTL_ASSIGN_OR_RETURN(auto amount_text, Text(obj, "amount", path));
  auto amount = money::Decimal::Parse(amount_text);
  if (!amount || amount->IsNegative()) return Bad(Field(path, "amount"), "must be a non-negative decimal string");
  auto per_it = obj.find("per");
  if (per_it == obj.end()) return Bad(Field(path, "per"), "is required");
  MTL_ASSIGN_OR_RETURN(auto per, NonNegative(per_it->value(), Field(path, "per")));
  if (per < 1) return Bad(Field(path, "per"), "must be at least 1");
  return money::UnitPrice{*amount, per};
}

// An amount in the currency's minor units, from its decimal text ("49.00").
Result<int64_t> MinorAmount(const json::object& obj, const char* key, const std::string& path,
                            const money::Currency& currency) {
  MTL_ASSIGN_OR_RETURN(auto text, Text(obj, key, path));
  auto amount = money::Decimal::Parse(text);
  if (!amount || amount->IsNegative() || amount->scale() > currency.exponent) {
    return Bad(Field(path, key),
               "must be a non-negative amount with at most " + std::to_string(currency.exponent) + " decimals");
  }
  // "373940100000000000" dollars fits as a decimal but not as 64-bit cents: refuse it, never wrap.
  int64_t minor = 0;
  if (__builtin_mul_overflow(amount->units(), static_cast<int64_t>(money::Pow10(currency.exponent - amount->scale())),
                             &minor)) {
    return Bad(Field(path, key), "must be at most " + money::FormatMajor(INT64_MAX, currency));
  }
  if (minor % currency.step != 0) {
    return Bad(Field(path, key), "must be a multiple of " + money::FormatMajor(currency.step, currency) + " " +
                                     currency.code + " (its smallest settled amount)");
  }
  return minor;
}

constexpr std::pair<int, std::string_view> kIntervals[] = {{1, "month"}, {3, "quarter"}, {12, "year"}};

// A plan's optional "interval", "allowances" and "base_fee_timing".
Status ParseInterval(const json::object& obj, const std::string& path, Plan& plan) {
  if (auto it = obj.find("interval"); it != obj.end()) {
    const auto* found = std::find_if(std::begin(kIntervals), std::end(kIntervals), [&](const auto& entry) {
      return it->value().is_string() && it->value().as_string() == entry.second;
    });
    if (found == std::end(kIntervals)) return Bad(Field(path, "interval"), "must be month, quarter or year");
    plan.interval_months = found->first;
  }
  if (auto it = obj.find("allowances"); it != obj.end()) {
    bool per_month = it->value().is_string() && it->value().as_string() == "per_month";
    bool per_interval = it->value().is_string() && it->value().as_string() == "per_interval";
    if (!per_month && !per_interval) return Bad(Field(path, "allowances"), "must be per_month or per_interval");
    plan.allowances_per_interval = per_interval;
  }
  if (auto it = obj.find("base_fee_timing"); it != obj.end()) {
    bool in_arrears = it->value().is_string() && it->value().as_string() == "in_arrears";
    bool in_advance = it->value().is_string() && it->value().as_string() == "in_advance";
    if (!in_arrears && !in_advance) return Bad(Field(path, "base_fee_timing"), "must be in_arrears or in_advance");
    plan.base_fee_in_advance = in_advance;
  }
  return OkStatus();
}

// A plan's optional "trial": {"days": 0..730, "usage": "free" | "billed",
// "requires_payment_method": bool}.
Status ParseTrial(const json::object& obj, const std::string& path, Plan& plan) {
  auto it = obj.find("trial");
  if (it == obj.end() || it->value().is_null()) return OkStatus();
  std::string field = Field(path, "trial");
  if (!it->value().is_object()) return Bad(field, "must be an object with days, usage, requires_payment_method");
  for (const auto& [key, value] : it->value().as_object()) {
    if (key == "days") {
      if (!value.is_int64() || value.as_int64() < 0 || value.as_int64() > kMaxTrialDays) {
        return Bad(field + ".days", "must be a whole number of days from 0 to " + std::to_string(kMaxTrialDays));
      }
      plan.trial.days = static_cast<int>(value.as_int64());
    } else if (key == "usage") {
      bool free = value.is_string() && value.as_string() == "free";
      bool billed = value.is_string() && value.as_string() == "billed";
      if (!free && !billed) return Bad(field + ".usage", "must be free or billed");
      plan.trial.usage_billed = billed;
    } else if (key == "requires_payment_method") {
      if (!value.is_bool()) return Bad(field + ".requires_payment_method", "must be true or false");
      plan.trial.requires_payment_method = value.as_bool();
    } else {
      return Bad(field + "." + std::string(key), "is not a trial setting (takes days, usage, requires_payment_method)");
    }
  }
  return OkStatus();
}

// `units` times `scale`, or INT64_MAX when that does not fit (an allowance
// that large is unlimited anyway).
int64_t Scaled(int64_t units, int scale) {
  int64_t out = 0;
  return __builtin_mul_overflow(units, static_cast<int64_t>(scale), &out) ? INT64_MAX : out;
}

// Whether a metric's quantity grows with time (so its allowances scale with
// the interval and are prorated for part of a period): sums and counts do,
// a peak or a latest reading does not.
bool AddsUp(const Metric& metric) {
  return metric.aggregation == Aggregation::kSum || metric.aggregation == Aggregation::kCount;
}

constexpr std::pair<Aggregation, std::string_view> kAggregations[] = {{Aggregation::kSum, "sum"},
                                                                      {Aggregation::kCount, "count"},
                                                                      {Aggregation::kMax, "max"},
                                                                      {Aggregation::kLast, "last"}};

// A metric's optional "aggregation", "event" and "filter".
Status ParseMetricSource(const json::object& obj, const std::string& path, Metric& metric) {
  if (auto it = obj.find("aggregation"); it != obj.end()) {
    const auto* found = std::find_if(std::begin(kAggregations), std::end(kAggregations), [&](const auto& entry) {
      return it->value().is_string() && it->value().as_string() == entry.second;
    });
    if (found == std::end(kAggregations)) return Bad(path + ".aggregation", "must be sum, count, max or last");
    metric.aggregation = found->first;
  }
  metric.event = metric.id;
  if (obj.contains("event")) {
    MTL_ASSIGN_OR_RETURN(metric.event, Text(obj, "event", path));
  }
  if (auto it = obj.find("filter"); it != obj.end()) {
    if (!it->value().is_object() || it->value().as_object().empty()) {
      return Bad(path + ".filter", "must be an object of property -> value, e.g. {\"region\": \"eu\"}");
    }
    for (const auto& [property, value] : it->value().as_object()) {
      if (!value.is_string() && !value.is_int64() && !value.is_uint64() && !value.is_bool()) {
        return Bad(path + ".filter." + std::string(property), "must be a string, an integer or a boolean");
      }
      metric.filter.emplace_back(std::string(property), value);
    }
  }
  return OkStatus();
}

// Rollups are keyed by metric id, and a plain metric's rollup by its event
// name: a derived metric's id must not be an event name, and an event name
// that is a metric id must be that plain metric's.
Status CheckMetricSources(const std::vector<Metric>& metrics) {
  for (size_t i = 0; i < metrics.size(); ++i) {
    const Metric& m = metrics[i];
    for (const Metric& other : metrics) {
      if (other.event != m.id || !m.Derived()) continue;
      return Bad("metrics[" + std::to_string(i) + "].id",
                 "is the event name metric '" + other.id +
                     "' reads: a metric with an event or filter of its own needs "
                     "an id no metric reads events by");
    }
  }
  return OkStatus();
}

bool KnownMetric(const std::vector<Metric>& metrics, const std::string& id) {
  return std::any_of(metrics.begin(), metrics.end(), [&](const Metric& m) { return m.id == id; });
}

// One entry of "prices": the plan in another currency. Every price is
// restated: a number in dollars means nothing in yen. Metrics without a
// charge need their overage price, metrics with one need a charge of their own.
Result<Plan> ParsePriceSet(const Plan& primary, const std::string& code, const json::value& value,
                           const std::vector<Metric>& metrics, const std::string& path) {
  auto currency = money::FindCurrency(code);
  if (!currency) return Bad(path, "'" + code + "' is not a supported ISO 4217 code");
  if (currency->code == primary.currency.code) return Bad(path, "repeats the plan's own currency");
  if (!value.is_object()) return Bad(path, "must be an object with base_fee, overage_prices, charges");
  const auto& obj = value.as_object();
  for (const auto& [key, unused] : obj) {
    if (key != "base_fee" && key != "overage_prices" && key != "charges" && key != "minimum_commitment") {
      return Bad(Field(path, key), "is not a price (takes base_fee, overage_prices, charges, minimum_commitment)");
    }
  }
  Plan plan;
  plan.id = primary.id;
  plan.name = primary.name;
  plan.version = primary.version;
  plan.currency = *currency;
  plan.interval_months = primary.interval_months;
  plan.allowances_per_interval = primary.allowances_per_interval;
  plan.base_fee_in_advance = primary.base_fee_in_advance;
  plan.trial = primary.trial;
  plan.limits = primary.limits;
  MTL_ASSIGN_OR_RETURN(plan.base_fee_minor, MinorAmount(obj, "base_fee", path, *currency));
  if (obj.contains("minimum_commitment") && !obj.at("minimum_commitment").is_null()) {
    MTL_ASSIGN_OR_RETURN(plan.minimum_minor, MinorAmount(obj, "minimum_commitment", path, *currency));
  }
  const json::object empty;
  auto object_at = [&](const char* key) -> Result<const json::object*> {
    auto it = obj.find(key);
    if (it == obj.end()) return &empty;
    if (!it->value().is_object()) return Bad(Field(path, key), "must be an object of metric id -> price");
    return &it->value().as_object();
  };
  MTL_ASSIGN_OR_RETURN(const json::object* overage, object_at("overage_prices"));
  MTL_ASSIGN_OR_RETURN(const json::object* charges, object_at("charges"));
  for (const auto& [metric_id, unused] : *overage) {
    if (!KnownMetric(metrics, std::string(metric_id))) {
      return Bad(Field(path, "overage_prices") + "." + std::string(metric_id), "names no metric in metrics");
    }
  }
  for (const auto& [metric_id, unused] : *charges) {
    if (!primary.charges.count(std::string(metric_id))) {
      return Bad(Field(path, "charges") + "." + std::string(metric_id),
                 "has no charge in the plan's own currency to restate");
    }
  }
  for (const Metric& m : metrics) {
    if (primary.charges.count(m.id)) {
      std::string field = Field(path, "charges") + "." + m.id;
      auto it = charges->find(m.id);
      if (it == charges->end()) return Bad(field, "is missing (the plan charges " + m.id + " in every currency)");
      MTL_ASSIGN_OR_RETURN(plan.charges[m.id], pricing::ParseCharge(it->value(), *currency, field));
      plan.overage[m.id] = primary.overage.at(m.id);  // unused under a charge; kept for the meters' display
    } else {
      std::string field = Field(path, "overage_prices") + "." + m.id;
      auto it = overage->find(m.id);
      if (it == overage->end()) return Bad(field, "is missing (every price is restated in each currency)");
      MTL_ASSIGN_OR_RETURN(plan.overage[m.id], Price(it->value(), field));
    }
  }
  return plan;
}

}  // namespace

Result<Plan> ParsePlan(const boost::json::value& value, const std::vector<Metric>& metrics, const std::string& path) {
  if (!value.is_object()) return Bad(path.empty() ? "plan" : path, "must be an object");
  const auto& obj = value.as_object();
  Plan plan;
  MTL_ASSIGN_OR_RETURN(plan.id, Text(obj, "id", path));
  if (plan.id.size() > 64) return Bad(Field(path, "id"), "must be at most 64 characters");
  MTL_ASSIGN_OR_RETURN(plan.name, Text(obj, "name", path));
  if (plan.name.size() > 200) return Bad(Field(path, "name"), "must be at most 200 characters");
  MTL_ASSIGN_OR_RETURN(auto currency_code, Text(obj, "currency", path));
  auto currency = money::FindCurrency(currency_code);
  if (!currency) return Bad(Field(path, "currency"), "'" + currency_code + "' is not a supported ISO 4217 code");
  plan.currency = *currency;
  MTL_RETURN_IF_ERROR(ParseInterval(obj, path, plan));
  MTL_RETURN_IF_ERROR(ParseTrial(obj, path, plan));
  MTL_ASSIGN_OR_RETURN(plan.base_fee_minor, MinorAmount(obj, "base_fee", path, *currency));
  if (obj.contains("minimum_commitment") && !obj.at("minimum_commitment").is_null()) {
    MTL_ASSIGN_OR_RETURN(plan.minimum_minor, MinorAmount(obj, "minimum_commitment", path, *currency));
  }
  auto limits_it = obj.find("limits");
  if (limits_it == obj.end() || !limits_it->value().is_object()) return Bad(Field(path, "limits"), "must be an object");
  for (const auto& [metric_id, limit] : limits_it->value().as_object()) {
    std::string key(metric_id);
    std::string field = Field(path, "limits") + "." + key;
    if (!KnownMetric(metrics, key)) return Bad(field, "names no metric in metrics");
    MTL_ASSIGN_OR_RETURN(auto n, NonNegative(limit, field));
    plan.limits[key] = n;
  }
  for (const Metric& m : metrics) {
    if (!plan.limits.count(m.id)) return Bad(Field(path, "limits") + "." + m.id, "is missing");
    plan.overage[m.id] = m.overage_price;
  }
  if (auto overrides = obj.find("overage_prices"); overrides != obj.end()) {
    if (!overrides->value().is_object()) return Bad(Field(path, "overage_prices"), "must be an object");
    for (const auto& [metric_id, price_value] : overrides->value().as_object()) {
      std::string key(metric_id);
      std::string field = Field(path, "overage_prices") + "." + key;
      if (!KnownMetric(metrics, key)) return Bad(field, "names no metric in metrics");
      MTL_ASSIGN_OR_RETURN(plan.overage[key], Price(price_value, field));
    }
  }
  if (auto charges = obj.find("charges"); charges != obj.end()) {
    if (!charges->value().is_object()) {
      return Bad(Field(path, "charges"), "must be an object of metric id -> charge");
    }
    for (const auto& [metric_id, charge_value] : charges->value().as_object()) {
      std::string key(metric_id);
      std::string field = Field(path, "charges") + "." + key;
      if (!KnownMetric(metrics, key)) return Bad(field, "names no metric in metrics");
      MTL_ASSIGN_OR_RETURN(plan.charges[key], pricing::ParseCharge(charge_value, *currency, field));
    }
  }
  if (auto prices = obj.find("prices"); prices != obj.end() && !prices->value().is_null()) {
    if (!prices->value().is_object()) {
      return Bad(Field(path, "prices"), "must be an object of currency code -> price set");
    }
    for (const auto& [code, set] : prices->value().as_object()) {
      MTL_ASSIGN_OR_RETURN(auto other, ParsePriceSet(plan, std::string(code), set, metrics,
                                                     Field(path, "prices") + "." + std::string(code)));
      plan.other_currencies.push_back(std::move(other));
    }
  }
  return plan;
}

const Plan* Plan::InCurrency(std::string_view code) const {
  if (currency.code == code) return this;
  for (const Plan& other : other_currencies) {
    if (other.currency.code == code) return &other;
  }
  return nullptr;
}

void Plan::SetVersion(int64_t number) {
  version = number;
  for (Plan& other : other_currencies) other.version = number;
}

std::string Plan::CurrencyList() const {
  std::string out;
  for (const std::string& code : Currencies()) out += (out.empty() ? "" : ", ") + code;
  return out;
}

std::vector<std::string> Plan::Currencies() const {
  std::vector<std::string> out{currency.code};
  for (const Plan& other : other_currencies) out.push_back(other.currency.code);
  return out;
}

boost::json::object PlanDefinition(const Plan& plan) {
  json::object limits, overage, charges;
  for (const auto& [metric, limit] : plan.limits) limits[metric] = limit;
  for (const auto& [metric, price] : plan.overage) {
    overage[metric] = {{"amount", price.amount.ToString()}, {"per", price.per_units}};
  }
  for (const auto& [metric, charge] : plan.charges) charges[metric] = pricing::ChargeJson(charge);
  json::object prices;
  for (const Plan& other : plan.other_currencies) {
    json::object set{{"base_fee", money::FormatMajor(other.base_fee_minor, other.currency)}};
    json::object other_overage, other_charges;
    for (const auto& [metric, price] : other.overage) {
      if (other.charges.count(metric)) continue;
      other_overage[metric] = {{"amount", price.amount.ToString()}, {"per", price.per_units}};
    }
    for (const auto& [metric, charge] : other.charges) other_charges[metric] = pricing::ChargeJson(charge);
    if (!other_overage.empty()) set["overage_prices"] = std::move(other_overage);
    if (!other_charges.empty()) set["charges"] = std::move(other_charges);
    if (other.minimum_minor > 0) set["minimum_commitment"] = money::FormatMajor(other.minimum_minor, other.currency);
    prices[other.currency.code] = std::move(set);
  }
  json::object out{{"id", plan.id},
                   {"name", plan.name},
                   {"currency", plan.currency.code},
                   {"base_fee", money::FormatMajor(plan.base_fee_minor, plan.currency)},
                   {"limits", std::move(limits)},
                   {"overage_prices", std::move(overage)}};
  // Written only when not the default, so monthly plans read as before.
  if (plan.interval_months != 1) out["interval"] = IntervalName(plan.interval_months);
  if (plan.allowances_per_interval) out["allowances"] = "per_interval";
  if (plan.base_fee_in_advance) out["base_fee_timing"] = "in_advance";
  if (!charges.empty()) out["charges"] = std::move(charges);
  if (plan.minimum_minor > 0) out["minimum_commitment"] = money::FormatMajor(plan.minimum_minor, plan.currency);
  if (!prices.empty()) out["prices"] = std::move(prices);
  if (plan.trial.days > 0 || plan.trial.usage_billed || plan.trial.requires_payment_method) {
    out["trial"] = {{"days", plan.trial.days},
                    {"usage", plan.trial.usage_billed ? "billed" : "free"},
                    {"requires_payment_method", plan.trial.requires_payment_method}};
  }
  return out;
}

bool SamePricing(const Plan& a, const Plan& b) {
  auto without_name = [](const Plan& p) {
    json::object o = PlanDefinition(p);
    o.erase("name");
    return json::serialize(o);
  };
  return without_name(a) == without_name(b);
}

Result<Catalog> Catalog::Parse(std::string_view text) {
  boost::system::error_code ec;
  json::value doc = json::parse(text, ec);
  if (ec) return InvalidArgument("catalog: not valid JSON: " + ec.message());
  if (!doc.is_object()) return InvalidArgument("catalog: the document must be a JSON object");
  auto parsed = ParseDocument(doc.as_object());
  if (!parsed.ok()) return InvalidArgument("catalog: " + parsed.error().message);
  return parsed;
}

Result<Catalog> Catalog::ParseDocument(const boost::json::object& root) {
  Catalog catalog;
  auto metrics_it = root.find("metrics");
  if (metrics_it == root.end() || !metrics_it->value().is_array() || metrics_it->value().as_array().empty()) {
    return Bad("metrics", "must be a non-empty array");
  }
  std::set<std::string> metric_ids;
  for (size_t i = 0; i < metrics_it->value().as_array().size(); ++i) {
    std::string path = "metrics[" + std::to_string(i) + "]";
    const auto& v = metrics_it->value().as_array()[i];
    if (!v.is_object()) return Bad(path, "must be an object");
    MTL_ASSIGN_OR_RETURN(auto id, Text(v.as_object(), "id", path));
    MTL_ASSIGN_OR_RETURN(auto name, Text(v.as_object(), "name", path));
    MTL_ASSIGN_OR_RETURN(auto unit, Text(v.as_object(), "unit", path));
    auto price_it = v.as_object().find("overage_price");
    if (price_it == v.as_object().end()) return Bad(path + ".overage_price", "is required");
    MTL_ASSIGN_OR_RETURN(auto price, Price(price_it->value(), path + ".overage_price"));
    if (!metric_ids.insert(id).second) return Bad(path + ".id", "repeats metric '" + id + "'");
    Metric metric{id, name, unit, price};
    MTL_RETURN_IF_ERROR(ParseMetricSource(v.as_object(), path, metric));
    catalog.metrics_.push_back(std::move(metric));
  }
  MTL_RETURN_IF_ERROR(CheckMetricSources(catalog.metrics_));

  auto plans_it = root.find("plans");
  if (plans_it == root.end() || !plans_it->value().is_array() || plans_it->value().as_array().empty()) {
    return Bad("plans", "must be a non-empty array");
  }
  std::set<std::string> plan_ids;
  for (size_t i = 0; i < plans_it->value().as_array().size(); ++i) {
    std::string path = "plans[" + std::to_string(i) + "]";
    MTL_ASSIGN_OR_RETURN(auto plan, ParsePlan(plans_it->value().as_array()[i], catalog.metrics_, path));
    if (!plan_ids.insert(plan.id).second) return Bad(path + ".id", "repeats plan '" + plan.id + "'");
    catalog.plans_.push_back(std::move(plan));
  }
  return catalog;
}

const Catalog& Catalog::Default() {
  static const Catalog kDefault = [] {
    auto parsed = Parse(EmbeddedDefaultCatalog().front().content);
    if (!parsed.ok()) throw std::logic_error("built-in catalog is invalid: " + parsed.error().message);
    return std::move(parsed).value();
  }();
  return kDefault;
}

pricing::MetricCharge ChargeFor(const Plan& plan, const Metric& metric, const money::Share& share) {
  int scale = plan.AllowanceScale(metric);
  money::Share prorate = AddsUp(metric) ? share : money::Share{};
  if (auto found = plan.charges.find(metric.id); found != plan.charges.end()) {
    pricing::MetricCharge charge = found->second;
    charge.free_units = prorate.Apply(Scaled(charge.free_units, scale));
    if (auto* included = std::get_if<pricing::IncludedThenOverage>(&charge.model)) {
      included->included = prorate.Apply(Scaled(included->included, scale));
    }
    return charge;
  }
  auto price = plan.overage.find(metric.id);
  return {pricing::IncludedThenOverage{plan.LimitOf(metric, share),
                                       price == plan.overage.end() ? metric.overage_price : price->second}};
}

int Plan::AllowanceScale(const Metric& metric) const {
  return allowances_per_interval || !AddsUp(metric) ? 1 : interval_months;
}

int64_t Plan::LimitOf(const Metric& metric, const money::Share& share) const {
  auto limit = limits.find(metric.id);
  if (limit == limits.end()) return 0;
  int64_t scaled = Scaled(limit->second, AllowanceScale(metric));
  return AddsUp(metric) && scaled != INT64_MAX ? share.Apply(scaled) : scaled;
}

std::string_view IntervalName(int months) {
  for (const auto& [value, name] : kIntervals) {
    if (value == months) return name;
  }
  return "month";
}

const Plan* Catalog::FindPlan(std::string_view id) const {
  for (const auto& p : plans_) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

const Metric* Catalog::FindMetric(std::string_view id) const {
  for (const auto& m : metrics_) {
    if (m.id == id) return &m;
  }
  return nullptr;
}

bool Catalog::AcceptsEvent(std::string_view event_name) const {
  return std::any_of(metrics_.begin(), metrics_.end(), [&](const Metric& m) { return m.event == event_name; });
}

std::vector<std::string> Catalog::DerivedMetricsOf(std::string_view event_name,
                                                   std::string_view properties_json) const {
  std::vector<std::string> out;
  bool parsed = false;
  json::value properties;
  for (const Metric& m : metrics_) {
    if (!m.Derived() || m.event != event_name) continue;
    if (!m.filter.empty() && !parsed) {
      parsed = true;
      boost::system::error_code ec;
      if (!properties_json.empty()) properties = json::parse(properties_json, ec);
      if (ec) properties = nullptr;
    }
    if (m.Matches(properties.is_object() ? &properties.as_object() : nullptr)) out.push_back(m.id);
  }
  return out;
}

Aggregation Catalog::AggregationOf(std::string_view metric_id) const {
  const Metric* metric = FindMetric(metric_id);
  return metric == nullptr ? Aggregation::kSum : metric->aggregation;
}

bool Metric::Matches(const boost::json::object* properties) const {
  for (const auto& [property, expected] : filter) {
    if (properties == nullptr) return false;
    const json::value* actual = properties->if_contains(property);
    if (actual == nullptr) return false;
    // 7 and 7u are one integer to people: compare integers by value.
    if (actual->is_number() && expected.is_number()) {
      boost::system::error_code ec_a, ec_b;
      auto a = actual->to_number<int64_t>(ec_a);
      auto b = expected.to_number<int64_t>(ec_b);
      if (ec_a || ec_b || a != b) return false;
    } else if (*actual != expected) {
      return false;
    }
  }
  return true;
}

std::string_view AggregationName(Aggregation aggregation) {
  for (const auto& [value, name] : kAggregations) {
    if (value == aggregation) return name;
  }
  return "sum";
}

}  // namespace meterline::catalog
