#include "catalog/catalog.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace meterline::catalog {
namespace {

TEST(CatalogTest, DefaultHasTheSpecTiers) {
  const Catalog& c = Catalog::Default();
  ASSERT_EQ(c.plans().size(), 4u);
  struct Tier {
    const char* id;
    int64_t impressions, api_calls, bytes;
  };
  for (const Tier& t :
       {Tier{"starter", 1'000'000, 100'000, 50'000'000'000}, Tier{"growth", 10'000'000, 1'000'000, 500'000'000'000},
        Tier{"scale", 50'000'000, 5'000'000, 2'500'000'000'000},
        Tier{"enterprise", 100'000'000, 10'000'000, 5'000'000'000'000}}) {
    const Plan* plan = c.FindPlan(t.id);
    ASSERT_NE(plan, nullptr) << t.id;
    EXPECT_EQ(plan->limits.at("impressions"), t.impressions) << t.id;
    EXPECT_EQ(plan->limits.at("api_calls"), t.api_calls) << t.id;
    EXPECT_EQ(plan->limits.at("data_transfer"), t.bytes) << t.id;
    EXPECT_EQ(plan->currency.code, "USD");
  }
  EXPECT_EQ(c.FindPlan("starter")->base_fee_minor, 4900);
  const Plan& growth = *c.FindPlan("growth");
  EXPECT_EQ(*money::ChargeMinor(growth.overage.at("impressions"), 1000, growth.currency), 50);
  EXPECT_EQ(*money::ChargeMinor(growth.overage.at("api_calls"), 1000, growth.currency), 10);
  EXPECT_EQ(*money::ChargeMinor(growth.overage.at("data_transfer"), 1'000'000'000, growth.currency), 5);
  EXPECT_EQ(c.FindPlan("platinum"), nullptr);
}

TEST(CatalogTest, PlanOverridesAMetricPrice) {
  auto c = Catalog::Parse(R"({
    "metrics": [{"id": "impressions", "name": "Imps", "unit": "impression",
                 "overage_price": {"amount": "0.50", "per": 1000}}],
    "plans": [{"id": "eu", "name": "EU", "currency": "EUR", "base_fee": "10",
               "limits": {"impressions": 5},
               "overage_prices": {"impressions": {"amount": "0.40", "per": 1000}}}]})");
  ASSERT_TRUE(c.ok()) << c.error().message;
  const Plan& plan = *c->FindPlan("eu");
  EXPECT_EQ(plan.base_fee_minor, 1000);
  EXPECT_EQ(*money::ChargeMinor(plan.overage.at("impressions"), 1000, plan.currency), 40);
}

// A plan may price a metric with any charge model, and commit to a minimum.
TEST(CatalogTest, PlansSetChargeModelsAndAMinimumCommitment) {
  auto c = Catalog::Parse(R"({
    "metrics": [{"id": "impressions", "name": "Imps", "unit": "impression",
                 "overage_price": {"amount": "0.50", "per": 1000}},
                {"id": "calls", "name": "Calls", "unit": "call", "overage_price": {"amount": "0.10", "per": 1000}}],
    "plans": [{"id": "tiered", "name": "Tiered", "currency": "USD", "base_fee": "0", "minimum_commitment": "100.00",
               "limits": {"impressions": 1000000, "calls": 0},
               "charges": {"impressions": {"model": "graduated", "tiers": [
                   {"up_to": 1000000, "unit_price": {"amount": "0", "per": 1000}},
                   {"unit_price": {"amount": "0.40", "per": 1000}}]}}}]})");
  ASSERT_TRUE(c.ok()) << c.error().message;
  const Plan& plan = *c->FindPlan("tiered");
  EXPECT_EQ(plan.minimum_minor, 10000);
  EXPECT_EQ(pricing::ModelName(ChargeFor(plan, *c->FindMetric("impressions")).model), std::string("graduated"));
  // Without a charge, a metric keeps the allowance-and-overage of limits and prices.
  auto calls = ChargeFor(plan, *c->FindMetric("calls"));
  ASSERT_TRUE(std::holds_alternative<pricing::IncludedThenOverage>(calls.model));
  EXPECT_EQ(std::get<pricing::IncludedThenOverage>(calls.model).price.amount, money::Decimal(10, 2));

  auto bad = Catalog::Parse(R"({
    "metrics": [{"id": "m", "name": "M", "unit": "u", "overage_price": {"amount": "1", "per": 1}}],
    "plans": [{"id": "p", "name": "P", "currency": "JPY", "base_fee": "1", "limits": {"m": 1},
               "charges": {"m": {"model": "volume", "tiers": [{"unit_price": {"amount": "1"}, "flat_amount": "0.5"}]}}}]})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message,
            "catalog: plans[0].charges.m.tiers[0].flat_amount 0.5 is not a whole amount of JPY minor units");
  auto unknown = Catalog::Parse(R"({
    "metrics": [{"id": "m", "name": "M", "unit": "u", "overage_price": {"amount": "1", "per": 1}}],
    "plans": [{"id": "p", "name": "P", "currency": "USD", "base_fee": "1", "limits": {"m": 1},
               "charges": {"x": {"model": "per_unit", "price": {"amount": "1"}}}}]})");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().message, "catalog: plans[0].charges.x names no metric in metrics");
}

