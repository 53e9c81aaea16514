#include "pricing/charge_json.hpp"

#include <initializer_list>
#include <string_view>
#include <type_traits>

namespace meterline::pricing {

namespace {

namespace json = boost::json;

std::string Field(const std::string& path, std::string_view name) {
  return path.empty() ? std::string(name) : path + "." + std::string(name);
}

Status OnlyKnown(const json::object& obj, std::initializer_list<std::string_view> known, const std::string& path) {
  for (const auto& [key, unused] : obj) {
    bool found = false;
    for (std::string_view k : known) found = found || key == k;
    if (!found) {
      std::string list;
      for (std::string_view k : known) list += (list.empty() ? "" : ", ") + std::string(k);
      return InvalidParam(Field(path, key), "unknown field " + Field(path, key) + " (takes " + list + ")");
    }
  }
  return OkStatus();
}

// A non-negative integer; `fallback` when absent, or required when there is none.
Result<int64_t> Count(const json::object& obj, std::string_view name, const std::string& path,
                      std::optional<int64_t> fallback) {
  std::string field = Field(path, name);
  auto it = obj.find(name);
  if (it == obj.end()) {
    if (fallback) return *fallback;
    return InvalidParam(field, field + " is required");
  }
  const json::value& v = it->value();
  if (v.is_int64() && v.as_int64() >= 0) return v.as_int64();
  if (v.is_uint64() && v.as_uint64() <= INT64_MAX) return static_cast<int64_t>(v.as_uint64());
  return InvalidParam(field, field + " must be a non-negative integer");
}

Result<money::Decimal> Amount(const json::value& v, const std::string& field) {
  if (!v.is_string()) return InvalidParam(field, field + " must be a decimal string such as \"0.50\"");
  auto amount = money::Decimal::Parse(std::string_view(v.as_string()));
  if (!amount) return InvalidParam(field, field + " must be a decimal string such as \"0.50\"");
  if (amount->IsNegative()) return InvalidParam(field, field + " must not be negative");
  return *amount;
}

Result<money::UnitPrice> UnitPrice(const json::object& obj, std::string_view name, const std::string& path) {
  std::string field = Field(path, name);
  auto it = obj.find(name);
  if (it == obj.end()) return InvalidParam(field, field + " is required");
  if (!it->value().is_object()) {
    return InvalidParam(field, field + " must be an object like {\"amount\": \"0.50\", \"per\": 1000}");
  }
  const json::object& price = it->value().as_object();
  MTL_RETURN_IF_ERROR(OnlyKnown(price, {"amount", "per"}, field));
  auto amount_it = price.find("amount");
  if (amount_it == price.end()) return InvalidParam(Field(field, "amount"), Field(field, "amount") + " is required");
  MTL_ASSIGN_OR_RETURN(auto amount, Amount(amount_it->value(), Field(field, "amount")));
  MTL_ASSIGN_OR_RETURN(auto per, Count(price, "per", field, 1));
  if (per < 1) return InvalidParam(Field(field, "per"), Field(field, "per") + " must be at least 1");
  return money::UnitPrice{amount, per};
}

Result<std::vector<Tier>> Tiers(const json::object& obj, const std::string& path) {
  std::string field = Field(path, "tiers");
  auto it = obj.find("tiers");
  if (it == obj.end() || !it->value().is_array()) return InvalidParam(field, field + " must be an array of tiers");
  std::vector<Tier> tiers;
  const json::array& array = it->value().as_array();
  for (size_t i = 0; i < array.size(); ++i) {
    std::string tier_path = field + "[" + std::to_string(i) + "]";
    if (!array[i].is_object()) return InvalidParam(tier_path, tier_path + " must be an object");
    const json::object& t = array[i].as_object();
    MTL_RETURN_IF_ERROR(OnlyKnown(t, {"up_to", "unit_price", "flat_amount"}, tier_path));
    Tier tier;
    if (auto up_to = t.find("up_to"); up_to != t.end() && !up_to->value().is_null()) {
      MTL_ASSIGN_OR_RETURN(auto n, Count(t, "up_to", tier_path, std::nullopt));
      tier.up_to = n;
    }
    MTL_ASSIGN_OR_RETURN(tier.unit_price, UnitPrice(t, "unit_price", tier_path));
    if (auto flat = t.find("flat_amount"); flat != t.end()) {
      MTL_ASSIGN_OR_RETURN(tier.flat_amount, Amount(flat->value(), Field(tier_path, "flat_amount")));
    }
    tiers.push_back(tier);
  }
  return tiers;
}

json::object PriceJson(const money::UnitPrice& price) {
  return {{"amount", price.amount.ToString()}, {"per", price.per_units}};
}

json::array TiersJson(const std::vector<Tier>& tiers) {
  json::array out;
  for (const Tier& tier : tiers) {
    json::object t;
    if (tier.up_to) t["up_to"] = *tier.up_to;
    t["unit_price"] = PriceJson(tier.unit_price);
    if (!tier.flat_amount.IsZero()) t["flat_amount"] = tier.flat_amount.ToString();
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace

Result<MetricCharge> ParseCharge(const json::value& value, const money::Currency& currency, const std::string& path) {
  if (!value.is_object()) return InvalidParam(path, (path.empty() ? "a charge" : path) + " must be an object");
  const json::object& obj = value.as_object();
  auto model_it = obj.find("model");
  if (model_it == obj.end() || !model_it->value().is_string()) {
    return InvalidParam(Field(path, "model"), Field(path, "model") +
                                                  " must be one of included_then_overage, per_unit, graduated, "
                                                  "volume, package");
  }
  std::string_view model = model_it->value().as_string();
  MetricCharge charge;
  MTL_ASSIGN_OR_RETURN(charge.free_units, Count(obj, "free_units", path, 0));
  if (model == "included_then_overage") {
    MTL_RETURN_IF_ERROR(OnlyKnown(obj, {"model", "free_units", "included", "price"}, path));
    IncludedThenOverage m;
    MTL_ASSIGN_OR_RETURN(m.included, Count(obj, "included", path, std::nullopt));
    MTL_ASSIGN_OR_RETURN(m.price, UnitPrice(obj, "price", path));
    charge.model = m;
  } else if (model == "per_unit") {
    MTL_RETURN_IF_ERROR(OnlyKnown(obj, {"model", "free_units", "price"}, path));
    PerUnit m;
    MTL_ASSIGN_OR_RETURN(m.price, UnitPrice(obj, "price", path));
    charge.model = m;
  } else if (model == "graduated" || model == "volume") {
    MTL_RETURN_IF_ERROR(OnlyKnown(obj, {"model", "free_units", "tiers"}, path));
    MTL_ASSIGN_OR_RETURN(auto tiers, Tiers(obj, path));
    if (model == "graduated") {
      charge.model = Graduated{std::move(tiers)};
    } else {
      charge.model = Volume{std::move(tiers)};
    }
  } else if (model == "package") {
    MTL_RETURN_IF_ERROR(OnlyKnown(obj, {"model", "free_units", "package_size", "price", "rounding"}, path));
    Package m;
    MTL_ASSIGN_OR_RETURN(m.size, Count(obj, "package_size", path, std::nullopt));
    auto price_it = obj.find("price");
    if (price_it == obj.end()) return InvalidParam(Field(path, "price"), Field(path, "price") + " is required");
    MTL_ASSIGN_OR_RETURN(m.price, Amount(price_it->value(), Field(path, "price")));
    if (auto rounding = obj.find("rounding"); rounding != obj.end()) {
      const json::value& r = rounding->value();
      if (r.is_string() && r.as_string() == "up") {
        m.rounding = PackageRounding::kUp;
      } else if (r.is_string() && r.as_string() == "down") {
        m.rounding = PackageRounding::kDown;
      } else {
        return InvalidParam(Field(path, "rounding"), Field(path, "rounding") + " must be up or down");
      }
    }
    charge.model = m;
  } else {
    return InvalidParam(Field(path, "model"), Field(path, "model") + " '" + std::string(model.substr(0, 40)) +
                                                  "' is not one of included_then_overage, per_unit, graduated, "
                                                  "volume, package");
  }
  MTL_RETURN_IF_ERROR(Validate(charge, currency, path));
  return charge;
}

json::object ChargeJson(const MetricCharge& charge) {
  json::object out{{"model", ModelName(charge.model)}};
  if (charge.free_units != 0) out["free_units"] = charge.free_units;
  std::visit(
      [&out](const auto& m) {
        using M = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<M, IncludedThenOverage>) {
          out["included"] = m.included;
          out["price"] = PriceJson(m.price);
        } else if constexpr (std::is_same_v<M, PerUnit>) {
          out["price"] = PriceJson(m.price);
        } else if constexpr (std::is_same_v<M, Graduated> || std::is_same_v<M, Volume>) {
          out["tiers"] = TiersJson(m.tiers);
        } else {
          out["package_size"] = m.size;
          out["price"] = m.price.ToString();
          out["rounding"] = m.rounding == PackageRounding::kUp ? "up" : "down";
        }
      },
      charge.model);
  return out;
}

}  // namespace meterline::pricing
