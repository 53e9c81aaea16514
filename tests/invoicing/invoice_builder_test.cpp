// The invoice builder and the lifecycle: exact amounts by construction,
// checked on fixed cases and over random usage and tax rates.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "catalog/catalog.hpp"
#include "invoicing/invoice.hpp"
#include "invoicing/invoice_builder.hpp"
#include "invoicing/invoice_pdf_document.hpp"
#include "pricing/charge_model.hpp"

namespace meterline::invoicing {
namespace {

TEST(InvoiceBuilder, BaseFeeAndOneOverageLinePerMetricOverItsLimit) {
  catalog::Catalog catalog = catalog::Catalog::Default();
  const catalog::Plan& starter = *catalog.FindPlan("starter");
  // Starter: 1M impressions, 100K calls, 50 GB; $0.50/1000, $0.10/1000, $0.05/GB.
  auto inv = BuildInvoice(catalog, starter,
                          {{"impressions", 1'250'001}, {"api_calls", 99'999}, {"data_transfer", 51'000'000'000}},
                          std::nullopt);
  ASSERT_TRUE(inv.ok()) << inv.error().message;
  ASSERT_EQ(inv->lines.size(), 3u);
  EXPECT_EQ(inv->lines[0].kind, "base_fee");
  EXPECT_EQ(inv->lines[0].amount_minor, 4900);
  EXPECT_EQ(inv->lines[1].metric, "impressions");
  EXPECT_EQ(inv->lines[1].quantity, 250'001);
  EXPECT_EQ(inv->lines[1].unit_price, "0.0005");
  EXPECT_EQ(inv->lines[1].amount_minor, 12500);  // 125.0005 -> 125.00 (half to even on the cent)
  EXPECT_EQ(inv->lines[2].metric, "data_transfer");
  EXPECT_EQ(inv->lines[2].amount_minor, 5);  // 1 GB over at $0.05
  EXPECT_EQ(inv->subtotal_minor, 4900 + 12500 + 5);
  EXPECT_EQ(inv->tax_minor, 0);
  EXPECT_EQ(inv->total_minor, inv->subtotal_minor);
}

// A catalog with every model: the builder's lines per metric add up to what
// the pricing engine charges for it, and a minimum commitment trues up.
catalog::Catalog MixedCatalog() {
  auto c = catalog::Catalog::Parse(R"({
    "metrics": [{"id": "impressions", "name": "Ad impressions", "unit": "impression",
                 "overage_price": {"amount": "0.50", "per": 1000}},
                {"id": "api_calls", "name": "API calls", "unit": "call", "overage_price": {"amount": "0.10", "per": 1000}},
                {"id": "data_transfer", "name": "Data transfer", "unit": "byte",
                 "overage_price": {"amount": "0.05", "per": 1000000000}},
                {"id": "seats", "name": "Seats", "unit": "seat", "overage_price": {"amount": "0", "per": 1}}],
    "plans": [{"id": "mixed", "name": "Mixed", "currency": "USD", "base_fee": "10.00", "minimum_commitment": "500.00",
               "limits": {"impressions": 1000000, "api_calls": 100000, "data_transfer": 0, "seats": 0},
               "charges": {
                 "impressions": {"model": "graduated", "tiers": [
                   {"up_to": 1000000, "unit_price": {"amount": "0", "per": 1000}},
                   {"up_to": 10000000, "unit_price": {"amount": "0.40", "per": 1000}, "flat_amount": "25.00"},
                   {"unit_price": {"amount": "0.30", "per": 1000}}]},
                 "api_calls": {"model": "volume", "tiers": [
                   {"up_to": 100000, "unit_price": {"amount": "0.0010", "per": 1}},
                   {"unit_price": {"amount": "0.0008", "per": 1}, "flat_amount": "5"}]},
                 "data_transfer": {"model": "package", "package_size": 1000000000, "price": "0.05"},
                 "seats": {"model": "per_unit", "free_units": 3, "price": {"amount": "12.00", "per": 1}}}}]})");
  if (!c.ok()) ADD_FAILURE() << c.error().message;
  return std::move(c).value();
}

TEST(InvoiceBuilder, EveryChargeModelPricesItsLinesAndAMinimumTruesUp) {
  catalog::Catalog catalog = MixedCatalog();
  const catalog::Plan& mixed = *catalog.FindPlan("mixed");
  auto inv = BuildInvoice(
      catalog, mixed,
      {{"impressions", 12'000'000}, {"api_calls", 150'000}, {"data_transfer", 2'500'000'001}, {"seats", 5}},
      std::nullopt);
  ASSERT_TRUE(inv.ok()) << inv.error().message;
  std::vector<std::string> described;
  for (const auto& line : inv->lines) described.push_back(line.kind + " " + line.description);
  EXPECT_EQ(described, (std::vector<std::string>{
                           "base_fee Mixed plan, monthly fee",
                           "usage Ad impressions, flat fee for tier 1,000,001\u201310,000,000",
                           "usage Ad impressions 1,000,001\u201310,000,000 at 0.40 USD per 1,000",
                           "usage Ad impressions 10,000,001\u201312,000,000 at 0.30 USD per 1,000",
                           "usage API calls, flat fee for tier above 100,000",
                           "usage API calls 150,000 at 0.0008 USD each (tier above 100,000)",
                           "usage Data transfer 2.50 GB in 3 packages of 1 GB at 0.05 USD each",
                           "usage Seats 2 at 12.00 USD each",
                       }));
  // 10 + (25 + 3,600 + 600) + (5 + 120) + 0.15 + 24 = 4,384.15: above the 500 minimum, no true-up.
  EXPECT_EQ(inv->subtotal_minor, 438415);
  // Each metric's lines add up to the engine's charge for it.
  for (const catalog::Metric& metric : catalog.metrics()) {
    std::map<std::string, int64_t> usage = {
        {"impressions", 12'000'000}, {"api_calls", 150'000}, {"data_transfer", 2'500'000'001}, {"seats", 5}};
    int64_t lines = 0;
    for (const auto& line : inv->lines) lines += line.metric == metric.id ? line.amount_minor : 0;
    EXPECT_EQ(lines, pricing::Price(catalog::ChargeFor(mixed, metric), usage[metric.id], mixed.currency)->total_minor)
        << metric.id;
  }
  // A quiet month: the base fee and 2 seats fall short of the 500.00 minimum.
  auto quiet = BuildInvoice(catalog, mixed, {{"seats", 5}}, std::nullopt);
  ASSERT_TRUE(quiet.ok());
  ASSERT_EQ(quiet->lines.back().kind, "minimum");
  EXPECT_EQ(quiet->lines.back().amount_minor, 50000 - 1000 - 2400);
  EXPECT_EQ(quiet->lines.back().description, "Minimum commitment of 500.00 USD (charges 34.00)");
  EXPECT_EQ(quiet->subtotal_minor, 50000);
  EXPECT_EQ(quiet->total_minor, 50000);
}

TEST(InvoicePdfDocument, ShowsInclusiveDatesGroupedPricesAndOneMinus) {
  catalog::Catalog catalog = catalog::Catalog::Default();
  Invoice inv;
  inv.id = "inv_1";
  inv.customer_id = "cus_1";
  inv.currency = "USD";
  inv.status = InvoiceStatus::kDraft;
  inv.period = {*ParseIso8601("2026-10-01T00:00:00Z"), *ParseIso8601("2026-11-01T00:00:00Z")};
  inv.created_at = *ParseIso8601("2026-11-01T00:05:00Z");
  inv.lines = {{"base_fee", "", "Enterprise plan", 1, "2999.00", 299'900},
               {"adjustment", "", "Goodwill credit", 1, "-1500.00", -150'000}};
  inv.subtotal_minor = inv.total_minor = inv.amount_due_minor = 149'900;
  PdfInvoice draft = PdfDocumentFor(inv, {"Acme", "", ""}, Issuer{}, catalog);
  EXPECT_EQ(draft.period, "2026-10-01 \u2013 2026-10-31") << "the console's inclusive dates";
  EXPECT_EQ(draft.issue_date, "") << "a draft was never issued";
  EXPECT_EQ(draft.lines[0].unit_price, "2,999.00 USD");
  EXPECT_EQ(draft.lines[0].amount, "2,999.00 USD");
  EXPECT_EQ(draft.lines[1].unit_price, "\u22121,500.00 USD");
  EXPECT_EQ(draft.lines[1].amount, "\u22121,500.00 USD");
  EXPECT_EQ(draft.total, "1,499.00 USD");

  inv.status = InvoiceStatus::kOpen;
  inv.number = "INV-2026-000010";
  inv.finalized_at = *ParseIso8601("2026-11-02T09:00:00Z");
  EXPECT_EQ(PdfDocumentFor(inv, {"Acme", "", ""}, Issuer{}, catalog).issue_date, "2026-11-02");
}

TEST(InvoiceBuilder, TaxIsRoundedHalfToEvenOnce) {
  EXPECT_EQ(*TaxMinor(1000, *money::Decimal::Parse("0.19")), 190);
  EXPECT_EQ(*TaxMinor(1050, *money::Decimal::Parse("0.1")), 105);
  EXPECT_EQ(*TaxMinor(25, *money::Decimal::Parse("0.1")), 2);  // 2.5 -> 2
  EXPECT_EQ(*TaxMinor(35, *money::Decimal::Parse("0.1")), 4);  // 3.5 -> 4
  EXPECT_EQ(*TaxMinor(0, *money::Decimal::Parse("0.19")), 0);
}

TEST(InvoiceBuilder, RefusesNegativeUsageAndBadRates) {
  catalog::Catalog catalog = catalog::Catalog::Default();
  const catalog::Plan& plan = *catalog.FindPlan("growth");
  EXPECT_FALSE(BuildInvoice(catalog, plan, {{"impressions", -1}}, std::nullopt).ok());
  EXPECT_FALSE(BuildInvoice(catalog, plan, {}, money::Decimal::Parse("1")).ok());
  EXPECT_FALSE(BuildInvoice(catalog, plan, {}, money::Decimal::Parse("-0.1")).ok());
}

// A charge or a sum that does not fit in 64 bits is a 422 "overflow", never a wrap.
TEST(InvoiceBuilder, AmountsPastInt64AreAnOverflowErrorNotAWrap) {
  catalog::Catalog catalog = catalog::Catalog::Default();
  catalog::Plan plan = *catalog.FindPlan("starter");
  plan.overage["impressions"] = {money::Decimal(9'000'000'000'000'000'000, 0), 1};  // 9 x 10^18 USD a unit
  auto inv = BuildInvoice(catalog, plan, {{"impressions", 1'000'002}}, std::nullopt);
  ASSERT_FALSE(inv.ok());
  EXPECT_EQ(inv.error().code, ErrorCode::kUnprocessable);
  EXPECT_EQ(inv.error().Reason(), "overflow");
  // Two lines that fit alone but not together.
  plan.overage["impressions"] = {money::Decimal(46'200'000'000'000'000, 0), 1};  // 4.62 x 10^18 cents a unit
  plan.overage["api_calls"] = {money::Decimal(46'200'000'000'000'000, 0), 1};
  auto sum = BuildInvoice(catalog, plan, {{"impressions", 1'000'001}, {"api_calls", 100'001}}, std::nullopt);
  ASSERT_FALSE(sum.ok());
  EXPECT_EQ(sum.error().Reason(), "overflow");
  EXPECT_NE(sum.error().message.find("subtotal"), std::string::npos) << sum.error().message;
}

// Property: for any usage and tax rate, the lines add up to the subtotal and
// subtotal + tax = total, to the cent; every amount is non-negative.
TEST(InvoiceBuilder, AmountsAddUpForRandomUsage) {
  catalog::Catalog catalog = catalog::Catalog::Default();
  std::mt19937_64 rng(20261125);
  const char* plans[] = {"starter", "growth", "scale", "enterprise"};
  const char* rates[] = {"0", "0.07", "0.19", "0.2", "0.0825", "0.255"};
  for (int i = 0; i < 5000; ++i) {
    const catalog::Plan& plan = *catalog.FindPlan(plans[rng() % 4]);
    std::map<std::string, int64_t> usage;
    for (const auto& [metric, limit] : plan.limits) {
      int64_t scale = std::max<int64_t>(limit, 1) * 3;
      usage[metric] = static_cast<int64_t>(rng() % static_cast<uint64_t>(scale));
    }
    std::optional<money::Decimal> rate;
    if (rng() % 3 != 0) rate = money::Decimal::Parse(rates[rng() % 6]);
    auto inv = BuildInvoice(catalog, plan, usage, rate);
    ASSERT_TRUE(inv.ok()) << inv.error().message;
    int64_t sum = 0;
    for (const auto& line : inv->lines) {
      ASSERT_GE(line.amount_minor, 0);
      sum += line.amount_minor;
      if (line.kind == "overage") {
        EXPECT_EQ(line.quantity, usage[line.metric] - plan.limits.at(line.metric));
        EXPECT_GT(line.quantity, 0);
      }
    }
    ASSERT_EQ(sum, inv->subtotal_minor);
    ASSERT_EQ(inv->subtotal_minor + inv->tax_minor, inv->total_minor);
    ASSERT_GE(inv->tax_minor, 0);
  }
}

TEST(InvoiceLifecycle, OnlyStripesTransitionsAreLegal) {
  using S = InvoiceStatus;
  EXPECT_TRUE(CanTransition(S::kDraft, S::kOpen));
  EXPECT_FALSE(CanTransition(S::kDraft, S::kPaid));
  EXPECT_TRUE(CanTransition(S::kOpen, S::kPaid));
  EXPECT_TRUE(CanTransition(S::kOpen, S::kVoid));
  EXPECT_TRUE(CanTransition(S::kOpen, S::kUncollectible));
  EXPECT_TRUE(CanTransition(S::kUncollectible, S::kPaid));
  EXPECT_FALSE(CanTransition(S::kPaid, S::kOpen));
  EXPECT_FALSE(CanTransition(S::kPaid, S::kVoid));
  EXPECT_FALSE(CanTransition(S::kVoid, S::kPaid));
  EXPECT_FALSE(CanTransition(S::kOpen, S::kDraft));
  for (auto s : {S::kDraft, S::kOpen, S::kPaid, S::kVoid, S::kUncollectible}) {
    EXPECT_EQ(ParseStatus(StatusName(s)), s);
  }
  EXPECT_FALSE(ParseStatus("pending").has_value());
}

TEST(InvoiceBuilder, GroupsThousands) {
  EXPECT_EQ(GroupThousands(0), "0");
  EXPECT_EQ(GroupThousands(999), "999");
  EXPECT_EQ(GroupThousands(1000), "1,000");
  EXPECT_EQ(GroupThousands(-1234567), "-1,234,567");
  catalog::Metric bytes{"data_transfer", "Data transfer", "byte", {}};
  EXPECT_EQ(DisplayAmount(5'000'000'000'000, bytes), "5,000 GB");
  EXPECT_EQ(DisplayAmount(5'596'917'337'973, bytes), "5,596.92 GB");
  EXPECT_EQ(DisplayAmount(15'000'000, bytes), "0.02 GB");  // 1.5 hundredths -> 2 (half to even)
  EXPECT_EQ(DisplayAmount(5'000'000, bytes), "0 GB");      // 0.5 hundredths -> 0
}

}  // namespace
}  // namespace meterline::invoicing