// A version is stored as PlanDefinition's JSON: reading it back must give
// the same prices, every model and the minimum included.
TEST(CatalogTest, APlanDefinitionReadsBackToTheSamePlan) {
  auto c = Catalog::Parse(R"({
    "metrics": [{"id": "impressions", "name": "Imps", "unit": "impression",
                 "overage_price": {"amount": "0.50", "per": 1000}},
                {"id": "calls", "name": "Calls", "unit": "call", "overage_price": {"amount": "0.10", "per": 1000}}],
    "plans": [{"id": "mixed", "name": "Mixed", "currency": "JPY", "base_fee": "5000", "minimum_commitment": "20000",
               "limits": {"impressions": 1000000, "calls": 10},
               "overage_prices": {"calls": {"amount": "3", "per": 100}},
               "charges": {"impressions": {"model": "volume", "free_units": 50, "tiers": [
                   {"up_to": 1000000, "unit_price": {"amount": "0.5", "per": 1000}, "flat_amount": "100"},
                   {"unit_price": {"amount": "0.25", "per": 1000}}]}}}]})");
  ASSERT_TRUE(c.ok()) << c.error().message;
  std::vector<const Plan*> plans = {c->FindPlan("mixed")};
  for (const Plan& p : Catalog::Default().plans()) plans.push_back(&p);
  for (const Plan* plan : plans) {
    boost::json::value definition = PlanDefinition(*plan);
    auto back = ParsePlan(definition, plan->id == "mixed" ? c->metrics() : Catalog::Default().metrics(), "");
    ASSERT_TRUE(back.ok()) << plan->id << ": " << back.error().message;
    EXPECT_TRUE(SamePricing(*back, *plan)) << plan->id;
    EXPECT_EQ(back->name, plan->name);
    EXPECT_EQ(back->minimum_minor, plan->minimum_minor);
    EXPECT_EQ(back->charges.size(), plan->charges.size());
  }
  // Any price differing is a different plan; the name alone is not.
  Plan renamed = *c->FindPlan("mixed");
  renamed.name = "Other";
  EXPECT_TRUE(SamePricing(renamed, *c->FindPlan("mixed")));
  Plan dearer = renamed;
  dearer.base_fee_minor += 1;
  EXPECT_FALSE(SamePricing(dearer, renamed));
  // At the top level (the API), errors name the field without a prefix.
  auto missing = ParsePlan(boost::json::value{{"id", "p"}, {"name", "P"}, {"currency", "USD"}, {"base_fee", "1"}},
                           c->metrics(), "");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().param, "limits");
  EXPECT_EQ(missing.error().message, "limits must be an object");
}

