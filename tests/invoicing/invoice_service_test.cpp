// InvoiceService on its own, once per backend, on a FakeClock (at MTL_TEST_NOW
// when set): exactly-once runs (concurrently, and from two instances), exact
// lines, gap-free numbers per year, the grace before a period is invoiced,
// closed periods refusing events, and the invoice lifecycle. What the API and
// the PDF make of invoices is in invoicing_test.cpp.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <thread>

#include "core/ids.hpp"
#include "core/period.hpp"
#include "metering/usage.hpp"
#include "support/billing_services.hpp"

namespace meterline::testing {
namespace {

using invoicing::InvoiceStatus;

class InvoiceServiceTest : public ::testing::TestWithParam<storage::Backend> {
 protected:
  void SetUp() override {
    services_ = std::make_unique<BillingServices>(BillingServices::Options{.backend = GetParam()});
    customer_a_ = services_->AddCustomer("Acme Ads", "DE", "USD");
    customer_b_ = services_->AddCustomer("Beta Media", "US", "USD");
    // Both customers subscribed on the 1st three months before the last
    // closed period ends: periods close `grace` after their end, so in the
    // first hour of a month the month before is not closed yet.
    now_ = services_->clock().Now();
    std::chrono::year_month_day closed{std::chrono::floor<std::chrono::days>(now_ - grace())};
    auto start = std::chrono::year_month(closed.year(), closed.month()) - std::chrono::months(3);
    anchor_ = std::chrono::sys_days(start / std::chrono::day(1));
    auto& subs = services_->subscriptions();
    ASSERT_TRUE(subs.Create(customer_a_, "starter", anchor_, subscriptions::Status::kActive, "test").ok());
    ASSERT_TRUE(subs.Create(customer_b_, "growth", anchor_, subscriptions::Status::kActive, "test").ok());
    // Usage in the first period: Acme goes 250,001 impressions over its 1M.
    first_ = MonthlyPeriodContaining(anchor_, anchor_);
    Store(customer_a_, "impressions", 1'250'001, first_.start + std::chrono::hours(5));
    Store(customer_b_, "api_calls", 10, first_.start + std::chrono::hours(5));
  }

  void Store(const std::string& customer, const std::string& metric, int64_t value, TimePoint at) {
    metering::UsageEvent e{"ev-" + RandomHex(6), customer, metric, value, at, ""};
    auto r = services_->usage_store().Write({e}, now_, nullptr);
    ASSERT_TRUE(r.ok()) << r.error().message;
  }

  int64_t InvoiceCount() { return services_->db().Execute("SELECT COUNT(*) FROM invoices")->rows[0].Int(0); }
  std::vector<std::string> Numbers() {
    std::vector<std::string> out;
    auto rows = services_->db().Execute("SELECT number FROM invoices ORDER BY number");
    EXPECT_TRUE(rows.ok());
    if (rows.ok()) {
      for (const auto& row : rows->rows) out.push_back(row.Text(0));
    }
    return out;
  }

  invoicing::InvoiceService& invoices() { return services_->invoices(); }
  std::chrono::minutes grace() { return invoices().options().grace; }

  std::unique_ptr<BillingServices> services_;
  std::string customer_a_, customer_b_;
  TimePoint now_, anchor_;
  Period first_;
};

TEST_P(InvoiceServiceTest, ARunInvoicesEachClosedPeriodOnceWithExactLines) {
  auto run = invoices().RunDue();
  ASSERT_TRUE(run.ok()) << run.error().message;
  EXPECT_EQ(run->created, 6);  // 2 subscriptions x 3 closed periods
  auto again = invoices().RunDue();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->created, 0);
  EXPECT_EQ(again->existing, 6);
  EXPECT_EQ(InvoiceCount(), 6);

