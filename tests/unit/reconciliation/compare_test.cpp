// The pure core of reconciliation: golden cases of one expected invoice
// against ours and Stripe's, and the checked totals per currency.
#include "reconciliation/compare.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <optional>

namespace meterline::reconciliation {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

// An expected invoice of cus_1 in USD: a base fee of 4900 and an overage of
// 12500 on impressions (positions 1 and 2), with `tax` at kTaxPosition.
invoicing::ExpectedInvoice Expected(int64_t tax = 0, std::string currency = "USD") {
  invoicing::ExpectedInvoice e;
  e.subscription.id = "sub_1";
  e.subscription.customer_id = "cus_1";
  e.currency = std::move(currency);
  e.amounts.lines = {{"base_fee", "", "Starter plan", 1, "49.00", 4900},
                     {"overage", "impressions", "Impressions over", 25'000, "0.0005", 12500}};
  e.amounts.subtotal_minor = 17400;
  e.amounts.tax_minor = tax;
  e.amounts.total_minor = 17400 + tax;
  return e;
}

BilledInvoice Billed(int64_t base, int64_t overage, std::string currency = "USD") {
  return BilledInvoice{"in_1", std::move(currency), base + overage, {{1, base}, {2, overage}}};
}

struct Golden {
  const char* name;
  std::optional<OurInvoice> ours;
  std::optional<BilledInvoice> billed;
  int64_t tax;
  // Expected: the findings as "kind/line/expected/billed/difference", and the amounts added to the totals.
  std::vector<std::string> findings;
  bool matched;
  int64_t expected, billed_total, discrepancy;
};

std::string Describe(const Finding& f) {
  return std::string(FindingKindName(f.kind)) + "/" + f.line + "/" + std::to_string(f.expected_minor) + "/" +
         std::to_string(f.billed_minor) + "/" + std::to_string(f.difference_minor);
}

const OurInvoice kOpen{"inv_1", "in_1", invoicing::InvoiceStatus::kOpen};

TEST(CompareInvoice, GoldenCases) {
  BilledInvoice extra_line = Billed(4900, 12500);
  extra_line.lines[3] = 100;
  extra_line.total += 100;
  BilledInvoice with_tax = Billed(4900, 12500);
  with_tax.lines[kTaxPosition] = 3306;
  with_tax.total += 3306;
  // One case per entry, kept as written:
  // clang-format off
  const std::vector<Golden> cases = {
      {"no invoice of ours", std::nullopt, std::nullopt, 0,
       {"missing_internal/total/17400/0/-17400"}, false, 17400, 0, 17400},
      {"ours void: nothing owed", OurInvoice{"inv_1", "in_1", invoicing::InvoiceStatus::kVoid}, std::nullopt, 0, {}, false, 0, 0, 0},
      {"not in Stripe", kOpen, std::nullopt, 0, {"missing_in_stripe/total/17400/0/-17400"}, false, 17400, 0, 17400},
      {"equal", kOpen, Billed(4900, 12500), 0, {}, true, 17400, 17400, 0},
      // 0.5 % of 12500 is 62.5: 62 off is within, 63 is beyond (the total's own 0.5 % is 87).
      {"within tolerance", kOpen, Billed(4900, 12562), 0, {}, true, 17400, 17462, 62},
      {"beyond tolerance", kOpen, Billed(4900, 12563), 0, {"amount_mismatch/impressions/12500/12563/63"}, true,
       17400, 17463, 63},
      {"one minor unit is never a finding", kOpen, Billed(4901, 12500), 0, {}, true, 17400, 17401, 1},
      {"a line only Stripe has", kOpen, extra_line, 0,
       {"amount_mismatch/line 3/0/100/100", "amount_mismatch/total/17400/17500/100"}, true, 17400, 17500, 100},
      {"tax compared at its position", kOpen, with_tax, 3306, {}, true, 20706, 20706, 0},
      {"tax missing in Stripe", kOpen, Billed(4900, 12500), 3306,
       {"amount_mismatch/tax/3306/0/-3306", "amount_mismatch/total/20706/17400/-3306"}, true, 20706, 17400, 3306},
      {"billed in another currency", kOpen, Billed(4900, 12500, "EUR"), 0,
       {"currency_mismatch/total/17400/17400/-17400"}, true, 17400, 0, 17400},
  };
  // clang-format on
  for (const Golden& g : cases) {
    SCOPED_TRACE(g.name);
    auto c = CompareInvoice(Expected(g.tax), g.ours ? &*g.ours : nullptr, g.billed ? &*g.billed : nullptr,
                            money::Decimal(5, 3));
    ASSERT_TRUE(c.ok()) << c.error().message;
    std::vector<std::string> found;
    for (const Finding& f : c->findings) {
      found.push_back(Describe(f));
      EXPECT_EQ(f.customer_id, "cus_1");
      EXPECT_EQ(f.currency, "USD");
    }
    EXPECT_EQ(found, g.findings);
    EXPECT_EQ(c->stripe_matched, g.matched);
    EXPECT_EQ(c->expected_minor, g.expected);
    EXPECT_EQ(c->billed_minor, g.billed_total);
    EXPECT_EQ(c->discrepancy_minor, g.discrepancy);
  }
}

TEST(CompareInvoice, StripeAmountsPastInt64AreAnOverflowError) {
  BilledInvoice hostile = Billed(4900, 12500);
  hostile.total = kMin;
  auto c = CompareInvoice(Expected(), &kOpen, &hostile, money::Decimal(5, 3));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kUnprocessable);
  EXPECT_EQ(c.error().Reason(), "overflow");
  hostile = Billed(4900, kMin);
  EXPECT_FALSE(CompareInvoice(Expected(), &kOpen, &hostile, money::Decimal(5, 3)).ok());
}

TEST(TotalsByCurrency, CurrenciesAreNeverAddedAndEachHasItsThreshold) {
  Options options;
  ASSERT_TRUE(ParseAlertThreshold("100,JPY=5000", options).ok());
  TotalsByCurrency totals;
  InvoiceComparison usd{{}, true, 17400, 17463, 63};
  ASSERT_TRUE(totals.Add("USD", "sub_1", usd).ok());
  ASSERT_TRUE(totals.Add("USD", "sub_1", usd).ok());  // a second period of one subscription
  ASSERT_TRUE(totals.Add("EUR", "sub_2", {{}, false, 20000, 0, 20000}).ok());
  ASSERT_TRUE(totals.AddUnmatched({"in_9", "EUR", -500, {}}).ok());
  EXPECT_EQ(totals.subscriptions(), 2);
  std::vector<CurrencyTotals> done = totals.Finish(options);
  ASSERT_EQ(done.size(), 2u);
  EXPECT_EQ(done[0].currency, "EUR");
  EXPECT_EQ(done[0].expected_total_minor, 20000);
  EXPECT_EQ(done[0].billed_total_minor, -500);
  EXPECT_EQ(done[0].discrepancy_total_minor, 20500);
  EXPECT_EQ(done[0].alert_threshold_minor, 10000);
  EXPECT_TRUE(done[0].alert_raised);
  EXPECT_EQ(done[1].currency, "USD");
  EXPECT_EQ(done[1].subscriptions_checked, 1);
  EXPECT_EQ(done[1].expected_total_minor, 34800);
  EXPECT_EQ(done[1].discrepancy_total_minor, 126);
  EXPECT_FALSE(done[1].alert_raised);
  // Ties on subscriptions go to the larger expected total.
  EXPECT_EQ(MainCurrency(done)->currency, "USD");
  EXPECT_EQ(MainCurrency({}), nullptr);
}

TEST(TotalsByCurrency, SumsPastInt64AreAnOverflowErrorNotAWrap) {
  TotalsByCurrency totals;
  ASSERT_TRUE(totals.Add("USD", "sub_1", {{}, true, kMax, kMax, 0}).ok());
  auto overflow = totals.Add("USD", "sub_2", {{}, true, 1, 0, 0});
  ASSERT_FALSE(overflow.ok());
  EXPECT_EQ(overflow.error().Reason(), "overflow");
  EXPECT_EQ(overflow.error().message, "the expected USD total does not fit in a 64-bit integer");
  TotalsByCurrency other;
  EXPECT_FALSE(other.AddUnmatched({"in_1", "USD", kMin, {}}).ok());
}

}  // namespace
}  // namespace meterline::reconciliation
