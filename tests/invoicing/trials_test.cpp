// Free trials, once per backend, on a FakeClock at fixed instants: the
// worked example "Trial to active" of docs/subscriptions.md to the cent,
// billed trial usage, the end of a trial without a required payment method,
// a fee in advance after a trial, the trial_will_end notice, and changes and
// cancellations during a trial.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "core/ids.hpp"
#include "core/period.hpp"
#include "metering/usage.hpp"
#include "support/billing_services.hpp"

namespace meterline::testing {
namespace {

using subscriptions::Status;

TimePoint At(const char* iso) { return *ParseIso8601(iso); }

class TrialTest : public ::testing::TestWithParam<storage::Backend> {
 protected:
  void SetUp() override {
    services_ = std::make_unique<BillingServices>(
        BillingServices::Options{.backend = GetParam(), .now = At("2026-11-01T00:00:00Z")});
    customer_ = services_->AddCustomer("Acme Ads", "US", "USD");
  }

  // A plan of our own from its catalog JSON.
  void AddPlan(const char* definition) {
    boost::system::error_code ec;
    auto value = boost::json::parse(definition, ec);
    ASSERT_FALSE(ec);
    auto plan = catalog::ParsePlan(value, services_->catalog().metrics(), "");
    ASSERT_TRUE(plan.ok()) << plan.error().message;
    ASSERT_TRUE(services_->plans().Create(*plan, FromUnixMillis(0), "test").ok());
  }

  subscriptions::Subscription Subscribe(const std::string& customer, const std::string& plan,
                                        std::optional<int> trial_days) {
    auto sub = subs().Create(customer, plan, At("2026-11-01T00:00:00Z"), Status::kActive, "test", trial_days);
    EXPECT_TRUE(sub.ok()) << sub.error().message;
    return sub.ok() ? *sub : subscriptions::Subscription{};
  }

  // Sent a minute after it happened (the clock moves there): the rejection reason, "" when accepted.
  std::string SendLive(const std::string& customer, int64_t impressions, const char* at) {
    clock().Set(At(at) + std::chrono::minutes(1));
    metering::UsageEvent e{"ev-" + RandomHex(8), customer, "impressions", impressions, At(at), ""};
    auto result = services_->ingest().Ingest({{0, e}}, {}, "");
    EXPECT_TRUE(result.ok()) << result.error().message;
    if (!result.ok()) return "error";
    return result->rejected.empty() ? "" : result->rejected[0].reason;
  }

  std::vector<invoicing::Invoice> Invoices(const std::string& customer) {
    std::vector<invoicing::Invoice> out;
    auto page = services_->invoices().List({.customer_id = customer}, {.limit = 100});
    EXPECT_TRUE(page.ok());
    for (const auto& listed : page->items) out.push_back(*services_->invoices().Get(listed.id, ""));
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.period.start < b.period.start; });
    return out;
  }

  void ApplyDueAt(const char* at) {
    clock().Set(At(at));
    auto applied = subs().ApplyDue();
    ASSERT_TRUE(applied.ok()) << applied.error().message;
  }

  void RunAt(const char* at) {
    clock().Set(At(at));
    auto run = services_->invoices().RunDue();
    ASSERT_TRUE(run.ok()) << run.error().message;
  }

  int64_t Events(const std::string& type, const std::string& customer) {
    auto r =
        services_->db().Execute("SELECT COUNT(*) FROM events WHERE type = $1 AND customer_id = $2", {type, customer});
    EXPECT_TRUE(r.ok());
    return r.ok() ? r->rows.at(0).Int(0) : -1;
  }

  Status StatusOf(const std::string& id) { return subs().Get(id)->status; }

  subscriptions::SubscriptionService& subs() { return services_->subscriptions(); }
  FakeClock& clock() { return services_->clock(); }

  std::unique_ptr<BillingServices> services_;
  std::string customer_;
};