  auto page = invoices().List({.customer_id = customer_a_}, {.limit = 100});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->total, 3);
  const invoicing::Invoice& oldest = page->items.back();
  auto full = invoices().Get(oldest.id, customer_a_);
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(full->status, InvoiceStatus::kOpen);
  EXPECT_EQ(full->period.start, first_.start);
  ASSERT_EQ(full->lines.size(), 2u);
  EXPECT_EQ(full->lines[1].quantity, 250'001);
  EXPECT_EQ(full->lines[1].amount_minor, 12500);
  EXPECT_EQ(full->subtotal_minor, 4900 + 12500);
  EXPECT_EQ(full->total_minor, full->subtotal_minor);
  EXPECT_EQ(full->amount_due_minor, full->total_minor);
  ASSERT_TRUE(full->due_at.has_value());
  EXPECT_EQ(*full->due_at - *full->finalized_at, std::chrono::hours(24 * 30));
}

TEST_P(InvoiceServiceTest, APeriodIsInvoicedOnceItsGraceHasPassed) {
  ASSERT_TRUE(invoices().RunDue().ok());
  // The period after the last closed one: its end plus the grace, to the millisecond.
  Period next = MonthlyPeriodContaining(anchor_, now_ - grace());
  services_->clock().Set(next.end + grace() - std::chrono::milliseconds(1));
  auto early = invoices().RunDue();
  ASSERT_TRUE(early.ok()) << early.error().message;
  EXPECT_EQ(early->created, 0);
  EXPECT_EQ(early->existing, 6);
  services_->clock().Advance(std::chrono::milliseconds(1));
  auto due = invoices().RunDue();
  ASSERT_TRUE(due.ok()) << due.error().message;
  EXPECT_EQ(due->created, 2);
  EXPECT_EQ(due->existing, 4);  // a run looks at the last three closed periods
  EXPECT_EQ(InvoiceCount(), 8);
}

TEST_P(InvoiceServiceTest, NumbersAreSequentialAndGapFree) {
  ASSERT_TRUE(invoices().RunDue().ok());
  std::vector<std::string> numbers = Numbers();
  ASSERT_EQ(numbers.size(), 6u);
  std::string year = FormatIso8601(now_).substr(0, 4);
  for (size_t i = 0; i < numbers.size(); ++i) {
    char expected[32];
    std::snprintf(expected, sizeof expected, "INV-%s-%06zu", year.c_str(), i + 1);
    EXPECT_EQ(numbers[i], expected);
  }
}

TEST_P(InvoiceServiceTest, NumbersStartAfreshInTheYearAnInvoiceIsFinalized) {
  // The last millisecond of a year, then the first of the next.
  std::chrono::year_month_day today{std::chrono::floor<std::chrono::days>(now_)};
  std::chrono::year next_year = today.year() + std::chrono::years(1);
  TimePoint new_year = std::chrono::sys_days(next_year / std::chrono::January / 1);
  services_->clock().Set(new_year - std::chrono::milliseconds(1));
  auto draft = [&] {
    auto d = invoices().CreateDraft(customer_b_, "USD", first_, {{"adjustment", "", "Setup", 1, "10.00", 1000}});
    EXPECT_TRUE(d.ok());
    return d.ok() ? d->id : "";
  };
  std::string last = draft(), first = draft(), second = draft();
  auto old_year = invoices().Finalize(last);
  ASSERT_TRUE(old_year.ok()) << old_year.error().message;
  services_->clock().Advance(std::chrono::milliseconds(1));
  auto new_one = invoices().Finalize(first);
  auto new_two = invoices().Finalize(second);
  ASSERT_TRUE(new_one.ok() && new_two.ok());
  std::string y0 = std::to_string(static_cast<int>(today.year()));
  std::string y1 = std::to_string(static_cast<int>(next_year));
  EXPECT_EQ(old_year->number, "INV-" + y0 + "-000001");
  EXPECT_EQ(new_one->number, "INV-" + y1 + "-000001");
  EXPECT_EQ(new_two->number, "INV-" + y1 + "-000002");
}

TEST_P(InvoiceServiceTest, ConcurrentInvoicingOfOnePeriodMakesOneInvoice) {
  auto sub = services_->subscriptions().ForCustomer(customer_a_);
  std::vector<std::thread> threads;
  std::atomic<int> created{0}, failed{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      auto made = invoices().InvoicePeriod(*sub, first_);
      if (!made.ok()) {
        ++failed;
      } else if (made->created) {
        ++created;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(InvoiceCount(), 1);
}

TEST_P(InvoiceServiceTest, TwoInstancesRunningAtOnceNeverMakeASecondInvoice) {
  BillingServices other({.same_deployment_as = services_.get()});
  std::atomic<int64_t> created{0};
  std::atomic<int> refused{0};
  auto run = [&](invoicing::InvoiceService& service) {
    for (int i = 0; i < 3; ++i) {
      auto r = service.RunDue();
      if (r.ok()) {
        created += r->created;
      } else {
        EXPECT_EQ(r.error().Reason(), "invoice_run_in_progress") << r.error().message;
        ++refused;
      }
    }
  };
  std::thread a([&] { run(invoices()); });
  std::thread b([&] { run(other.invoices()); });
  a.join();
  b.join();
  EXPECT_EQ(created.load(), 6);
  EXPECT_EQ(InvoiceCount(), 6);
}

TEST_P(InvoiceServiceTest, EventsForAnInvoicedOrClosedPeriodAreRefused) {
  ASSERT_TRUE(invoices().RunDue().ok());
  // Two hours before the end of the last invoiced period.
  Period open = MonthlyPeriodContaining(anchor_, now_ - grace());
  metering::UsageEvent late{"late-1", customer_a_, "api_calls", 1, open.start - std::chrono::hours(2), ""};
  auto r = services_->ingest().Ingest({{0, late}}, {}, "");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->rejected.size(), 1u);
  EXPECT_EQ(r->rejected[0].reason, "the billing period of this timestamp is already invoiced");
  // The period after it takes events until it closes (in the first hour of
  // a month, that is the month before).
  metering::UsageEvent current{"open-1", customer_a_, "api_calls", 1, open.start + std::chrono::hours(1), ""};
  auto taken = services_->ingest().Ingest({{0, current}}, {}, "");
  ASSERT_TRUE(taken.ok()) << taken.error().message;
  EXPECT_TRUE(taken->rejected.empty()) << taken->rejected[0].reason;
}

TEST_P(InvoiceServiceTest, TransitionsFollowTheLifecycle) {
  ASSERT_TRUE(invoices().RunDue().ok());
  auto page = invoices().List({.customer_id = customer_b_}, {.limit = 1});
  std::string id = page->items.at(0).id;
  auto paid = invoices().Transition(id, InvoiceStatus::kPaid, now_, "test");
  ASSERT_TRUE(paid.ok());
  EXPECT_EQ(paid->amount_due_minor, 0);
  EXPECT_EQ(paid->amount_paid_minor, paid->total_minor);
  auto again = invoices().Transition(id, InvoiceStatus::kVoid, now_, "test");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().Reason(), "illegal_transition");
  auto draft = invoices().CreateDraft(customer_b_, "USD", first_, {{"adjustment", "", "Setup", 1, "10.00", 1000}});
  ASSERT_TRUE(draft.ok());
  EXPECT_TRUE(draft->number.empty());
  auto open = invoices().Finalize(draft->id);
  ASSERT_TRUE(open.ok());
  EXPECT_EQ(open->status, InvoiceStatus::kOpen);
  EXPECT_FALSE(open->number.empty());
  EXPECT_FALSE(invoices().Finalize(draft->id).ok());
}

INSTANTIATE_TEST_SUITE_P(Backends, InvoiceServiceTest, ::testing::ValuesIn(TestBackends()),
                         [](const auto& info) { return BackendParamName(info.param); });

// A plan with tiered prices and a minimum commitment: its 'usage' and
// 'minimum' lines are stored and read back as the builder made them.
// Midnight UTC on the 1st of the month `months` months before `now`'s.
TimePoint FirstOfMonthBefore(TimePoint now, int months) {
  std::chrono::year_month_day today{std::chrono::floor<std::chrono::days>(now)};
  return std::chrono::sys_days((std::chrono::year_month(today.year(), today.month()) - std::chrono::months(months)) /
                               std::chrono::day(1));
}

class ChargeModelInvoiceTest : public ::testing::TestWithParam<storage::Backend> {};

TEST_P(ChargeModelInvoiceTest, TieredLinesAndAMinimumAreStoredAndReadBack) {
  auto catalog = catalog::Catalog::Parse(R"({
    "metrics": [{"id": "impressions", "name": "Ad impressions", "unit": "impression",
                 "overage_price": {"amount": "0.50", "per": 1000}}],
    "plans": [{"id": "tiered", "name": "Tiered", "currency": "USD", "base_fee": "20.00", "minimum_commitment": "100.00",
               "limits": {"impressions": 1000},
               "charges": {"impressions": {"model": "graduated", "tiers": [
                 {"up_to": 1000, "unit_price": {"amount": "0", "per": 1}},
                 {"up_to": 5000, "unit_price": {"amount": "0.01", "per": 1}},
                 {"unit_price": {"amount": "0.005", "per": 1}}]}}}]})");
  ASSERT_TRUE(catalog.ok()) << catalog.error().message;
  BillingServices services(BillingServices::Options{.backend = GetParam(), .catalog = *catalog});
  TimePoint now = services.clock().Now();
  std::chrono::year_month_day today{std::chrono::floor<std::chrono::days>(now)};
  TimePoint anchor = std::chrono::sys_days(
      (std::chrono::year_month(today.year(), today.month()) - std::chrono::months(2)) / std::chrono::day(1));
  std::string busy = services.AddCustomer("Busy Apps"), quiet = services.AddCustomer("Quiet Apps");
  for (const std::string& customer : {busy, quiet}) {
    ASSERT_TRUE(
        services.subscriptions().Create(customer, "tiered", anchor, subscriptions::Status::kActive, "test").ok());
  }
  metering::UsageEvent used{"ev-1", busy, "impressions", 20000, anchor + std::chrono::hours(3), ""};
  ASSERT_TRUE(services.usage_store().Write({used}, now, nullptr).ok());
  Period first = MonthlyPeriodContaining(anchor, anchor);
  auto invoice_for = [&](const std::string& customer) -> Result<invoicing::Invoice> {
    MTL_ASSIGN_OR_RETURN(auto subscription, services.subscriptions().ForCustomer(customer));
    MTL_ASSIGN_OR_RETURN(auto made, services.invoices().InvoicePeriod(subscription, first));
    return services.invoices().Get(made.invoice.id, customer);
  };
  auto stored = invoice_for(busy);
  ASSERT_TRUE(stored.ok()) << stored.error().message;
  ASSERT_EQ(stored->lines.size(), 3u);
  EXPECT_EQ(stored->lines[1].kind, "usage");
  EXPECT_EQ(stored->lines[1].description, "Ad impressions 1,001\u20135,000 at 0.01 USD each");
  EXPECT_EQ(stored->lines[1].amount_minor, 4000);
  EXPECT_EQ(stored->lines[2].quantity, 15000);
  EXPECT_EQ(stored->lines[2].unit_price, "0.005");
  EXPECT_EQ(stored->lines[2].amount_minor, 7500);
  EXPECT_EQ(stored->total_minor, 2000 + 4000 + 7500);  // 135.00: above the 100.00 minimum
  auto quiet_stored = invoice_for(quiet);
  ASSERT_TRUE(quiet_stored.ok()) << quiet_stored.error().message;
  ASSERT_EQ(quiet_stored->lines.size(), 2u);
  EXPECT_EQ(quiet_stored->lines[1].kind, "minimum");
  EXPECT_EQ(quiet_stored->lines[1].amount_minor, 8000);
  EXPECT_EQ(quiet_stored->total_minor, 10000);
}

