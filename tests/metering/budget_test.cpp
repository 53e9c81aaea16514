// Budgets, once per backend, on billingd's fake clock: the spend so far and
// the forecast against the budget, budget.threshold_crossed at 50, 80 and
// 100 % and budget.forecast_exceeded each exactly once per period however
// often the check runs, and who may read and set a budget.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "budgets/budget_service.hpp"
#include "security/security_fixture.hpp"
#include "support/test_clock.hpp"

namespace meterline::testing {
namespace {

namespace json = boost::json;
constexpr auto kDay = std::chrono::hours(24);

class BudgetTest : public SecurityTest {
 protected:
  BudgetTest() { fake_now_ = TestNow(); }

  void Ingest(const std::string& id, int64_t impressions, TimePoint at) {
    metering::UsageEvent e{id, customer_a_, "impressions", impressions, at, ""};
    ASSERT_TRUE(billingd_->app().usage_store->Write({e}, clock().Now(), nullptr).ok());
  }
  int64_t Events(const std::string& type) {
    auto r = billingd_->database().db().Execute("SELECT COUNT(*) FROM events WHERE type = $1 AND customer_id = $2",
                                                {type, customer_a_});
    return r.ok() ? r->rows[0].Int(0) : -1;
  }
  budgets::CheckRun Check() {
    auto run = billingd_->app().budgets->CheckAll();
    EXPECT_TRUE(run.ok()) << run.error().message;
    return run.ok() ? *run : budgets::CheckRun{};
  }
};

TEST_P(BudgetTest, AlertsAtFiftyEightyAHundredPercentAndOnTheForecastOncePerPeriod) {
  TimePoint today = std::chrono::floor<std::chrono::days>(clock().Now());
  TimePoint anchor = today - 10 * kDay;
  auto& app = billingd_->app();
  ASSERT_TRUE(app.subscriptions->Create(customer_a_, "starter", anchor, subscriptions::Status::kActive, "test").ok());
  // 40,000 impressions a day for ten days: within the 1,000,000 included so far,
  // but about 1.2 million by the period's end: $0.50 per 1,000 over.
  for (int d = 0; d < 10; ++d) Ingest("d" + std::to_string(d), 40000, anchor + d * kDay + std::chrono::hours(2));

  SignedIn alice = SignIn("alice@acme.test");
  auto put = [&](const std::string& body, const SignedIn& who) {
    return Client().Send("PUT", "/api/v1/billing/budget", body,
                         {who.Cookie(), "X-CSRF-Token: " + who.csrf, "Content-Type: application/json"});
  };
  EXPECT_EQ(Client().Get("/api/v1/billing/budget", {alice.Cookie()}).status, 404);
  HttpResult bad = put(R"({"amount_minor": 0})", alice);
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("amount_minor"), std::string::npos);
  HttpResult set = put(R"({"amount_minor": 9000})", alice);  // $90.00; the fee alone is $49.00
  ASSERT_EQ(set.status, 200) << set.body;
  json::object budget = json::parse(set.body).as_object();
  EXPECT_EQ(budget.at("amount").at("minor").as_int64(), 9000);
  EXPECT_EQ(budget.at("spend").at("minor").as_int64(), 4900);
  EXPECT_EQ(budget.at("thresholds_crossed").as_array().size(), 1u);  // 54 %: 50 crossed
  EXPECT_TRUE(budget.at("forecast_exceeds").as_bool()) << set.body;
  EXPECT_GT(budget.at("forecast").at("minor").as_int64(), 9000);

  budgets::CheckRun first = Check();
  EXPECT_EQ(first.budgets, 1);
  EXPECT_EQ(first.events, 2);  // 50 % and the forecast
  EXPECT_EQ(Check().events, 0) << "each alert once per period";
  EXPECT_EQ(Events("budget.threshold_crossed"), 1);
  EXPECT_EQ(Events("budget.forecast_exceeded"), 1);

  // Today's burst: 1,100,000 so far, $50.00 of overage: $99.00 spent, past 80 and 100 %.
  Ingest("burst", 700000, clock().Now() - std::chrono::minutes(5));
  EXPECT_EQ(Check().events, 2);
  EXPECT_EQ(Check().events, 0);
  EXPECT_EQ(Events("budget.threshold_crossed"), 3);
  EXPECT_EQ(Events("budget.forecast_exceeded"), 1);
  auto payload = billingd_->database().db().Execute(
      "SELECT payload FROM events WHERE type = 'budget.threshold_crossed' ORDER BY id DESC LIMIT 1");
  json::object last = json::parse(payload->rows[0].Text(0)).as_object();
  EXPECT_EQ(last.at("threshold_percent").as_int64(), 100);
  EXPECT_EQ(last.at("spend").at("minor").as_int64(), 9900);
  HttpResult got = Client().Get("/api/v1/billing/budget", {alice.Cookie()});
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(json::parse(got.body).at("thresholds_crossed").as_array().size(), 3u);

  // Who may: another member is told there is nothing; an admin names the customer.
  SignedIn bob = SignIn("bob@beta.test");
  EXPECT_EQ(Client().Get("/api/v1/billing/budget?customer_id=" + customer_a_, {bob.Cookie()}).status, 404);
  EXPECT_EQ(put(R"({"amount_minor": 1, "customer_id": ")" + customer_a_ + "\"}", bob).status, 404);
  SignedIn root = SignIn("root@meterline.test");
  EXPECT_EQ(Client().Get("/api/v1/billing/budget", {root.Bearer()}).status, 400);
  EXPECT_EQ(Client().Get("/api/v1/billing/budget?customer_id=" + customer_a_, {root.Bearer()}).status, 200);
  HttpResult removed =
      Client().Send("DELETE", "/api/v1/billing/budget", "", {alice.Cookie(), "X-CSRF-Token: " + alice.csrf});
  EXPECT_EQ(removed.status, 200) << removed.body;
  EXPECT_EQ(Client().Get("/api/v1/billing/budget", {alice.Cookie()}).status, 404);
  EXPECT_EQ(Check().budgets, 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, BudgetTest, ::testing::ValuesIn(TestBackends()),
                         [](const auto& info) { return BackendParamName(info.param); });

}  // namespace
}  // namespace meterline::testing
