// Charge models: golden cases from Stripe's and Lago's documented tier
// examples, properties checked against an independent reference on random
// tiers and quantities, validation that names the field, and the words.
#include "pricing/charge_model.hpp"

#include <gtest/gtest.h>

#include <random>

#include "pricing/describe.hpp"

namespace meterline::pricing {
namespace {

using money::Decimal;
using money::UnitPrice;

Decimal D(const char* text) { return *Decimal::Parse(text); }
const money::Currency kUsd = *money::FindCurrency("USD");
const money::Currency kJpy = *money::FindCurrency("JPY");
const money::Currency kKwd{"KWD", 3};

int64_t Total(const MetricCharge& charge, int64_t quantity, const money::Currency& currency = kUsd) {
  auto priced = Price(charge, quantity, currency);
  EXPECT_TRUE(priced.ok()) << priced.error().message;
  return priced.ok() ? priced->total_minor : -1;
}

// Stripe's tiered-pricing guide: fonts 1–5 at 7 USD, 6–10 at 6.50, 11+ at 6.
std::vector<Tier> TypographicTiers() {
  return {{5, {D("7"), 1}, D("0")}, {10, {D("6.5"), 1}, D("0")}, {std::nullopt, {D("6"), 1}, D("0")}};
}

TEST(ChargeModelTest, VolumeMatchesStripesDocumentedTable) {
  MetricCharge volume{Volume{TypographicTiers()}};
  EXPECT_EQ(Total(volume, 1), 700);
  EXPECT_EQ(Total(volume, 5), 3500);
  EXPECT_EQ(Total(volume, 6), 3900);  // every font at 6.50
  EXPECT_EQ(Total(volume, 20), 12000);
  EXPECT_EQ(Total(volume, 25), 15000);
}

TEST(ChargeModelTest, GraduatedMatchesStripesDocumentedTable) {
  MetricCharge graduated{Graduated{TypographicTiers()}};
  EXPECT_EQ(Total(graduated, 1), 700);
  EXPECT_EQ(Total(graduated, 5), 3500);
  EXPECT_EQ(Total(graduated, 6), 4150);    // 5 x 7 + 1 x 6.50
  EXPECT_EQ(Total(graduated, 20), 12750);  // 35 + 32.50 + 10 x 6
  EXPECT_EQ(Total(graduated, 25), 15750);
  auto lines = Price(graduated, 20, kUsd)->lines;
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[1].first_unit, 6);
  EXPECT_EQ(lines[1].last_unit, 10);
  EXPECT_EQ(lines[1].amount_minor, 3250);
  EXPECT_EQ(lines[2].quantity, 10);
}

TEST(ChargeModelTest, VolumeWithFlatFeesMatchesLagosExample) {
  // Lago's volume guide: 65,000 API calls reach tier 3 (0.0006) plus its 10 USD flat fee = 49 USD.
  MetricCharge volume{Volume{{{10000, {D("0.0010"), 1}, D("10")},
                              {50000, {D("0.0008"), 1}, D("10")},
                              {100000, {D("0.0006"), 1}, D("10")},
                              {std::nullopt, {D("0.0004"), 1}, D("10")}}}};
  auto priced = Price(volume, 65000, kUsd);
  ASSERT_TRUE(priced.ok());
  EXPECT_EQ(priced->total_minor, 4900);
  ASSERT_EQ(priced->lines.size(), 2u);
  EXPECT_EQ(priced->lines[0].kind, LineKind::kTierFlat);
  EXPECT_EQ(priced->lines[0].tier, 2);
}

TEST(ChargeModelTest, IncludedThenOverageIsTodaysOverage) {
  // Growth: 10,000,000 impressions included, then 0.50 USD per 1,000.
  MetricCharge growth{IncludedThenOverage{10'000'000, {D("0.50"), 1000}}};
  EXPECT_EQ(Total(growth, 10'000'000), 0);
  EXPECT_TRUE(Price(growth, 9'000'000, kUsd)->lines.empty());
  EXPECT_EQ(Total(growth, 12'345'678), *money::ChargeMinor({D("0.50"), 1000}, 2'345'678, kUsd));
  EXPECT_EQ(Total(growth, 12'345'678), 117284);  // 1,172.839 -> 1,172.84
  auto line = Price(growth, 12'000'001, kUsd)->lines.at(0);
  EXPECT_EQ(line.kind, LineKind::kOverage);
  EXPECT_EQ(line.first_unit, 10'000'001);
  EXPECT_EQ(line.quantity, 2'000'001);
}

TEST(ChargeModelTest, PackagesRoundUpOrDownAsSet) {
  MetricCharge started{Package{1000, D("2.50"), PackageRounding::kUp}};
  MetricCharge completed{Package{1000, D("2.50"), PackageRounding::kDown}};
  EXPECT_EQ(Total(started, 4500), 1250);    // 5 packages
  EXPECT_EQ(Total(completed, 4500), 1000);  // 4 packages
  EXPECT_EQ(Total(started, 4000), Total(completed, 4000));
  EXPECT_EQ(Total(started, 1), 250);
  EXPECT_TRUE(Price(completed, 999, kUsd)->lines.empty());
  EXPECT_EQ(Price(started, 4500, kUsd)->lines.at(0).quantity, 5);
  std::mt19937_64 rng(17);
  for (int i = 0; i < 2000; ++i) {
    int64_t size = 1 + static_cast<int64_t>(rng() % 5000);
    int64_t q = static_cast<int64_t>(rng() % 10'000'000);
    MetricCharge up{Package{size, D("1"), PackageRounding::kUp}};
    MetricCharge down{Package{size, D("1"), PackageRounding::kDown}};
    EXPECT_EQ(Total(up, q), (q + size - 1) / size * 100) << q << " / " << size;
    EXPECT_EQ(Total(down, q), q / size * 100) << q << " / " << size;
  }
}

TEST(ChargeModelTest, FreeUnitsComeOffFirstInEveryModel) {
  std::vector<ChargeModel> models = {IncludedThenOverage{100, {D("0.01"), 1}}, PerUnit{{D("0.003"), 1}},
                                     Graduated{TypographicTiers()}, Volume{TypographicTiers()},
                                     Package{7, D("1.10"), PackageRounding::kUp}};
  for (const auto& model : models) {
    for (int64_t q : {0, 5, 40, 1000, 123457}) {
      MetricCharge with_free{model, 30};
      MetricCharge without{model, 0};
      EXPECT_EQ(Total(with_free, q), Total(without, std::max<int64_t>(0, q - 30))) << ModelName(model) << " " << q;
      EXPECT_EQ(Price(with_free, q, kUsd)->billable, std::max<int64_t>(0, q - 30));
    }
  }
}

TEST(ChargeModelTest, NothingUsedChargesNothingInAnyModel) {
  std::vector<Tier> flat_first = {{10, {D("1"), 1}, D("25")}, {std::nullopt, {D("0.5"), 1}, D("5")}};
  for (const ChargeModel& model :
       std::vector<ChargeModel>{IncludedThenOverage{0, {D("1"), 1}}, PerUnit{{D("1"), 1}}, Graduated{flat_first},
                                Volume{flat_first}, Package{10, D("3"), PackageRounding::kUp}}) {
    auto priced = Price({model}, 0, kUsd);
    ASSERT_TRUE(priced.ok());
    EXPECT_TRUE(priced->lines.empty()) << ModelName(model);
    EXPECT_EQ(priced->total_minor, 0);
  }
}

// The reference: each tier's slice priced exactly (128-bit rationals) and
// rounded half to even once, plus the flat amount of every tier reached.
int64_t ReferenceGraduated(const std::vector<Tier>& tiers, int64_t q) {
  __int128 total = 0;
  int64_t lower = 0;
  for (const Tier& tier : tiers) {
    if (q <= lower) break;
    int64_t upper = tier.up_to ? std::min(q, *tier.up_to) : q;
    __int128 numerator = static_cast<__int128>(upper - lower) * tier.unit_price.amount.units() * 100;
    __int128 denominator = money::Pow10(tier.unit_price.amount.scale()) * tier.unit_price.per_units;
    total += money::DivideRoundHalfEven(numerator, denominator);
    total += tier.flat_amount.units() * money::Pow10(2) / money::Pow10(tier.flat_amount.scale());
    lower = upper;
  }
  return static_cast<int64_t>(total);
}

std::vector<Tier> RandomTiers(std::mt19937_64& rng) {
  std::vector<Tier> tiers;
  int64_t up_to = 0;
  size_t count = 1 + rng() % 6;
  for (size_t i = 0; i < count; ++i) {
    Tier tier;
    up_to += 1 + static_cast<int64_t>(rng() % 100'000);
    if (i + 1 < count) tier.up_to = up_to;
    tier.unit_price = {Decimal(static_cast<int64_t>(rng() % 10'000), 4), rng() % 2 ? 1 : 1000};
    tier.flat_amount = rng() % 3 == 0 ? Decimal(static_cast<int64_t>(rng() % 5000), 2) : Decimal(0, 0);
    tiers.push_back(tier);
  }
  return tiers;
}

TEST(ChargeModelTest, GraduatedIsTheSumOfItsSlices) {
  std::mt19937_64 rng(2026);
  for (int round = 0; round < 500; ++round) {
    auto tiers = RandomTiers(rng);
    ASSERT_TRUE(Validate({Graduated{tiers}}, kUsd).ok());
    for (int i = 0; i < 20; ++i) {
      int64_t q = static_cast<int64_t>(rng() % 700'000);
      auto priced = Price({Graduated{tiers}}, q, kUsd);
      ASSERT_TRUE(priced.ok());
      EXPECT_EQ(priced->total_minor, ReferenceGraduated(tiers, q)) << "q=" << q;
      // The unit lines cover units 1..q once each, in order.
      int64_t next = 1;
      for (const ChargeLine& line : priced->lines) {
        if (line.kind != LineKind::kUnits) continue;
        EXPECT_EQ(line.first_unit, next);
        EXPECT_EQ(line.quantity, line.last_unit - line.first_unit + 1);
        next = line.last_unit + 1;
      }
      EXPECT_EQ(next, q + 1);
    }
  }
}

TEST(ChargeModelTest, VolumeIsMonotoneWithinATier) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 300; ++round) {
    auto tiers = RandomTiers(rng);
    MetricCharge volume{Volume{tiers}};
    int64_t lower = 0;
    for (const Tier& tier : tiers) {
      int64_t upper = tier.up_to.value_or(lower + 100'000);
      int64_t previous = -1;
      for (int64_t q = lower + 1; q <= upper; q += 1 + static_cast<int64_t>(rng() % 997)) {
        int64_t total = Total(volume, q);
        EXPECT_GE(total, previous) << "q=" << q;
        previous = total;
      }
      lower = upper;
    }
  }
}

TEST(ChargeModelTest, CurrenciesKeepTheirMinorUnits) {
  // JPY has no minor units, KWD has three.
  MetricCharge per_call{PerUnit{{D("0.5"), 1}}};
  EXPECT_EQ(Total(per_call, 3, kJpy), 2);  // 1.5 JPY -> 2 (half to even)
  EXPECT_EQ(Total(per_call, 5, kJpy), 2);  // 2.5 JPY -> 2
  EXPECT_EQ(Total(per_call, 3, kKwd), 1500);
  MetricCharge kwd{Graduated{{{100, {D("0.0125"), 1}, D("1.234")}, {std::nullopt, {D("0.01"), 1}, D("0")}}}};
  ASSERT_TRUE(Validate(kwd, kKwd).ok());
  EXPECT_EQ(Total(kwd, 150, kKwd), 1234 + 1250 + 500);
  // 1.234 is not a whole number of yen, nor 10.5.
  auto bad = Validate(kwd, kJpy, "charges.impressions");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().param, "charges.impressions.tiers[0].flat_amount");
}

TEST(ChargeModelTest, ValidationNamesTheField) {
  auto param_of = [](const MetricCharge& charge) {
    Status s = Validate(charge, kUsd);
    EXPECT_FALSE(s.ok());
    return s.ok() ? std::string() : s.error().param + ": " + s.error().message;
  };
  std::vector<Tier> descending = {{100, {D("1"), 1}, D("0")},
                                  {200, {D("1"), 1}, D("0")},
                                  {150, {D("1"), 1}, D("0")},
                                  {std::nullopt, {D("1"), 1}, D("0")}};
  EXPECT_EQ(param_of({Graduated{descending}}), "tiers[2].up_to: tiers[2].up_to must be greater than tiers[1].up_to");
  std::vector<Tier> closed = {{100, {D("1"), 1}, D("0")}};
  EXPECT_EQ(param_of({Volume{closed}}), "tiers[0].up_to: tiers[0].up_to must be absent: the last tier has no end");
  std::vector<Tier> open_middle = {{std::nullopt, {D("1"), 1}, D("0")}, {std::nullopt, {D("1"), 1}, D("0")}};
  EXPECT_EQ(param_of({Graduated{open_middle}}).substr(0, 14), "tiers[0].up_to");
  EXPECT_EQ(param_of({Graduated{{}}}).substr(0, 5), "tiers");
  EXPECT_EQ(param_of({PerUnit{{D("-1"), 1}}}).substr(0, 5), "price");
  EXPECT_EQ(param_of({Package{0, D("1"), PackageRounding::kUp}}).substr(0, 12), "package_size");
  EXPECT_EQ(param_of({IncludedThenOverage{-1, {D("1"), 1}}}).substr(0, 8), "included");
  EXPECT_EQ(param_of({PerUnit{{D("1"), 1}}, -5}).substr(0, 10), "free_units");
  EXPECT_TRUE(Validate({Graduated{TypographicTiers()}}, kUsd).ok());
}

TEST(ChargeModelTest, OverflowIsAnErrorNeverAWrap) {
  auto priced = Price({PerUnit{{D("1000"), 1}}}, INT64_MAX, kUsd);
  ASSERT_FALSE(priced.ok());
  EXPECT_EQ(priced.error().Reason(), "overflow");
  EXPECT_FALSE(Price({PerUnit{{D("1"), 1}}}, -1, kUsd).ok());
}

TEST(ChargeModelTest, MinimumCommitmentTrueUp) {
  EXPECT_EQ(TrueUpMinor(4000, 10000), 6000);
  EXPECT_EQ(TrueUpMinor(10000, 10000), 0);
  EXPECT_EQ(TrueUpMinor(12000, 10000), 0);
  EXPECT_EQ(TrueUpMinor(0, 0), 0);
}

std::string Grouped(int64_t value) {
  std::string digits = std::to_string(value), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

TEST(DescribeTest, ModelsAndLinesReadAsAPriceList) {
  MetricWords impressions{"Ad impressions", Grouped};
  MetricCharge graduated{Graduated{{{1'000'000, {D("0"), 1000}, D("0")},
                                    {10'000'000, {D("0.40"), 1000}, D("0")},
                                    {std::nullopt, {D("0.3"), 1000}, D("0")}}}};
  EXPECT_EQ(DescribeModel(graduated, kUsd, impressions),
            "Ad impressions: first 1,000,000 included; 1,000,001\u201310,000,000 at 0.40 USD per 1,000; above "
            "10,000,000 at 0.30 USD per 1,000");
  auto priced = Price(graduated, 12'000'000, kUsd);
  ASSERT_TRUE(priced.ok());
  ASSERT_EQ(priced->lines.size(), 3u);
  EXPECT_EQ(DescribeLine(priced->lines[1], graduated, kUsd, impressions),
            "Ad impressions 1,000,001\u201310,000,000 at 0.40 USD per 1,000");
  MetricCharge volume{Volume{TypographicTiers()}};
  EXPECT_EQ(DescribeLine(Price(volume, 8, kUsd)->lines.at(0), volume, kUsd, {"Fonts", Grouped}),
            "Fonts 8 at 6.50 USD each (tier 6\u201310)");
  MetricCharge package{Package{1'000'000, D("350"), PackageRounding::kUp}, 500'000};
  EXPECT_EQ(DescribeModel(package, kUsd, impressions),
            "Ad impressions: first 500,000 free, then 350.00 USD per package of 1,000,000 (a started package counts "
            "in full)");
  EXPECT_EQ(DescribeLine(Price(package, 2'600'000, kUsd)->lines.at(0), package, kUsd, impressions),
            "Ad impressions 2,100,000 in 3 packages of 1,000,000 at 350.00 USD each");
  MetricCharge overage{IncludedThenOverage{10'000'000, {D("0.5"), 1000}}};
  EXPECT_EQ(DescribeModel(overage, kUsd, impressions),
            "Ad impressions: first 10,000,000 included; then 0.50 USD per 1,000");
  EXPECT_EQ(PriceText({D("2999"), 1}, kUsd, impressions), "2,999.00 USD each");
  EXPECT_EQ(PriceText({D("15"), 1}, kJpy, impressions), "15 JPY each");
}

}  // namespace
}  // namespace meterline::pricing
