// A charge's JSON: each model read and written back unchanged, and every
// mistake refused with the field named.
#include "pricing/charge_json.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace meterline::pricing {
namespace {

const money::Currency kUsd = *money::FindCurrency("USD");
const money::Currency kJpy = *money::FindCurrency("JPY");

Result<MetricCharge> Parse(const char* text, const money::Currency& currency = kUsd) {
  return ParseCharge(boost::json::parse(text), currency, "charges.impressions");
}

TEST(ChargeJsonTest, EveryModelRoundTrips) {
  for (const char* text : {
           R"({"model":"included_then_overage","included":1000000,"price":{"amount":"0.5","per":1000}})",
           R"({"model":"per_unit","free_units":100,"price":{"amount":"0.0005","per":1}})",
           R"({"model":"graduated","tiers":[{"up_to":1000000,"unit_price":{"amount":"0","per":1000}},)"
           R"({"up_to":10000000,"unit_price":{"amount":"0.4","per":1000},"flat_amount":"25"},)"
           R"({"unit_price":{"amount":"0.3","per":1000}}]})",
           R"({"model":"volume","tiers":[{"up_to":5,"unit_price":{"amount":"7","per":1}},)"
           R"({"unit_price":{"amount":"6.5","per":1}}]})",
           R"({"model":"package","package_size":1000,"price":"2.5","rounding":"down"})",
       }) {
    auto parsed = Parse(text);
    ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.error().message;
    EXPECT_EQ(boost::json::serialize(ChargeJson(*parsed)), boost::json::serialize(boost::json::parse(text))) << text;
    auto again = ParseCharge(ChargeJson(*parsed), kUsd, "");
    ASSERT_TRUE(again.ok());
    for (int64_t q : {0, 1, 999, 1000, 1001, 4'500'000, 12'000'000}) {
      EXPECT_EQ(Price(*parsed, q, kUsd)->total_minor, Price(*again, q, kUsd)->total_minor) << text << " q=" << q;
    }
  }
  // Defaults: per 1, package rounding up, no free units.
  auto package = Parse(R"({"model":"package","package_size":10,"price":"1"})");
  ASSERT_TRUE(package.ok());
  EXPECT_EQ(std::get<Package>(package->model).rounding, PackageRounding::kUp);
  auto per_unit = Parse(R"({"model":"per_unit","price":{"amount":"0.01"}})");
  ASSERT_TRUE(per_unit.ok());
  EXPECT_EQ(std::get<PerUnit>(per_unit->model).price.per_units, 1);
}

TEST(ChargeJsonTest, MistakesNameTheirField) {
  auto param_of = [](const char* text, const money::Currency& currency = kUsd) {
    auto parsed = Parse(text, currency);
    EXPECT_FALSE(parsed.ok()) << text;
    return parsed.ok() ? std::string() : parsed.error().param;
  };
  EXPECT_EQ(param_of(R"({"price":{"amount":"1"}})"), "charges.impressions.model");
  EXPECT_EQ(param_of(R"({"model":"tiered"})"), "charges.impressions.model");
  EXPECT_EQ(param_of(R"({"model":"per_unit","price":{"amount":0.5}})"), "charges.impressions.price.amount");
  EXPECT_EQ(param_of(R"({"model":"per_unit","price":{"amount":"1","per":0}})"), "charges.impressions.price.per");
  EXPECT_EQ(param_of(R"({"model":"per_unit","price":{"amount":"1"},"colour":"red"})"), "charges.impressions.colour");
  EXPECT_EQ(param_of(R"({"model":"included_then_overage","price":{"amount":"1"}})"), "charges.impressions.included");
  EXPECT_EQ(param_of(R"({"model":"graduated","tiers":[{"up_to":10,"unit_price":{"amount":"1"}},)"
                     R"({"up_to":5,"unit_price":{"amount":"1"}},{"unit_price":{"amount":"1"}}]})"),
            "charges.impressions.tiers[1].up_to");
  EXPECT_EQ(param_of(R"({"model":"volume","tiers":[{"unit_price":{"amount":"1"},"flat_amount":"2.5"}]})", kJpy),
            "charges.impressions.tiers[0].flat_amount");
  EXPECT_EQ(param_of(R"({"model":"package","package_size":0,"price":"1"})"), "charges.impressions.package_size");
  EXPECT_EQ(param_of(R"({"model":"package","package_size":5,"price":"1","rounding":"nearest"})"),
            "charges.impressions.rounding");
  EXPECT_EQ(param_of(R"({"model":"per_unit","free_units":-1,"price":{"amount":"1"}})"),
            "charges.impressions.free_units");
  auto message = Parse(R"({"model":"graduated","tiers":[{"up_to":10,"unit_price":{"amount":"1"}},)"
                       R"({"up_to":10,"unit_price":{"amount":"1"}},{"unit_price":{"amount":"1"}}]})");
  ASSERT_FALSE(message.ok());
  EXPECT_EQ(message.error().message,
            "charges.impressions.tiers[1].up_to must be greater than charges.impressions.tiers[0].up_to");
}

}  // namespace
}  // namespace meterline::pricing