// A plan in several currencies restates every price in each; limits are shared.
TEST(CatalogTest, PriceSetsRestateEveryPriceInTheirCurrency) {
  const std::vector<Metric> metrics = {{"impressions", "Imps", "impression", {money::Decimal(50, 2), 1000}},
                                       {"calls", "Calls", "call", {money::Decimal(10, 2), 1000}}};
  auto parse = [&](const std::string& text) {
    boost::system::error_code ec;
    boost::json::value doc = boost::json::parse(text, ec);
    EXPECT_FALSE(ec) << text;
    return ParsePlan(doc, metrics, "");
  };
  const std::string head = R"({"id": "g", "name": "G", "currency": "USD", "base_fee": "10.00",
    "limits": {"impressions": 1000, "calls": 10},
    "charges": {"impressions": {"model": "per_unit", "price": {"amount": "0.01"}}}, "prices": )";
  auto plan = parse(head + R"({"JPY": {"base_fee": "1500", "minimum_commitment": "3000",
      "overage_prices": {"calls": {"amount": "15", "per": 1000}},
      "charges": {"impressions": {"model": "per_unit", "price": {"amount": "1.5"}}}},
    "KWD": {"base_fee": "3.070", "overage_prices": {"calls": {"amount": "0.031", "per": 1000}},
      "charges": {"impressions": {"model": "per_unit", "price": {"amount": "0.003"}}}}}})");
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_EQ(plan->Currencies(), (std::vector<std::string>{"USD", "JPY", "KWD"}));
  const Plan* yen = plan->InCurrency("JPY");
  ASSERT_NE(yen, nullptr);
  EXPECT_EQ(yen->base_fee_minor, 1500);  // no minor unit
  EXPECT_EQ(yen->minimum_minor, 3000);
  EXPECT_EQ(yen->limits, plan->limits);
  EXPECT_EQ(plan->InCurrency("KWD")->base_fee_minor, 3070);  // three decimals
  EXPECT_EQ(plan->InCurrency("GBP"), nullptr);
  EXPECT_EQ(plan->InCurrency("USD"), &*plan);
  plan->SetVersion(4);
  EXPECT_EQ(plan->InCurrency("KWD")->version, 4);
  // Written out and read back: the same prices in every currency.
  auto back = ParsePlan(PlanDefinition(*plan), metrics, "");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_TRUE(SamePricing(*back, *plan));
  Plan cheaper_yen = *plan;
  cheaper_yen.other_currencies[0].base_fee_minor -= 1;
  EXPECT_FALSE(SamePricing(cheaper_yen, *plan)) << "a price in another currency is a price";

  auto param_of = [&](const std::string& prices) {
    auto bad = parse(head + prices + "}");
    EXPECT_FALSE(bad.ok()) << prices;
    return bad.ok() ? std::string() : bad.error().param;
  };
  EXPECT_EQ(param_of(R"({"JPY": {"base_fee": "1500", "charges": {"impressions": {"model": "per_unit",
              "price": {"amount": "1"}}}}})"),
            "prices.JPY.overage_prices.calls");
  EXPECT_EQ(param_of(R"({"JPY": {"base_fee": "1500", "overage_prices": {"calls": {"amount": "15", "per": 1000}}}})"),
            "prices.JPY.charges.impressions");
  EXPECT_EQ(param_of(R"({"JPY": {"base_fee": "15.5"}})"), "prices.JPY.base_fee");
  // Stripe settles KWD in tens of fils: 3.075 cannot be charged.
  EXPECT_EQ(param_of(R"({"KWD": {"base_fee": "3.075"}})"), "prices.KWD.base_fee");
  EXPECT_EQ(param_of(R"({"USD": {"base_fee": "1"}})"), "prices.USD");
  EXPECT_EQ(param_of(R"({"XXX": {"base_fee": "1"}})"), "prices.XXX");
  EXPECT_EQ(param_of(R"({"JPY": {"base_fee": "1", "limits": {}}})"), "prices.JPY.limits");
  EXPECT_EQ(param_of(R"({"JPY": {"base_fee": "1", "charges": {"calls": {"model": "per_unit",
              "price": {"amount": "1"}}}}})"),
            "prices.JPY.charges.calls");
}

