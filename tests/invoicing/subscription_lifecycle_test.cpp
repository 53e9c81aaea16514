// Plan changes and cancellations, once per backend, on a FakeClock at fixed
// instants: each worked example of docs/subscriptions.md to the cent, late
// events landing in the part of the period they belong to, withdrawn
// changes, refusals, and a plan change racing ingestion and invoice runs.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "core/ids.hpp"
#include "core/period.hpp"
#include "metering/usage.hpp"
#include "support/billing_services.hpp"

namespace meterline::testing {
namespace {

using subscriptions::PlanChangeRequest;
using subscriptions::Timing;

TimePoint At(const char* iso) { return *ParseIso8601(iso); }

class SubscriptionLifecycleTest : public ::testing::TestWithParam<storage::Backend> {
 protected:
  void SetUp() override {
    services_ = std::make_unique<BillingServices>(
        BillingServices::Options{.backend = GetParam(), .now = At("2026-11-01T00:00:00Z")});
    customer_ = services_->AddCustomer("Acme Ads", "US", "USD");
  }

  std::string Subscribe(const std::string& plan) {
    auto sub = subs().Create(customer_, plan, At("2026-11-01T00:00:00Z"), subscriptions::Status::kActive, "test");
    EXPECT_TRUE(sub.ok()) << sub.error().message;
    return sub.ok() ? sub->id : "";
  }

  // Through ingestion, as the API sends it: returns the rejection reason, "" when accepted.
  std::string Send(const std::string& metric, int64_t value, const char* at) {
    metering::UsageEvent e{"ev-" + RandomHex(8), customer_, metric, value, At(at), ""};
    auto result = services_->ingest().Ingest({{0, e}}, {}, "");
    EXPECT_TRUE(result.ok()) << result.error().message;
    if (!result.ok()) return "error";
    return result->rejected.empty() ? "" : result->rejected[0].reason;
  }

  std::vector<invoicing::Invoice> Invoices() {
    std::vector<invoicing::Invoice> out;
    auto page = services_->invoices().List({.customer_id = customer_}, {.limit = 100});
    EXPECT_TRUE(page.ok());
    for (const auto& listed : page->items) {
      auto inv = services_->invoices().Get(listed.id, "");
      EXPECT_TRUE(inv.ok());
      out.push_back(*inv);
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.period.start < b.period.start; });
    return out;
  }

  // The same, sent a minute after it happened (the clock moves there).
  std::string SendLive(const std::string& metric, int64_t value, const char* at) {
    clock().Set(At(at) + std::chrono::minutes(1));
    return Send(metric, value, at);
  }

  // Runs the scheduler at `at`.
  void RunAt(const char* at) {
    clock().Set(At(at));
    auto run = services_->invoices().RunDue();
    ASSERT_TRUE(run.ok()) << run.error().message;
  }

  subscriptions::SubscriptionService& subs() { return services_->subscriptions(); }
  FakeClock& clock() { return services_->clock(); }

