#include "money/money.hpp"

#include <gtest/gtest.h>

#include <random>

namespace meterline::money {
namespace {

Decimal D(const char* text) { return *Decimal::Parse(text); }
const Currency kUsd = *FindCurrency("USD");
const Currency kJpy = *FindCurrency("JPY");

TEST(DecimalTest, ParsesAndPrintsExactly) {
  EXPECT_EQ(D("0.50").ToString(), "0.5");
  EXPECT_EQ(D("12").ToString(), "12");
  EXPECT_EQ(D("-3.125").ToString(), "-3.125");
  EXPECT_EQ(D("0.000000001").ToString(), "0.000000001");
  EXPECT_EQ(D("0.50"), D("0.5"));
  EXPECT_LT(D("0.05"), D("0.5"));
  // The whole int64 range reads back, -2^63 included; one more is refused.
  EXPECT_EQ(D("-9223372036854775808").units(), INT64_MIN);
  EXPECT_EQ(D("-9.223372036854775808").ToString(), "-9.223372036854775808");
  EXPECT_FALSE(Decimal::Parse("-9223372036854775809").has_value());
  EXPECT_FALSE(Decimal::Parse("9223372036854775808").has_value());
  for (const char* bad :
       {"", "-", ".5", "5.", "1e3", "+1", " 1", "1 ", "1.2.3", "0.1234567890123456789", "99999999999999999999"}) {
    EXPECT_FALSE(Decimal::Parse(bad).has_value()) << bad;
  }
}

TEST(RoundingTest, HalfToEvenOnlyAtExactHalves) {
  EXPECT_EQ(DivideRoundHalfEven(25, 10), 2);  // 2.5 -> 2
  EXPECT_EQ(DivideRoundHalfEven(35, 10), 4);  // 3.5 -> 4
  EXPECT_EQ(DivideRoundHalfEven(26, 10), 3);  // 2.6 -> 3
  EXPECT_EQ(DivideRoundHalfEven(24, 10), 2);  // 2.4 -> 2
  EXPECT_EQ(DivideRoundHalfEven(-25, 10), -2);
  EXPECT_EQ(DivideRoundHalfEven(-35, 10), -4);
  EXPECT_EQ(DivideRoundHalfEven(-26, 10), -3);
  EXPECT_EQ(DivideRoundHalfEven(7, 7), 1);
}

TEST(ChargeTest, SpecOveragePrices) {
  UnitPrice impressions{D("0.50"), 1000};     // $0.50 per 1,000 impressions
  UnitPrice api_calls{D("0.10"), 1000};       // $0.10 per 1,000 API calls
  UnitPrice transfer{D("0.05"), 1000000000};  // $0.05 per GB (10^9 bytes)
  EXPECT_EQ(*ChargeMinor(impressions, 1000, kUsd), 50);
  EXPECT_EQ(*ChargeMinor(impressions, 1234567, kUsd), 61728);           // 617.2835 -> 617.28
  EXPECT_EQ(*ChargeMinor(impressions, 1000010, kUsd), 50000);           // 500.005 -> 500.00 (half to even)
  EXPECT_EQ(*ChargeMinor(impressions, 1000030, kUsd), 50002);           // 500.015 -> 500.02 (half to even)
  EXPECT_EQ(*ChargeMinor(api_calls, 999, kUsd), 10);                    // 0.0999 -> 0.10
  EXPECT_EQ(*ChargeMinor(transfer, int64_t{123456789000}, kUsd), 617);  // 6.17283945 -> 6.17
  EXPECT_EQ(*ChargeMinor(transfer, 0, kUsd), 0);
  EXPECT_EQ(*ChargeMinor(impressions, 1234567, kJpy), 617);  // no minor units: 617.2835 -> 617
}

// ISO 4217 exponents, and the three-decimal currencies settled by Stripe in
// tens of fils: every KWD charge is a multiple of 10 minor units, rounded
// half to even on that step (0.005 KWD ties go to the even ten).
TEST(ChargeTest, ThreeDecimalCurrenciesRoundToTenFils) {
  const Currency kwd = *FindCurrency("KWD");
  EXPECT_EQ(kwd.exponent, 3);
  EXPECT_EQ(kwd.step, 10);
  EXPECT_EQ(FindCurrency("KRW")->exponent, 0);
  EXPECT_EQ(FindCurrency("USD")->step, 1);
  UnitPrice fils{*Decimal::Parse("0.001"), 1};     // one fils per unit
  EXPECT_EQ(*ChargeMinor(fils, 1234, kwd), 1230);  // 1.234 -> 1.230
  EXPECT_EQ(*ChargeMinor(fils, 1236, kwd), 1240);  // 1.236 -> 1.240
  EXPECT_EQ(*ChargeMinor(fils, 1235, kwd), 1240);  // tie: 123.5 tens -> 124 (even)
  EXPECT_EQ(*ChargeMinor(fils, 1245, kwd), 1240);  // tie: 124.5 tens -> 124 (even)
  EXPECT_EQ(FormatMajor(1240, kwd), "1.240");
}

TEST(ChargeTest, RefusesBadInputAndOverflow) {
  UnitPrice price{D("0.50"), 1000};
  EXPECT_FALSE(ChargeMinor(price, -1, kUsd).ok());
  EXPECT_FALSE(ChargeMinor(UnitPrice{D("1"), 0}, 1, kUsd).ok());
  auto huge = ChargeMinor(UnitPrice{D("9223372036854775807"), 1}, INT64_MAX, kUsd);
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.error().code, ErrorCode::kUnprocessable);
  EXPECT_EQ(huge.error().Reason(), "overflow");
}

TEST(ChargeTest, SplittingQuantityNeverGainsMoreThanRoundingPerPart) {
  // Property: charging a quantity in parts differs from charging it whole by at
  // most half a minor unit per part (each part is rounded once).
  std::mt19937_64 rng(42);
  UnitPrice price{D("0.0005"), 1};
  for (int i = 0; i < 2000; ++i) {
    int64_t a = static_cast<int64_t>(rng() % 10'000'000), b = static_cast<int64_t>(rng() % 10'000'000);
    int64_t whole = *ChargeMinor(price, a + b, kUsd);
    int64_t parts = *ChargeMinor(price, a, kUsd) + *ChargeMinor(price, b, kUsd);
    EXPECT_LE(std::abs(whole - parts), 1) << a << " + " << b;
  }
}

TEST(MoneyTest, AddChecksCurrencyAndOverflow) {
  EXPECT_EQ(*Add({150, "USD"}, {250, "USD"}), (Money{400, "USD"}));
  EXPECT_EQ(Add({1, "USD"}, {1, "EUR"}).error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(Add({INT64_MAX, "USD"}, {1, "USD"}).error().code, ErrorCode::kUnprocessable);
  EXPECT_EQ(Add({INT64_MAX, "USD"}, {1, "USD"}).error().Reason(), "overflow");
}

TEST(MoneyTest, FormatsMajorUnits) {
  EXPECT_EQ(FormatMajor(61728, kUsd), "617.28");
  EXPECT_EQ(FormatMajor(5, kUsd), "0.05");
  EXPECT_EQ(FormatMajor(-1205, kUsd), "-12.05");
  EXPECT_EQ(FormatMajor(617, kJpy), "617");
  EXPECT_EQ(FormatMajor(0, kJpy), "0");
  EXPECT_EQ(FormatMajor(-5, kUsd), "-0.05");
  // Found by fuzzing: INT64_MIN's magnitude does not fit in 64 bits and printed "--9223372036854775808".
  EXPECT_EQ(FormatMajor(INT64_MIN, kJpy), "-9223372036854775808");
  EXPECT_EQ(FormatMajor(INT64_MIN, kUsd), "-92233720368547758.08");
  EXPECT_EQ(FormatMajor(INT64_MAX, kJpy), "9223372036854775807");
  for (int exponent = 0; exponent <= 18; ++exponent) {
    Currency currency{"XTS", exponent};
    for (int64_t minor : {INT64_MIN, INT64_MIN + 1, int64_t{-1}, int64_t{0}, int64_t{7}, INT64_MAX}) {
      std::string text = FormatMajor(minor, currency);
      EXPECT_EQ(text.find("--"), std::string::npos) << text;
      ASSERT_TRUE(Decimal::Parse(text).has_value()) << text;
      EXPECT_EQ(*Decimal::Parse(text), Decimal(minor, exponent)) << text;
    }
  }
  EXPECT_EQ(PerUnitText(UnitPrice{D("0.50"), 1000}), "0.0005");
  EXPECT_EQ(PerUnitText(UnitPrice{D("0.05"), 1000000000}), "0.00000000005");
  EXPECT_EQ(PerUnitText(UnitPrice{D("1"), 3}), "1/3");
  EXPECT_FALSE(FindCurrency("XXX").has_value());
}

}  // namespace
}  // namespace meterline::money
