// The plan catalog loader (src/catalog/catalog.cpp), fed any text.
//
// Properties:
// - a refused catalog is an InvalidArgument whose message starts "catalog: " (it names the path);
// - a loaded one keeps its promises: metrics and plans non-empty with unique ids, a supported currency,
//   a base fee >= 0, a limit >= 0 and a price (amount >= 0, per >= 1) for every metric of every plan;
// - it says what the document says: each base fee in minor units is exactly the fee's decimal text, each
//   price is its amount and per, each limit its number (a fee that wrapped in 64 bits would differ);
// - written back as JSON (fees by FormatMajor, amounts by Decimal::ToString, charges by ChargeJson) it loads
//   as the same catalog, so no fee, price or charge is changed on the way in (a wrapped fee would not survive this);
// - each plan stored as a version (PlanDefinition, its prices in other currencies included) reads back with the
//   same prices in the same currencies, and every fixed amount is a multiple of its currency's step.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "catalog/catalog.hpp"
#include "fuzz/check.hpp"
#include "pricing/charge_json.hpp"

namespace {

namespace json = boost::json;
using namespace meterline;
using catalog::Catalog;

json::object PriceJson(const money::UnitPrice& price) {
  return {{"amount", price.amount.ToString()}, {"per", price.per_units}};
}

std::string Write(const Catalog& c) {
  json::array metrics, plans;
  for (const auto& m : c.metrics()) {
    metrics.push_back(
        {{"id", m.id}, {"name", m.name}, {"unit", m.unit}, {"overage_price", PriceJson(m.overage_price)}});
  }
  for (const auto& p : c.plans()) {
    json::object limits, prices, charges;
    for (const auto& [metric, limit] : p.limits) limits[metric] = limit;
    for (const auto& [metric, price] : p.overage) prices[metric] = PriceJson(price);
    for (const auto& [metric, charge] : p.charges) charges[metric] = pricing::ChargeJson(charge);
    plans.push_back({{"id", p.id},
                     {"name", p.name},
                     {"currency", p.currency.code},
                     {"base_fee", money::FormatMajor(p.base_fee_minor, p.currency)},
                     {"minimum_commitment", money::FormatMajor(p.minimum_minor, p.currency)},
                     {"limits", std::move(limits)},
                     {"overage_prices", std::move(prices)},
                     {"charges", std::move(charges)}});
  }
  return json::serialize(json::object{{"metrics", std::move(metrics)}, {"plans", std::move(plans)}});
}

bool SamePrice(const money::UnitPrice& a, const money::UnitPrice& b) {
  return a.amount == b.amount && a.per_units == b.per_units;
}

void CheckPromises(const Catalog& c) {
  FUZZ_CHECK(!c.metrics().empty() && !c.plans().empty());
  std::set<std::string> metric_ids, plan_ids;
  for (const auto& m : c.metrics()) {
    FUZZ_CHECK(!m.id.empty() && !m.name.empty() && !m.unit.empty() && metric_ids.insert(m.id).second);
    FUZZ_CHECK(!m.overage_price.amount.IsNegative() && m.overage_price.per_units >= 1);
    FUZZ_CHECK(c.FindMetric(m.id) == &m);
  }
  for (const auto& p : c.plans()) {
    FUZZ_CHECK(!p.id.empty() && !p.name.empty() && plan_ids.insert(p.id).second && c.FindPlan(p.id) == &p);
    auto currency = money::FindCurrency(p.currency.code);
    FUZZ_CHECK(currency && currency->exponent == p.currency.exponent);
    FUZZ_CHECK(p.base_fee_minor >= 0);
    FUZZ_CHECK(p.limits.size() == metric_ids.size() && p.overage.size() == metric_ids.size());
    for (const auto& [metric, limit] : p.limits) FUZZ_CHECK(metric_ids.count(metric) && limit >= 0);
    for (const auto& [metric, price] : p.overage) {
      FUZZ_CHECK(metric_ids.count(metric) && !price.amount.IsNegative() && price.per_units >= 1);
    }
  }
}

bool SamePrice(const json::value& v, const money::UnitPrice& price) {
  const json::object& obj = v.as_object();
  auto amount = money::Decimal::Parse(std::string_view(obj.at("amount").as_string()));
  return amount && *amount == price.amount && obj.at("per").to_number<int64_t>() == price.per_units;
}

// The document the catalog was loaded from (it loaded, so every member read below is there and well-typed).
void CheckAgainstDocument(const Catalog& c, std::string_view text) {
  json::value doc = json::parse(text);
  const json::array& metrics = doc.at("metrics").as_array();
  for (size_t i = 0; i < c.metrics().size(); ++i) {
    FUZZ_CHECK(SamePrice(metrics[i].at("overage_price"), c.metrics()[i].overage_price));
  }
  const json::array& plans = doc.at("plans").as_array();
  for (size_t i = 0; i < c.plans().size(); ++i) {
    const catalog::Plan& plan = c.plans()[i];
    const json::object& obj = plans[i].as_object();
    auto fee = money::Decimal::Parse(std::string_view(obj.at("base_fee").as_string()));
    FUZZ_CHECK(fee && *fee == money::Decimal(plan.base_fee_minor, plan.currency.exponent));
    for (const auto& [metric, limit] : obj.at("limits").as_object()) {
      FUZZ_CHECK(limit.to_number<int64_t>() == plan.limits.at(std::string(metric)));
    }
    if (auto prices = obj.find("overage_prices"); prices != obj.end()) {
      for (const auto& [metric, price] : prices->value().as_object()) {
        FUZZ_CHECK(SamePrice(price, plan.overage.at(std::string(metric))));
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto loaded = Catalog::Parse(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!loaded.ok()) {
    FUZZ_CHECK(loaded.error().code == ErrorCode::kInvalidArgument);
    FUZZ_CHECK(loaded.error().message.rfind("catalog: ", 0) == 0);
    return 0;
  }
  CheckPromises(*loaded);
  for (const auto& p : loaded->plans()) {
    auto stored = catalog::ParsePlan(catalog::PlanDefinition(p), loaded->metrics(), "");
    FUZZ_CHECK(stored.ok());
    FUZZ_CHECK(catalog::SamePricing(*stored, p) && stored->Currencies() == p.Currencies());
    FUZZ_CHECK(p.base_fee_minor % p.currency.step == 0);
    for (const auto& other : p.other_currencies) {
      FUZZ_CHECK(other.currency.code != p.currency.code && other.limits == p.limits);
      FUZZ_CHECK(other.base_fee_minor >= 0 && other.base_fee_minor % other.currency.step == 0);
      FUZZ_CHECK(p.InCurrency(other.currency.code) == &other);
    }
  }
  CheckAgainstDocument(*loaded, std::string_view(reinterpret_cast<const char*>(data), size));
  std::string written = Write(*loaded);
  auto again = Catalog::Parse(written);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->metrics().size() == loaded->metrics().size() && again->plans().size() == loaded->plans().size());
  for (size_t i = 0; i < loaded->metrics().size(); ++i) {
    const auto &a = loaded->metrics()[i], &b = again->metrics()[i];
    FUZZ_CHECK(a.id == b.id && a.name == b.name && a.unit == b.unit && SamePrice(a.overage_price, b.overage_price));
  }
  for (size_t i = 0; i < loaded->plans().size(); ++i) {
    const auto &a = loaded->plans()[i], &b = again->plans()[i];
    FUZZ_CHECK(a.id == b.id && a.name == b.name && a.currency.code == b.currency.code);
    FUZZ_CHECK(a.base_fee_minor == b.base_fee_minor && a.limits == b.limits && a.minimum_minor == b.minimum_minor);
    FUZZ_CHECK(a.charges.size() == b.charges.size());
    for (const auto& [metric, charge] : a.charges) {
      FUZZ_CHECK(json::serialize(pricing::ChargeJson(charge)) ==
                 json::serialize(pricing::ChargeJson(b.charges.at(metric))));
    }
    for (const auto& [metric, price] : a.overage) FUZZ_CHECK(SamePrice(price, b.overage.at(metric)));
  }
  return 0;
}