// Quarterly and yearly plans: a period is three or twelve anchored months,
// the base fee is per period, and monthly allowances scale with it unless the
// plan says they are per interval.
TEST_P(ChargeModelInvoiceTest, QuarterlyAndYearlyPlansInvoiceTheirWholeIntervalOnce) {
  auto catalog = catalog::Catalog::Parse(R"({
    "metrics": [{"id": "impressions", "name": "Ad impressions", "unit": "impression",
                 "overage_price": {"amount": "0.50", "per": 1000}}],
    "plans": [{"id": "quarterly", "name": "Quarterly", "currency": "USD", "base_fee": "600.00",
               "interval": "quarter", "limits": {"impressions": 1000}},
              {"id": "yearly", "name": "Yearly", "currency": "USD", "base_fee": "2400.00",
               "interval": "year", "allowances": "per_interval", "limits": {"impressions": 5000}}]})");
  ASSERT_TRUE(catalog.ok()) << catalog.error().message;
  const catalog::Metric& impressions = *catalog->FindMetric("impressions");
  EXPECT_EQ(catalog->FindPlan("quarterly")->LimitOf(impressions), 3000);  // 1,000 a month
  EXPECT_EQ(catalog->FindPlan("yearly")->LimitOf(impressions), 5000);     // as written
  BillingServices services(BillingServices::Options{.backend = GetParam(), .catalog = *catalog});
  TimePoint now = services.clock().Now();
  auto months_ago = [&](int months) { return FirstOfMonthBefore(now, months); };
  std::string quarterly = services.AddCustomer("Quarterly Apps"), yearly = services.AddCustomer("Yearly Apps");
  TimePoint quarter_anchor = months_ago(7), year_anchor = months_ago(26);
  auto& subs = services.subscriptions();
  ASSERT_TRUE(subs.Create(quarterly, "quarterly", quarter_anchor, subscriptions::Status::kActive, "test").ok());
  ASSERT_TRUE(subs.Create(yearly, "yearly", year_anchor, subscriptions::Status::kActive, "test").ok());
  // 1,500 impressions in the quarter's first month and 2,000 in its third:
  // 500 over its 3,000. 7,000 in the first year, spread over it: 2,000 over 5,000.
  std::vector<metering::UsageEvent> events = {
      {"q1", quarterly, "impressions", 1500, quarter_anchor + std::chrono::hours(5), ""},
      {"q2", quarterly, "impressions", 2000, quarter_anchor + std::chrono::hours(24 * 70), ""},
      {"y1", yearly, "impressions", 3000, year_anchor + std::chrono::hours(5), ""},
      {"y2", yearly, "impressions", 4000, year_anchor + std::chrono::hours(24 * 300), ""}};
  for (const auto& e : events) ASSERT_TRUE(services.usage_store().Write({e}, now, nullptr).ok());

  auto run = services.invoices().RunDue();
  ASSERT_TRUE(run.ok()) << run.error().message;
  // Two closed quarters and two closed years, each invoiced once.
  EXPECT_EQ(run->created, 4);
  EXPECT_EQ(services.invoices().RunDue()->created, 0);
  auto oldest = [&](const std::string& customer) -> invoicing::Invoice {
    auto page = services.invoices().List({.customer_id = customer}, {.limit = 10});
    EXPECT_TRUE(page.ok());
    EXPECT_EQ(page->total, 2);
    auto full = services.invoices().Get(page->items.back().id, customer);
    EXPECT_TRUE(full.ok());
    return *full;
  };
  invoicing::Invoice quarter = oldest(quarterly);
  EXPECT_EQ(quarter.period.start, quarter_anchor);
  EXPECT_EQ(quarter.period.end, months_ago(4));
  ASSERT_EQ(quarter.lines.size(), 2u);
  EXPECT_EQ(quarter.lines[0].amount_minor, 60000);
  EXPECT_EQ(quarter.lines[1].quantity, 500);
  EXPECT_EQ(quarter.lines[1].amount_minor, 25);  // 500 x 0.50 / 1,000
  EXPECT_EQ(quarter.total_minor, 60025);
  invoicing::Invoice year = oldest(yearly);
  EXPECT_EQ(year.period.start, year_anchor);
  EXPECT_EQ(year.period.end, months_ago(14));
  ASSERT_EQ(year.lines.size(), 2u);
  EXPECT_EQ(year.lines[1].quantity, 2000);
  EXPECT_EQ(year.total_minor, 240000 + 100);

  // The current quarter's usage is measured against three months' allowance.
  metering::UsageService usage(services.usage_store(), services.plans(), services.subscriptions(), services.clock());
  auto current = usage.Current(quarterly);
  ASSERT_TRUE(current.ok()) << current.error().message;
  EXPECT_EQ(current->period, PeriodContaining(quarter_anchor, 3, now));
  EXPECT_EQ(current->metrics[0].limit, 3000);

  // A version cannot change the interval.
  catalog::Plan monthly = *catalog->FindPlan("quarterly");
  monthly.interval_months = 1;
  auto refused = services.plans().AddVersion("quarterly", monthly, now, "test");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().param, "interval");
}