TEST(CatalogTest, ErrorsNameThePath) {
  const char* metrics =
      R"("metrics": [{"id": "m", "name": "M", "unit": "u", "overage_price": {"amount": "1", "per": 1}}])";
  auto parse = [&](const std::string& plans) {
    return Catalog::Parse(std::string("{") + metrics + ", " + plans + "}");
  };
  struct Case {
    std::string plans;
    std::string message;
  };
  for (const Case& c : std::vector<Case>{
           {R"("plans": [{"id": "p", "name": "P", "currency": "USD", "base_fee": "1", "limits": {"m": -1}}])",
            "catalog: plans[0].limits.m must be a non-negative integer"},
           {R"("plans": [{"id": "p", "name": "P", "currency": "XYZ", "base_fee": "1", "limits": {"m": 1}}])",
            "catalog: plans[0].currency 'XYZ' is not a supported ISO 4217 code"},
           {R"("plans": [{"id": "p", "name": "P", "currency": "USD", "base_fee": "1.001", "limits": {"m": 1}}])",
            "catalog: plans[0].base_fee must be a non-negative amount with at most 2 decimals"},
           {R"("plans": [{"id": "p", "name": "P", "currency": "USD", "base_fee": "1", "limits": {}}])",
            "catalog: plans[0].limits.m is missing"},
           {R"("plans": [{"id": "p", "name": "P", "currency": "USD", "base_fee": "1", "limits": {"m": 1, "x": 2}}])",
            "catalog: plans[0].limits.x names no metric in metrics"},
           {R"("plans": [])", "catalog: plans must be a non-empty array"},
           // Found by fuzzing: the fee in cents does not fit in 64 bits and used to wrap to another fee.
           {R"("plans": [{"id": "p", "name": "P", "currency": "USD", "base_fee": "373940100000000000",)"
            R"( "limits": {"m": 1}}])",
            "catalog: plans[0].base_fee must be at most 92233720368547758.07"},
           {R"("plans": [{"id": "p", "name": "P", "currency": "EUR", "base_fee": "92233720368547759",)"
            R"( "limits": {"m": 1}}])",
            "catalog: plans[0].base_fee must be at most 92233720368547758.07"},
       }) {
    auto result = parse(c.plans);
    ASSERT_FALSE(result.ok()) << c.plans;
    EXPECT_EQ(result.error().message, c.message);
  }
  auto largest = parse(R"("plans": [{"id": "p", "name": "P", "currency": "USD", "base_fee": "92233720368547758.07",
                                      "limits": {"m": 1}}])");
  ASSERT_TRUE(largest.ok()) << largest.error().message;
  EXPECT_EQ(largest->plans()[0].base_fee_minor, INT64_MAX);
  EXPECT_EQ(Catalog::Parse("{nope").error().message.rfind("catalog: not valid JSON", 0), 0u);
}

// A plan bills every month, quarter or year; allowances are monthly and scale
// unless written per interval; the definition reads back the same.
TEST(CatalogTest, PlansBillEveryMonthQuarterOrYear) {
  auto c = Catalog::Parse(R"({
    "metrics": [{"id": "m", "name": "M", "unit": "u", "overage_price": {"amount": "1", "per": 1}}],
    "plans": [{"id": "q", "name": "Q", "currency": "USD", "base_fee": "30", "interval": "quarter",
               "limits": {"m": 10}, "charges": {"m": {"model": "per_unit", "price": {"amount": "1"}, "free_units": 4}}},
              {"id": "y", "name": "Y", "currency": "USD", "base_fee": "120", "interval": "year",
               "allowances": "per_interval", "limits": {"m": 100}},
              {"id": "mo", "name": "Mo", "currency": "USD", "base_fee": "10", "limits": {"m": 10}}]})");
  ASSERT_TRUE(c.ok()) << c.error().message;
  const Plan& q = *c->FindPlan("q");
  EXPECT_EQ(q.interval_months, 3);
  const Metric& m = *c->FindMetric("m");
  EXPECT_EQ(q.LimitOf(m), 30);
  EXPECT_EQ(ChargeFor(q, *c->FindMetric("m")).free_units, 12);
  EXPECT_EQ(c->FindPlan("y")->LimitOf(m), 100);
  EXPECT_EQ(c->FindPlan("mo")->LimitOf(m), 10);
  // A peak or a latest value does not grow with the period: its allowance is as written.
  for (Aggregation gauge : {Aggregation::kMax, Aggregation::kLast}) {
    Metric peak = m;
    peak.aggregation = gauge;
    EXPECT_EQ(q.LimitOf(peak), 10);
    EXPECT_EQ(ChargeFor(q, peak).free_units, 4);
  }
  Metric counted = m;
  counted.aggregation = Aggregation::kCount;
  EXPECT_EQ(q.LimitOf(counted), 30);
  for (const Plan& plan : c->plans()) {
    auto back = ParsePlan(PlanDefinition(plan), c->metrics(), "");
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_TRUE(SamePricing(*back, plan)) << plan.id;
    EXPECT_EQ(back->interval_months, plan.interval_months);
    EXPECT_EQ(back->allowances_per_interval, plan.allowances_per_interval);
  }
  EXPECT_FALSE(PlanDefinition(*c->FindPlan("mo")).contains("interval")) << "monthly plans read as before";
  auto bad = Catalog::Parse(R"({
    "metrics": [{"id": "m", "name": "M", "unit": "u", "overage_price": {"amount": "1", "per": 1}}],
    "plans": [{"id": "w", "name": "W", "currency": "USD", "base_fee": "1", "interval": "week", "limits": {"m": 1}}]})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "catalog: plans[0].interval must be month, quarter or year");
}