// docs/subscriptions.md, "Trial to active": Starter with a 14-day trial from
// November 1st. The trial's usage is free; the periods run from November 15th.
TEST_P(TrialTest, ATrialEndsActiveAndItsPeriodsRunFromItsEnd) {
  auto sub = Subscribe(customer_, "starter", 14);
  EXPECT_EQ(sub.status, Status::kTrialing);
  ASSERT_TRUE(sub.trial.has_value());
  EXPECT_EQ(sub.trial->start, At("2026-11-01T00:00:00Z"));
  EXPECT_EQ(sub.trial->end, At("2026-11-15T00:00:00Z"));
  EXPECT_EQ(sub.billing_anchor, At("2026-11-15T00:00:00Z"));
  EXPECT_EQ(sub.PeriodAt(At("2026-11-20T00:00:00Z")).end, At("2026-12-15T00:00:00Z"));
  ASSERT_EQ(SendLive(customer_, 600'000, "2026-11-05T12:00:00Z"), "");

  // The notice, once, three days before the end.
  ApplyDueAt("2026-11-11T23:59:59Z");
  EXPECT_EQ(Events("subscription.trial_will_end", customer_), 0);
  ApplyDueAt("2026-11-12T00:00:00Z");
  ApplyDueAt("2026-11-13T00:00:00Z");
  EXPECT_EQ(Events("subscription.trial_will_end", customer_), 1);
  EXPECT_EQ(StatusOf(sub.id), Status::kTrialing);

  // The trial's invoice waits for the trial's outcome.
  RunAt("2026-11-15T01:00:00Z");
  EXPECT_TRUE(Invoices(customer_).empty());
  ApplyDueAt("2026-11-15T01:00:00Z");
  EXPECT_EQ(StatusOf(sub.id), Status::kActive);
  EXPECT_EQ(Events("subscription.updated", customer_), 1);
  RunAt("2026-11-15T01:00:00Z");
  auto invoices = Invoices(customer_);
  ASSERT_EQ(invoices.size(), 1u);
  const invoicing::Invoice& trial = invoices[0];
  EXPECT_EQ(trial.period.start, At("2026-11-01T00:00:00Z"));
  EXPECT_EQ(trial.period.end, At("2026-11-15T00:00:00Z"));
  ASSERT_EQ(trial.lines.size(), 1u);
  EXPECT_EQ(trial.lines[0].description, "Free trial of Starter plan, 2026-11-01 to 2026-11-15, usage free of charge");
  EXPECT_EQ(trial.lines[0].amount_minor, 0);
  EXPECT_EQ(trial.total_minor, 0);
  EXPECT_EQ(trial.status, invoicing::InvoiceStatus::kPaid);  // nothing to pay
  EXPECT_FALSE(trial.number.empty());
  // Announced for webhooks: finalized, and paid at once.
  EXPECT_EQ(Events("invoice.finalized", customer_), 1);
  EXPECT_EQ(Events("invoice.paid", customer_), 1);

  // The first period: November 15th to December 15th, a whole month.
  ASSERT_EQ(SendLive(customer_, 1'200'000, "2026-11-20T00:00:00Z"), "");
  RunAt("2026-12-15T01:00:00Z");
  invoices = Invoices(customer_);
  ASSERT_EQ(invoices.size(), 2u);
  const invoicing::Invoice& first = invoices[1];
  EXPECT_EQ(first.period.start, At("2026-11-15T00:00:00Z"));
  EXPECT_EQ(first.period.end, At("2026-12-15T00:00:00Z"));
  ASSERT_EQ(first.lines.size(), 2u);
  EXPECT_EQ(first.lines[0].description, "Starter plan, monthly fee");
  EXPECT_EQ(first.lines[0].amount_minor, 4900);
  EXPECT_EQ(first.lines[1].description, "Ad impressions over 1,000,000 included (1,200,000 used)");
  EXPECT_EQ(first.lines[1].quantity, 200'000);
  EXPECT_EQ(first.lines[1].amount_minor, 10000);  // 200,000 x 0.50 / 1,000
  EXPECT_EQ(first.total_minor, 14900);
  EXPECT_EQ(first.status, invoicing::InvoiceStatus::kOpen);
  EXPECT_EQ(Events("invoice.finalized", customer_), 2);
  EXPECT_EQ(Events("invoice.paid", customer_), 1);
  // Paid by hand: announced once.
  ASSERT_TRUE(services_->invoices().Transition(first.id, invoicing::InvoiceStatus::kPaid, clock().Now(), "t").ok());
  EXPECT_EQ(Events("invoice.paid", customer_), 2);
}

// A plan whose trial bills usage and requires a payment method: one
// customer has none on file (canceled at the trial's end, its trial usage
// still invoiced), the other has one (active; the minimum applies from the
// first period, never in the trial).
TEST_P(TrialTest, BilledTrialUsageAndAMissingPaymentMethodCancelAtTheTrialEnd) {
  AddPlan(R"({"id": "metered", "name": "Metered", "currency": "USD", "base_fee": "99.00",
    "minimum_commitment": "300.00", "limits": {"impressions": 1000000, "api_calls": 100000,
    "data_transfer": 50000000000}, "trial": {"days": 7, "usage": "billed", "requires_payment_method": true}})");
  std::string beta = services_->AddCustomer("Beta Media", "US", "USD");
  ASSERT_TRUE(services_->db()
                  .Execute("UPDATE customers SET default_payment_method = 'pm_card_visa' WHERE id = $1", {beta})
                  .ok());
  auto acme_sub = Subscribe(customer_, "metered", std::nullopt);  // the plan's 7 days
  auto beta_sub = Subscribe(beta, "metered", std::nullopt);
  ASSERT_TRUE(acme_sub.trial.has_value());
  EXPECT_EQ(acme_sub.trial->end, At("2026-11-08T00:00:00Z"));
  ASSERT_EQ(SendLive(customer_, 1'500'000, "2026-11-03T00:00:00Z"), "");
  ASSERT_EQ(SendLive(beta, 200'000, "2026-11-03T00:00:00Z"), "");

  ApplyDueAt("2026-11-08T00:00:00Z");
  auto acme = subs().Get(acme_sub.id);
  EXPECT_EQ(acme->status, Status::kCanceled);
  ASSERT_TRUE(acme->ends_at.has_value());
  EXPECT_EQ(*acme->ends_at, At("2026-11-08T00:00:00Z"));
  EXPECT_EQ(Events("subscription.canceled", customer_), 1);
  EXPECT_EQ(StatusOf(beta_sub.id), Status::kActive);
  EXPECT_EQ(Events("subscription.updated", beta), 1);
  auto reason = services_->db().Execute(
      "SELECT COUNT(*) FROM billing_audit WHERE action = 'subscription.trial_end' AND customer_id = $1 AND "
      "CAST(data AS TEXT) LIKE '%no_payment_method%'",
      {customer_});
  ASSERT_TRUE(reason.ok()) << reason.error().message;
  EXPECT_EQ(reason->rows[0].Int(0), 1);

  RunAt("2026-11-08T01:00:00Z");
  auto acme_invoices = Invoices(customer_);
  ASSERT_EQ(acme_invoices.size(), 1u);
  const invoicing::Invoice& billed = acme_invoices[0];
  ASSERT_EQ(billed.lines.size(), 2u);
  EXPECT_EQ(billed.lines[0].description, "Free trial of Metered plan, 2026-11-01 to 2026-11-08");
  EXPECT_EQ(billed.lines[0].amount_minor, 0);
  // One period's allowance over the trial; no minimum commitment in it.
  EXPECT_EQ(billed.lines[1].description, "Ad impressions over 1,000,000 included (1,500,000 used)");
  EXPECT_EQ(billed.lines[1].amount_minor, 25000);  // 500,000 x 0.50 / 1,000
  EXPECT_EQ(billed.total_minor, 25000);
  EXPECT_EQ(billed.status, invoicing::InvoiceStatus::kOpen);
  // After the end, Acme's usage is refused.
  EXPECT_NE(SendLive(customer_, 1, "2026-11-09T00:00:00Z").find("ended"), std::string::npos);

  auto beta_invoices = Invoices(beta);
  ASSERT_EQ(beta_invoices.size(), 1u);
  EXPECT_EQ(beta_invoices[0].total_minor, 0);
  EXPECT_EQ(beta_invoices[0].status, invoicing::InvoiceStatus::kPaid);
  // Beta's first period: the fee, then the minimum's true-up (300.00 - 99.00).
  RunAt("2026-12-08T01:00:00Z");
  beta_invoices = Invoices(beta);
  ASSERT_EQ(beta_invoices.size(), 2u);
  EXPECT_EQ(beta_invoices[1].period.start, At("2026-11-08T00:00:00Z"));
  EXPECT_EQ(beta_invoices[1].total_minor, 30000);
  EXPECT_EQ(Invoices(customer_).size(), 1u);  // nothing after Acme's end
}

// A fee in advance: the trial's invoice carries the first period's fee.
TEST_P(TrialTest, AFeeInAdvanceIsChargedOnTheTrialsInvoice) {
  AddPlan(R"({"id": "ahead", "name": "Ahead", "currency": "USD", "base_fee": "30.00",
    "base_fee_timing": "in_advance", "limits": {"impressions": 1000000, "api_calls": 100000,
    "data_transfer": 50000000000}, "trial": {"days": 10}})");
  auto sub = Subscribe(customer_, "ahead", std::nullopt);
  ApplyDueAt("2026-11-11T00:00:00Z");
  RunAt("2026-11-11T01:00:00Z");
  auto invoices = Invoices(customer_);
  ASSERT_EQ(invoices.size(), 1u);
  ASSERT_EQ(invoices[0].lines.size(), 2u);
  EXPECT_EQ(invoices[0].lines[0].amount_minor, 0);
  EXPECT_EQ(invoices[0].lines[1].description, "Ahead plan, monthly fee, 2026-11-11 to 2026-12-11");
  EXPECT_EQ(invoices[0].lines[1].amount_minor, 3000);
  EXPECT_EQ(invoices[0].total_minor, 3000);
  // The first period's invoice: its usage (none) and the next period's fee.
  RunAt("2026-12-11T01:00:00Z");
  invoices = Invoices(customer_);
  ASSERT_EQ(invoices.size(), 2u);
  EXPECT_EQ(invoices[1].period.start, At("2026-11-11T00:00:00Z"));
  EXPECT_EQ(invoices[1].total_minor, 3000);
  EXPECT_EQ(StatusOf(sub.id), Status::kActive);
}

// During a trial, "period end" is the trial's end: a cancellation there ends
// the subscription with its trial (no notice), and reactivating keeps it.
// An upgrade now splits the trial; both parts stay free.
TEST_P(TrialTest, ChangesAndCancellationsDuringATrial) {
  auto sub = Subscribe(customer_, "starter", 14);
  clock().Set(At("2026-11-03T10:00:00Z"));
  auto canceled = subs().Cancel(sub.id, subscriptions::Timing::kPeriodEnd, "usr_admin");
  ASSERT_TRUE(canceled.ok()) << canceled.error().message;
  EXPECT_EQ(*canceled->ends_at, At("2026-11-15T00:00:00Z"));
  ApplyDueAt("2026-11-12T00:00:00Z");
  EXPECT_EQ(Events("subscription.trial_will_end", customer_), 0);
  ASSERT_TRUE(subs().Reactivate(sub.id, "usr_admin").ok());
  ApplyDueAt("2026-11-12T00:01:00Z");
  EXPECT_EQ(Events("subscription.trial_will_end", customer_), 1);

  clock().Set(At("2026-11-05T10:30:00Z"));
  auto change = subs().ChangePlan(sub.id, {.plan_id = "growth"}, "usr_admin");
  ASSERT_TRUE(change.ok()) << change.error().message;
  EXPECT_EQ(change->at, At("2026-11-05T10:00:00Z"));
  ApplyDueAt("2026-11-15T00:00:00Z");
  RunAt("2026-12-15T01:00:00Z");
  auto invoices = Invoices(customer_);
  ASSERT_EQ(invoices.size(), 3u);
  EXPECT_EQ(invoices[0].lines[0].description,
            "Free trial of Starter plan, 2026-11-01 to 2026-11-05, usage free of charge");
  EXPECT_EQ(invoices[0].total_minor, 0);
  EXPECT_EQ(invoices[1].lines[0].description,
            "Free trial of Growth plan, 2026-11-05 to 2026-11-15, usage free of charge");
  EXPECT_EQ(invoices[1].total_minor, 0);
  EXPECT_EQ(invoices[2].lines[0].description, "Growth plan, monthly fee");
  EXPECT_EQ(invoices[2].total_minor, 29900);

  // Refusals: a trial longer than two years, or negative.
  std::string other = services_->AddCustomer("Other", "US", "USD");
  auto too_long = subs().Create(other, "starter", clock().Now(), Status::kActive, "test", 731);
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.error().param, "trial_days");
}

INSTANTIATE_TEST_SUITE_P(Backends, TrialTest, ::testing::ValuesIn(TestBackends()),
                         [](const auto& info) { return BackendParamName(info.param); });

}  // namespace
}  // namespace meterline::testing