// A base fee in advance: an opening invoice holds the first period's fee;
// each period's invoice then holds its usage and the next period's fee, and
// the minimum commitment still weighs a period's usage with its own fee.
TEST_P(ChargeModelInvoiceTest, ABaseFeeInAdvanceIsInvoicedAtTheStartOfItsPeriod) {
  auto catalog = catalog::Catalog::Parse(R"({
    "metrics": [{"id": "impressions", "name": "Ad impressions", "unit": "impression",
                 "overage_price": {"amount": "0.50", "per": 1000}}],
    "plans": [{"id": "ahead", "name": "Ahead", "currency": "USD", "base_fee": "20.00", "base_fee_timing": "in_advance",
               "minimum_commitment": "100.00", "limits": {"impressions": 1000}}]})");
  ASSERT_TRUE(catalog.ok()) << catalog.error().message;
  EXPECT_TRUE(catalog->FindPlan("ahead")->base_fee_in_advance);
  BillingServices services(BillingServices::Options{.backend = GetParam(), .catalog = *catalog});
  TimePoint now = services.clock().Now();
  auto months_ago = [&](int months) { return FirstOfMonthBefore(now, months); };
  std::string customer = services.AddCustomer("Early Payers");
  TimePoint anchor = months_ago(3);
  ASSERT_TRUE(services.subscriptions().Create(customer, "ahead", anchor, subscriptions::Status::kActive, "test").ok());
  // 11,000 impressions in the first period: 10,000 over, 5.00.
  metering::UsageEvent used{"ev-1", customer, "impressions", 11000, anchor + std::chrono::hours(3), ""};
  ASSERT_TRUE(services.usage_store().Write({used}, now, nullptr).ok());
  auto sub = services.subscriptions().ForCustomer(customer);
  ASSERT_TRUE(sub.ok());
  EXPECT_TRUE(sub->base_fee_in_advance);
  auto invoice = [&](const Period& period) -> invoicing::Invoice {
    auto made = services.invoices().InvoicePeriod(*sub, period);
    EXPECT_TRUE(made.ok()) << made.error().message;
    return *services.invoices().Get(made->invoice.id, customer);
  };

  Period opening_period = sub->FirstSegment()->period;
  EXPECT_EQ(opening_period.end, anchor);
  invoicing::Invoice opening = invoice(opening_period);
  ASSERT_EQ(opening.lines.size(), 1u);
  Period first = MonthlyPeriodContaining(anchor, anchor), second = MonthlyPeriodContaining(anchor, first.end);
  EXPECT_EQ(opening.lines[0].description, "Ahead plan, monthly fee, " + FormatIso8601(first.start).substr(0, 10) +
                                              " to " + FormatIso8601(first.end).substr(0, 10));
  EXPECT_EQ(opening.total_minor, 2000);

  invoicing::Invoice at_first_end = invoice(first);
  ASSERT_EQ(at_first_end.lines.size(), 3u);
  EXPECT_EQ(at_first_end.lines[0].kind, "base_fee");
  EXPECT_EQ(at_first_end.lines[0].description, "Ahead plan, monthly fee, " + FormatIso8601(second.start).substr(0, 10) +
                                                   " to " + FormatIso8601(second.end).substr(0, 10));
  EXPECT_EQ(at_first_end.lines[1].amount_minor, 500);
  // The first period's charges are its 20.00 fee (on the opening invoice) and
  // 5.00 of usage: 75.00 short of the 100.00 minimum.
  EXPECT_EQ(at_first_end.lines[2].kind, "minimum");
  EXPECT_EQ(at_first_end.lines[2].amount_minor, 7500);
  EXPECT_EQ(at_first_end.lines[2].description, "Minimum commitment of 100.00 USD (charges 25.00)");
  EXPECT_EQ(at_first_end.total_minor, 2000 + 500 + 7500);

  // The run invoices the periods left (it looks at the last three closed
  // ones, so the first of them exists already), never one twice.
  auto run = services.invoices().RunDue();
  ASSERT_TRUE(run.ok()) << run.error().message;
  EXPECT_GE(run->existing, 1);
  EXPECT_GE(run->created, 1);
  auto page = services.invoices().List({.customer_id = customer}, {.limit = 10});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->total, 2 + run->created);
  // Reconciliation's expected invoices are the same ones, the opening one included.
  auto expected = services.invoices().ExpectedForPeriodsStartingIn(opening_period.start, first.end);
  ASSERT_TRUE(expected.ok()) << expected.error().message;
  ASSERT_EQ(expected->size(), 2u);
  EXPECT_EQ((*expected)[0].amounts.total_minor + (*expected)[1].amounts.total_minor, 2000 + 10000);

  // A version cannot switch the fee to arrears.
  catalog::Plan arrears = *catalog->FindPlan("ahead");
  arrears.base_fee_in_advance = false;
  auto refused = services.plans().AddVersion("ahead", arrears, now, "test");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().param, "base_fee_timing");
}

INSTANTIATE_TEST_SUITE_P(Backends, ChargeModelInvoiceTest, ::testing::ValuesIn(TestBackends()),
                         [](const auto& info) { return BackendParamName(info.param); });

}  // namespace
}  // namespace meterline::testing