TEST(CatalogTest, PlansMayOfferATrial) {
  auto c = Catalog::Parse(R"({
    "metrics": [{"id": "m", "name": "M", "unit": "u", "overage_price": {"amount": "1", "per": 1}}],
    "plans": [{"id": "t", "name": "T", "currency": "USD", "base_fee": "30", "limits": {"m": 10},
               "trial": {"days": 14, "usage": "billed", "requires_payment_method": true},
               "prices": {"EUR": {"base_fee": "28", "overage_prices": {"m": {"amount": "1", "per": 1}}}}},
              {"id": "n", "name": "N", "currency": "USD", "base_fee": "10", "limits": {"m": 10}}]})");
  ASSERT_TRUE(c.ok()) << c.error().message;
  const Plan& t = *c->FindPlan("t");
  EXPECT_EQ(t.trial.days, 14);
  EXPECT_TRUE(t.trial.usage_billed);
  EXPECT_TRUE(t.trial.requires_payment_method);
  EXPECT_EQ(t.InCurrency("EUR")->trial.days, 14) << "every currency's prices share the trial";
  EXPECT_EQ(c->FindPlan("n")->trial.days, 0);
  auto back = ParsePlan(PlanDefinition(t), c->metrics(), "");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->trial.days, 14);
  EXPECT_TRUE(back->trial.usage_billed);
  EXPECT_FALSE(PlanDefinition(*c->FindPlan("n")).contains("trial")) << "plans without a trial read as before";
  Plan shorter = t;
  shorter.trial.days = 7;
  EXPECT_FALSE(SamePricing(shorter, t)) << "a different trial is a new version";

  auto bad = [](const char* trial) {
    std::string doc = R"({"metrics": [{"id": "m", "name": "M", "unit": "u", "overage_price": {"amount": "1",
      "per": 1}}], "plans": [{"id": "w", "name": "W", "currency": "USD", "base_fee": "1", "limits": {"m": 1},
      "trial": )" + std::string(trial) +
                      "}]}";
    auto parsed = Catalog::Parse(doc);
    return parsed.ok() ? std::string("ok") : parsed.error().message;
  };
  EXPECT_EQ(bad(R"({"days": 731})"), "catalog: plans[0].trial.days must be a whole number of days from 0 to 730");
  EXPECT_EQ(bad(R"({"days": -1})"), "catalog: plans[0].trial.days must be a whole number of days from 0 to 730");
  EXPECT_EQ(bad(R"({"usage": "cheap"})"), "catalog: plans[0].trial.usage must be free or billed");
  EXPECT_EQ(bad(R"({"requires_payment_method": "yes"})"),
            "catalog: plans[0].trial.requires_payment_method must be true or false");
  EXPECT_EQ(bad(R"({"weeks": 2})"),
            "catalog: plans[0].trial.weeks is not a trial setting (takes days, usage, requires_payment_method)");
  EXPECT_EQ(bad("14"), "catalog: plans[0].trial must be an object with days, usage, requires_payment_method");
}