  std::unique_ptr<BillingServices> services_;
  std::string customer_;
};

// docs/subscriptions.md, "Upgrade now": Starter -> Growth on the 10th of
// November (30 days). 9/30 of Starter, 21/30 of Growth.
TEST_P(SubscriptionLifecycleTest, AnUpgradeNowSplitsThePeriodAndProratesBothParts) {
  std::string id = Subscribe("starter");
  ASSERT_EQ(SendLive("impressions", 440'000, "2026-11-05T12:00:00Z"), "");

  clock().Set(At("2026-11-10T00:30:00Z"));
  auto change = subs().ChangePlan(id, {.plan_id = "growth"}, "usr_admin");
  ASSERT_TRUE(change.ok()) << change.error().message;
  EXPECT_TRUE(change->upgrade);
  EXPECT_EQ(change->timing, Timing::kNow);            // the default for an upgrade
  EXPECT_EQ(change->at, At("2026-11-10T00:00:00Z"));  // the start of the current hour

  // A late event from before the change belongs to Starter's part.
  clock().Set(At("2026-11-10T00:40:00Z"));
  EXPECT_EQ(Send("impressions", 10'000, "2026-11-09T23:00:00Z"), "");
  EXPECT_EQ(SendLive("impressions", 7'500'000, "2026-11-20T00:00:00Z"), "");

  // Current usage reads the new part with Growth's prorated allowance.
  metering::UsageService usage(services_->usage_store(), services_->plans(), subs(), clock());
  auto current = usage.Current(customer_);
  ASSERT_TRUE(current.ok()) << current.error().message;
  EXPECT_EQ(current->plan->id, "growth");
  EXPECT_EQ(current->period.start, At("2026-11-10T00:00:00Z"));
  EXPECT_EQ(current->metrics[0].limit, 7'000'000);

  // Starter's part is invoiced once the grace (1 h) has passed since the
  // change was made (00:30): late events made before it have had their hour.
  RunAt("2026-11-10T01:29:59Z");
  EXPECT_TRUE(Invoices().empty());
  RunAt("2026-11-10T01:30:00Z");
  auto invoices = Invoices();
  ASSERT_EQ(invoices.size(), 1u);
  // An event for Starter's part is now refused: its invoice is out.
  EXPECT_NE(Send("impressions", 1, "2026-11-09T23:30:00Z"), "");
  const invoicing::Invoice& before = invoices[0];
  EXPECT_EQ(before.period.start, At("2026-11-01T00:00:00Z"));
  EXPECT_EQ(before.period.end, At("2026-11-10T00:00:00Z"));
  ASSERT_EQ(before.lines.size(), 2u);
  EXPECT_EQ(before.lines[0].description, "Starter plan, monthly fee, 2026-11-01 to 2026-11-10 (9 of 30 days)");
  EXPECT_EQ(before.lines[0].amount_minor, 1470);  // 49.00 x 9/30
  EXPECT_EQ(before.lines[1].description, "Ad impressions over 300,000 included (450,000 used)");
  EXPECT_EQ(before.lines[1].quantity, 150'000);
  EXPECT_EQ(before.lines[1].amount_minor, 7500);  // 150,000 x 0.50 / 1,000
  EXPECT_EQ(before.total_minor, 8970);

  // Growth's part at the period's end.
  RunAt("2026-12-01T01:00:00Z");
  invoices = Invoices();
  ASSERT_EQ(invoices.size(), 2u);
  const invoicing::Invoice& after = invoices[1];
  EXPECT_EQ(after.period.start, At("2026-11-10T00:00:00Z"));
  EXPECT_EQ(after.period.end, At("2026-12-01T00:00:00Z"));
  ASSERT_EQ(after.lines.size(), 2u);
  EXPECT_EQ(after.lines[0].description, "Growth plan, monthly fee, 2026-11-10 to 2026-12-01 (21 of 30 days)");
  EXPECT_EQ(after.lines[0].amount_minor, 20930);  // 299.00 x 21/30
  EXPECT_EQ(after.lines[1].description, "Ad impressions over 7,000,000 included (7,500,000 used)");
  EXPECT_EQ(after.lines[1].amount_minor, 25000);  // 500,000 x 0.50 / 1,000
  EXPECT_EQ(after.total_minor, 45930);

  // December is a whole Growth month.
  auto sub = subs().Get(id);
  ASSERT_TRUE(sub.ok());
  EXPECT_EQ(sub->SegmentAt(At("2026-12-15T00:00:00Z"))->plan_id, "growth");
  EXPECT_TRUE(sub->SegmentAt(At("2026-12-15T00:00:00Z"))->Whole());
}

// docs/subscriptions.md, "Downgrade at period end": November stays Growth,
// December is Starter; a scheduled change can be withdrawn.
TEST_P(SubscriptionLifecycleTest, ADowngradeWaitsForThePeriodEndAndCanBeWithdrawn) {
  std::string id = Subscribe("growth");
  clock().Set(At("2026-11-15T09:00:00Z"));
  auto change = subs().ChangePlan(id, {.plan_id = "starter"}, "usr_admin");
  ASSERT_TRUE(change.ok()) << change.error().message;
  EXPECT_FALSE(change->upgrade);
  EXPECT_EQ(change->timing, Timing::kPeriodEnd);
  EXPECT_EQ(change->at, At("2026-12-01T00:00:00Z"));

  auto sub = subs().Get(id);
  ASSERT_TRUE(sub.ok());
  ASSERT_NE(sub->ScheduledChange(clock().Now()), nullptr);
  EXPECT_EQ(sub->ScheduledChange(clock().Now())->plan_id, "starter");
  EXPECT_EQ(sub->PhaseAt(clock().Now()).plan_id, "growth");

  // Withdrawn, then scheduled again.
  auto withdrawn = subs().WithdrawScheduledChange(id, "usr_admin");
  ASSERT_TRUE(withdrawn.ok()) << withdrawn.error().message;
  EXPECT_EQ(withdrawn->ScheduledChange(clock().Now()), nullptr);
  EXPECT_EQ(subs().WithdrawScheduledChange(id, "usr_admin").error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(subs().ChangePlan(id, {.plan_id = "starter"}, "usr_admin").ok());
  // The same change again is no change.
  auto again = subs().ChangePlan(id, {.plan_id = "starter"}, "usr_admin");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().Reason(), "no_change");

  ASSERT_EQ(SendLive("impressions", 10'500'000, "2026-11-20T00:00:00Z"), "");
  RunAt("2026-12-01T01:00:00Z");
  auto invoices = Invoices();
  ASSERT_EQ(invoices.size(), 1u);
  EXPECT_EQ(invoices[0].lines[0].description, "Growth plan, monthly fee");
  EXPECT_EQ(invoices[0].lines[0].amount_minor, 29900);
  EXPECT_EQ(invoices[0].lines[1].amount_minor, 25000);  // 500,000 over 10,000,000
  EXPECT_EQ(invoices[0].total_minor, 54900);

  // The scheduler's catch-up moves the stored plan once December starts.
  clock().Set(At("2026-12-01T00:05:00Z"));
  auto applied = subs().ApplyDue();
  ASSERT_TRUE(applied.ok()) << applied.error().message;
  EXPECT_EQ(*applied, 1);
  EXPECT_EQ(subs().Get(id)->plan_id, "starter");
  RunAt("2027-01-01T01:00:00Z");
  invoices = Invoices();
  ASSERT_EQ(invoices.size(), 2u);
  EXPECT_EQ(invoices[1].lines[0].description, "Starter plan, monthly fee");
  EXPECT_EQ(invoices[1].total_minor, 4900);
}

// docs/subscriptions.md, "Cancel now": on the 20th at 09:15 the subscription
// ends at 10:00; the final invoice covers 466 of 720 hours, with overage
// over the prorated allowance.
TEST_P(SubscriptionLifecycleTest, CancelNowEndsAtTheHourAndInvoicesTheProratedRest) {
  std::string id = Subscribe("starter");
  ASSERT_EQ(SendLive("impressions", 999'000, "2026-11-18T00:00:00Z"), "");

  clock().Set(At("2026-11-20T09:15:00Z"));
  auto canceled = subs().Cancel(id, Timing::kNow, "usr_admin");
  ASSERT_TRUE(canceled.ok()) << canceled.error().message;
  EXPECT_EQ(canceled->status, subscriptions::Status::kCanceled);
  EXPECT_EQ(*canceled->ends_at, At("2026-11-20T10:00:00Z"));

  // Usage up to the end still counts; after it, it is refused with a reason.
  EXPECT_EQ(SendLive("impressions", 1'000, "2026-11-20T09:30:00Z"), "");
  std::string refused = SendLive("impressions", 1, "2026-11-20T10:00:00Z");
  EXPECT_NE(refused.find("ended at 2026-11-20T10:00:00.000Z"), std::string::npos) << refused;

  // Canceled stays final.
  EXPECT_EQ(subs().Cancel(id, Timing::kNow, "usr_admin").error().Reason(), "subscription_ended");
  EXPECT_EQ(subs().Reactivate(id, "usr_admin").error().Reason(), "subscription_ended");
  EXPECT_EQ(subs().ChangePlan(id, {.plan_id = "growth"}, "usr_admin").error().Reason(), "subscription_ended");

  RunAt("2026-11-20T11:00:00Z");  // an hour after the end
  auto invoices = Invoices();
  ASSERT_EQ(invoices.size(), 1u);
  const invoicing::Invoice& final_invoice = invoices[0];
  EXPECT_EQ(final_invoice.period.end, At("2026-11-20T10:00:00Z"));
  ASSERT_EQ(final_invoice.lines.size(), 2u);
  EXPECT_EQ(final_invoice.lines[0].description,
            "Starter plan, monthly fee, 2026-11-01 to 2026-11-20 (466 of 720 hours)");
  EXPECT_EQ(final_invoice.lines[0].amount_minor, 3171);  // 49.00 x 466/720 = 31.7138… -> 31.71
  EXPECT_EQ(final_invoice.lines[1].description, "Ad impressions over 647,222 included (1,000,000 used)");
  EXPECT_EQ(final_invoice.lines[1].quantity, 352'778);
  EXPECT_EQ(final_invoice.lines[1].amount_minor, 17639);  // 352,778 x 0.50 / 1,000 = 176.389
  EXPECT_EQ(final_invoice.total_minor, 20810);

  // Nothing more, ever.
  RunAt("2027-02-01T01:00:00Z");
  EXPECT_EQ(Invoices().size(), 1u);
}

TEST_P(SubscriptionLifecycleTest, CancelAtPeriodEndCanBeReactivatedBeforeItEnds) {
  std::string id = Subscribe("starter");
  clock().Set(At("2026-11-12T08:00:00Z"));
  auto scheduled = subs().Cancel(id, Timing::kPeriodEnd, "usr_admin");
  ASSERT_TRUE(scheduled.ok()) << scheduled.error().message;
  EXPECT_EQ(scheduled->status, subscriptions::Status::kActive);
  EXPECT_EQ(*scheduled->ends_at, At("2026-12-01T00:00:00Z"));

  auto reactivated = subs().Reactivate(id, "usr_admin");
  ASSERT_TRUE(reactivated.ok()) << reactivated.error().message;
  EXPECT_FALSE(reactivated->ends_at.has_value());
  EXPECT_EQ(subs().Reactivate(id, "usr_admin").error().Reason(), "not_scheduled_to_end");

  // Scheduled again and left to happen: November is whole, December never starts.
  ASSERT_TRUE(subs().Cancel(id, Timing::kPeriodEnd, "usr_admin").ok());
  clock().Set(At("2026-12-01T00:01:00Z"));
  std::string refused = Send("impressions", 5, "2026-12-01T00:00:30Z");
  EXPECT_NE(refused.find("ended"), std::string::npos) << refused;
  ASSERT_EQ(*subs().ApplyDue(), 1);
  EXPECT_EQ(subs().Get(id)->status, subscriptions::Status::kCanceled);
  RunAt("2027-01-01T01:00:00Z");
  auto invoices = Invoices();
  ASSERT_EQ(invoices.size(), 1u);
  EXPECT_EQ(invoices[0].lines[0].description, "Starter plan, monthly fee");
  EXPECT_EQ(invoices[0].total_minor, 4900);
}

TEST_P(SubscriptionLifecycleTest, ChangesAreRefusedWithTheFieldAtFault) {
  std::string id = Subscribe("starter");
  clock().Set(At("2026-11-10T00:30:00Z"));
  auto unknown = subs().ChangePlan(id, {.plan_id = "platinum"}, "usr_admin");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(unknown.error().param, "plan");
  auto version = subs().ChangePlan(id, {.plan_id = "growth", .version = 7}, "usr_admin");
  ASSERT_FALSE(version.ok());
  EXPECT_EQ(version.error().param, "version");
  auto same = subs().ChangePlan(id, {.plan_id = "starter"}, "usr_admin");
  ASSERT_FALSE(same.ok());
  EXPECT_EQ(same.error().Reason(), "no_change");
  EXPECT_EQ(subs().ChangePlan("sub_missing", {.plan_id = "growth"}, "usr_admin").error().code, ErrorCode::kNotFound);
  // Nothing was written by the refusals.
  auto sub = subs().Get(id);
  ASSERT_TRUE(sub.ok());
  EXPECT_EQ(sub->phases.size(), 1u);
}

// Changing back within the same hour undoes the change: one phase, the
// period whole again.
TEST_P(SubscriptionLifecycleTest, ChangingBackWithinTheHourLeavesThePeriodWhole) {
  std::string id = Subscribe("starter");
  clock().Set(At("2026-11-10T00:20:00Z"));
  ASSERT_TRUE(subs().ChangePlan(id, {.plan_id = "growth"}, "usr_admin").ok());
  clock().Set(At("2026-11-10T00:50:00Z"));
  auto back = subs().ChangePlan(id, {.plan_id = "starter", .timing = Timing::kNow}, "usr_admin");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_TRUE(back->merges);
  auto sub = subs().Get(id);
  ASSERT_TRUE(sub.ok());
  ASSERT_EQ(sub->phases.size(), 1u);
  EXPECT_EQ(sub->plan_id, "starter");
  EXPECT_TRUE(sub->SegmentAt(clock().Now())->Whole());
  RunAt("2026-12-01T01:00:00Z");
  auto invoices = Invoices();
  ASSERT_EQ(invoices.size(), 1u);
  EXPECT_EQ(invoices[0].total_minor, 4900);
}

// Two changes within one period: three parts, each with its share, which
// add up to the whole period.
TEST_P(SubscriptionLifecycleTest, TwoChangesInAPeriodMakeThreeInvoicesCoveringIt) {
  std::string id = Subscribe("starter");
  clock().Set(At("2026-11-10T00:00:00Z"));
  ASSERT_TRUE(subs().ChangePlan(id, {.plan_id = "growth"}, "usr_admin").ok());
  clock().Set(At("2026-11-25T12:10:00Z"));
  ASSERT_TRUE(subs().ChangePlan(id, {.plan_id = "starter", .timing = Timing::kNow}, "usr_admin").ok());
  RunAt("2026-12-01T01:00:00Z");
  auto invoices = Invoices();
  ASSERT_EQ(invoices.size(), 3u);
  EXPECT_EQ(invoices[0].period.end, invoices[1].period.start);
  EXPECT_EQ(invoices[1].period.end, invoices[2].period.start);
  EXPECT_EQ(invoices[1].period.end, At("2026-11-25T12:00:00Z"));
  EXPECT_EQ(invoices[0].lines[0].amount_minor, 1470);   // Starter 9/30
  EXPECT_EQ(invoices[1].lines[0].amount_minor, 15448);  // Growth 299.00 x 372/720 h = 154.4833…
  EXPECT_EQ(invoices[2].lines[0].amount_minor, 898);    // Starter 49.00 x 132/720 h = 8.9833…
}

// A plan change racing ingestion and invoice runs: every accepted event is
// on exactly one invoice, and the invoices cover the period without overlap.
TEST_P(SubscriptionLifecycleTest, APlanChangeRacingIngestionAndRunsLosesAndRepeatsNothing) {
  std::string id = Subscribe("starter");
  clock().Set(At("2026-11-10T00:40:00Z"));
  std::atomic<bool> done{false};
  std::atomic<int64_t> accepted{0};
  std::thread ingest([&] {
    // One event per request, stamped on both sides of the change's hour.
    for (int i = 0; i < 120; ++i) {
      TimePoint at = At("2026-11-09T23:00:00Z") + std::chrono::seconds(30 * i);
      metering::UsageEvent e{"race-" + std::to_string(i), customer_, "impressions", 1, at, ""};
      auto result = services_->ingest().Ingest({{0, e}}, {}, "");
      if (result.ok()) accepted += result->accepted;
    }
  });
  std::thread runs([&] {
    while (!done) (void)services_->invoices().RunDue();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  auto change = subs().ChangePlan(id, {.plan_id = "growth"}, "usr_admin");
  ASSERT_TRUE(change.ok()) << change.error().message;
  ingest.join();
  done = true;
  runs.join();
  EXPECT_EQ(accepted, 120);

  RunAt("2026-12-01T01:00:00Z");
  auto invoices = Invoices();
  ASSERT_EQ(invoices.size(), 2u);
  EXPECT_EQ(invoices[0].period.start, At("2026-11-01T00:00:00Z"));
  EXPECT_EQ(invoices[0].period.end, invoices[1].period.start);
  EXPECT_EQ(invoices[1].period.end, At("2026-12-01T00:00:00Z"));
  int64_t billed = 0;
  for (const auto& inv : invoices) {
    auto totals = services_->usage_store().Totals(customer_, inv.period.start, inv.period.end);
    ASSERT_TRUE(totals.ok());
    billed += (*totals)["impressions"];
  }
  EXPECT_EQ(billed, accepted.load());
  // Each part has its usage: 120 events, 30 s apart from 23:00, split at 00:00.
  auto before = services_->usage_store().Totals(customer_, invoices[0].period.start, invoices[0].period.end);
  EXPECT_EQ((*before)["impressions"], 120);
  EXPECT_EQ(invoices[0].period.end, At("2026-11-10T00:00:00Z"));
}

// docs/subscriptions.md, "Fees in advance": the fee for November was paid on
// the opening invoice; the upgrade on the 10th credits 21/30 of it and
// charges 21/30 of the new fee on the invoice of the part before the change.
TEST_P(SubscriptionLifecycleTest, AnUpgradeOfAFeeInAdvanceCreditsTheUnusedRest) {
  auto catalog = catalog::Catalog::Parse(R"({
    "metrics": [{"id": "impressions", "name": "Ad impressions", "unit": "impression",
                 "overage_price": {"amount": "0.50", "per": 1000}}],
    "plans": [{"id": "basic", "name": "Basic", "currency": "USD", "base_fee": "30.00", "base_fee_timing": "in_advance",
               "limits": {"impressions": 1000}},
              {"id": "pro", "name": "Pro", "currency": "USD", "base_fee": "90.00", "base_fee_timing": "in_advance",
               "limits": {"impressions": 10000}},
              {"id": "arrears", "name": "Arrears", "currency": "USD", "base_fee": "95.00", "limits": {"impressions": 1000}}]})");
  ASSERT_TRUE(catalog.ok()) << catalog.error().message;
  BillingServices services(
      BillingServices::Options{.backend = GetParam(), .now = At("2026-11-01T00:00:00Z"), .catalog = *catalog});
  std::string customer = services.AddCustomer("Early Payers");
  auto sub = services.subscriptions().Create(customer, "basic", At("2026-11-01T00:00:00Z"),
                                             subscriptions::Status::kActive, "test");
  ASSERT_TRUE(sub.ok()) << sub.error().message;
  services.clock().Set(At("2026-11-10T00:10:00Z"));
  // Another fee timing is refused, naming the plan.
  auto other_terms = services.subscriptions().ChangePlan(sub->id, {.plan_id = "arrears"}, "usr_admin");
  ASSERT_FALSE(other_terms.ok());
  EXPECT_EQ(other_terms.error().param, "plan");
  auto upgraded = services.subscriptions().ChangePlan(sub->id, {.plan_id = "pro"}, "usr_admin");
  ASSERT_TRUE(upgraded.ok()) << upgraded.error().message;
  services.clock().Set(At("2026-11-10T01:10:00Z"));
  auto run = services.invoices().RunDue();
  ASSERT_TRUE(run.ok()) << run.error().message;
  EXPECT_EQ(run->created, 2);  // the opening invoice and Basic's part
  auto page = services.invoices().List({.customer_id = customer}, {.limit = 10});
  ASSERT_TRUE(page.ok());
  std::vector<invoicing::Invoice> invoices;
  for (const auto& listed : page->items) invoices.push_back(*services.invoices().Get(listed.id, ""));
  std::sort(invoices.begin(), invoices.end(),
            [](const auto& a, const auto& b) { return a.period.start < b.period.start; });
  ASSERT_EQ(invoices.size(), 2u);
  EXPECT_EQ(invoices[0].total_minor, 3000);  // the opening invoice: November's Basic fee
  const invoicing::Invoice& change = invoices[1];
  ASSERT_EQ(change.lines.size(), 2u);
  EXPECT_EQ(change.lines[0].description, "Unused time on Basic plan, 2026-11-10 to 2026-12-01 (21 of 30 days)");
  EXPECT_EQ(change.lines[0].amount_minor, -2100);  // 30.00 x 21/30
  EXPECT_EQ(change.lines[1].description, "Pro plan, monthly fee, 2026-11-10 to 2026-12-01 (21 of 30 days)");
  EXPECT_EQ(change.lines[1].amount_minor, 6300);  // 90.00 x 21/30
  EXPECT_EQ(change.total_minor, 4200);

  // At November's end: Pro's part's usage (none) and December's whole Pro fee.
  services.clock().Set(At("2026-12-01T01:00:00Z"));
  ASSERT_TRUE(services.invoices().RunDue().ok());
  auto december = services.invoices().List({.customer_id = customer}, {.limit = 10});
  ASSERT_EQ(december->items.size(), 3u);
  int64_t pro_fee = 0;
  for (const auto& listed : december->items) {
    auto inv = *services.invoices().Get(listed.id, "");
    if (inv.period.start == At("2026-11-10T00:00:00Z")) pro_fee = inv.total_minor;
  }
  EXPECT_EQ(pro_fee, 9000);
}

INSTANTIATE_TEST_SUITE_P(Backends, SubscriptionLifecycleTest, ::testing::ValuesIn(TestBackends()),
                         [](const auto& info) { return BackendParamName(info.param); });

}  // namespace
}  // namespace meterline::testing