// Metrics aggregate their events four ways, and may read another name's
// events, or only those whose properties match a filter.
TEST(CatalogTest, MetricsChooseAnAggregationAndTheEventsTheyRead) {
  auto c = Catalog::Parse(R"({
    "metrics": [
      {"id": "impressions", "name": "Imps", "unit": "impression", "overage_price": {"amount": "0.50", "per": 1000}},
      {"id": "impressions_eu", "name": "EU imps", "unit": "impression", "event": "impressions",
       "filter": {"region": "eu", "tier": 2, "app": true}, "overage_price": {"amount": "0.60", "per": 1000}},
      {"id": "requests", "name": "Requests", "unit": "request", "event": "impressions", "aggregation": "count",
       "overage_price": {"amount": "1", "per": 1000}},
      {"id": "seats", "name": "Seats", "unit": "seat", "aggregation": "max", "overage_price": {"amount": "5", "per": 1}},
      {"id": "storage", "name": "Storage", "unit": "GB", "aggregation": "last",
       "overage_price": {"amount": "0.02", "per": 1}}],
    "plans": [{"id": "p", "name": "P", "currency": "USD", "base_fee": "1",
               "limits": {"impressions": 1, "impressions_eu": 1, "requests": 1, "seats": 1, "storage": 1}}]})");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->AggregationOf("seats"), Aggregation::kMax);
  EXPECT_EQ(c->AggregationOf("storage"), Aggregation::kLast);
  EXPECT_EQ(c->AggregationOf("requests"), Aggregation::kCount);
  EXPECT_EQ(c->AggregationOf("impressions"), Aggregation::kSum);
  EXPECT_EQ(c->AggregationOf("no_such_rollup"), Aggregation::kSum);
  EXPECT_EQ(AggregationName(Aggregation::kLast), "last");
  EXPECT_TRUE(c->AcceptsEvent("impressions"));
  EXPECT_TRUE(c->AcceptsEvent("seats"));
  EXPECT_FALSE(c->AcceptsEvent("impressions_eu"));  // a derived metric's id is no event name
  EXPECT_FALSE(c->FindMetric("impressions")->Derived());
  EXPECT_TRUE(c->FindMetric("requests")->Derived());
  // Every filter value must match, integers by value, types exactly otherwise.
  using V = std::vector<std::string>;
  EXPECT_EQ(c->DerivedMetricsOf("impressions", ""), V{"requests"});
  EXPECT_EQ(c->DerivedMetricsOf("impressions", R"({"region":"eu","tier":2,"app":true})"),
            (V{"impressions_eu", "requests"}));
  EXPECT_EQ(c->DerivedMetricsOf("impressions", R"({"app":true,"tier":2,"region":"eu","more":[1]})"),
            (V{"impressions_eu", "requests"}));
  EXPECT_EQ(c->DerivedMetricsOf("impressions", R"({"region":"eu","tier":"2","app":true})"), V{"requests"});
  EXPECT_EQ(c->DerivedMetricsOf("impressions", R"({"region":"eu","tier":2.5,"app":true})"), V{"requests"});
  EXPECT_EQ(c->DerivedMetricsOf("impressions", R"({"region":"EU","tier":2,"app":true})"), V{"requests"});
  EXPECT_EQ(c->DerivedMetricsOf("impressions", R"({"region":"eu","tier":2})"), V{"requests"});
  EXPECT_EQ(c->DerivedMetricsOf("impressions", "not json"), V{"requests"});
  EXPECT_TRUE(c->DerivedMetricsOf("seats", R"({"region":"eu"})").empty());

  const char* plans = R"("plans": [{"id": "p", "name": "P", "currency": "USD", "base_fee": "1", "limits": {}}])";
  struct Case {
    std::string metrics;
    std::string message;
  };
  for (
      const Case& bad : std::vector<Case>{
          {R"({"id": "m", "name": "M", "unit": "u", "aggregation": "avg", "overage_price": {"amount": "1", "per": 1}})",
           "catalog: metrics[0].aggregation must be sum, count, max or last"},
          {R"({"id": "m", "name": "M", "unit": "u", "filter": {}, "overage_price": {"amount": "1", "per": 1}})",
           "catalog: metrics[0].filter must be an object of property -> value, e.g. {\"region\": \"eu\"}"},
          {R"({"id": "m", "name": "M", "unit": "u", "filter": {"r": 1.5}, "overage_price": {"amount": "1", "per": 1}})",
           "catalog: metrics[0].filter.r must be a string, an integer or a boolean"},
          {R"({"id": "m", "name": "M", "unit": "u", "event": "", "overage_price": {"amount": "1", "per": 1}})",
           "catalog: metrics[0].event must be a non-empty string"},
          // "m" reads "n"'s events, and "n" is also a metric with a filter: their rollups would be one.
          {R"({"id": "m", "name": "M", "unit": "u", "event": "n", "overage_price": {"amount": "1", "per": 1}},
               {"id": "n", "name": "N", "unit": "u", "filter": {"r": "x"}, "overage_price": {"amount": "1", "per": 1}})",
           "catalog: metrics[1].id is the event name metric 'm' reads: a metric with an event or filter of its own "
           "needs an id no metric reads events by"},
      }) {
    auto result = Catalog::Parse(R"({"metrics": [)" + bad.metrics + "], " + plans + "}");
    ASSERT_FALSE(result.ok()) << bad.metrics;
    EXPECT_EQ(result.error().message, bad.message);
  }
}

}  // namespace
}  // namespace meterline::catalog
