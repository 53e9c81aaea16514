// GET /api/v1/billing/usage/forecast, once per backend, on billingd's fake
// clock: flat daily usage projects to the period's total, the limit's
// crossing day is the day the projection reaches it, the projected invoice is
// exactly what the invoice builder makes of the projected usage, and a member
// sees only their own customer's forecast.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "catalog/catalog.hpp"
#include "invoicing/invoice_builder.hpp"
#include "security/security_fixture.hpp"
#include "support/test_clock.hpp"

namespace meterline::testing {
namespace {

namespace json = boost::json;
constexpr auto kDay = std::chrono::hours(24);

class ForecastTest : public SecurityTest {
 protected:
  ForecastTest() { fake_now_ = TestNow(); }
};

TEST_P(ForecastTest, FlatUsageProjectsToThePeriodAndItsInvoice) {
  TimePoint now = clock().Now();
  TimePoint today = std::chrono::floor<std::chrono::days>(now);
  TimePoint anchor = today - 10 * kDay;  // ten complete days of the period so far
  auto& app = billingd_->app();
  auto sub = app.subscriptions->Create(customer_a_, "starter", anchor, subscriptions::Status::kActive, "test");
  ASSERT_TRUE(sub.ok()) << sub.error().message;
  Period period = sub->PeriodAt(now);
  int period_days = static_cast<int>((std::chrono::floor<std::chrono::days>(period.end - std::chrono::milliseconds(1)) -
                                      std::chrono::floor<std::chrono::days>(period.start)) /
                                     kDay) +
                    1;
  // Per day: 1,000 API calls, and impressions at a twentieth of the limit (1,000,000).
  std::vector<metering::UsageEvent> events;
  for (int d = 0; d < 10; ++d) {
    TimePoint at = anchor + d * kDay + std::chrono::hours(3);
    events.push_back({"a" + std::to_string(d), customer_a_, "api_calls", 1000, at, ""});
    events.push_back({"i" + std::to_string(d), customer_a_, "impressions", 50000, at, ""});
  }
  std::vector<metering::UsageEventRef> refs(events.begin(), events.end());
  ASSERT_TRUE(app.usage_store->Write(refs, now, nullptr).ok());

  SignedIn alice = SignIn("alice@acme.test");
  HttpResult r = Client().Get("/api/v1/billing/usage/forecast", {alice.Cookie()});
  ASSERT_EQ(r.status, 200) << r.body;
  json::object f = json::parse(r.body).as_object();
  EXPECT_EQ(f.at("days_observed").as_int64(), 10);
  EXPECT_EQ(f.at("period_days").as_int64(), period_days);
  std::map<std::string, json::object> by_metric;
  for (const auto& m : f.at("metrics").as_array()) by_metric[std::string(m.at("metric").as_string())] = m.as_object();

  const json::object& calls = by_metric.at("api_calls");
  EXPECT_EQ(calls.at("usage_so_far").as_int64(), 10000);
  int64_t expected = calls.at("projected").at("expected").as_int64();
  EXPECT_NEAR(static_cast<double>(expected), 1000.0 * period_days, 0.02 * 1000.0 * period_days);
  EXPECT_GE(calls.at("projected").at("lower").as_int64(), 10000);
  EXPECT_LE(calls.at("projected").at("lower").as_int64(), expected);
  EXPECT_GE(calls.at("projected").at("upper").as_int64(), expected);
  EXPECT_GT(calls.at("projected").at("upper").as_int64(), calls.at("projected").at("lower").as_int64());
  EXPECT_TRUE(calls.at("limit_crossed_at").is_null()) << "100,000 is out of reach";
  EXPECT_EQ(calls.at("days").as_array().size(), static_cast<size_t>(period_days));
  EXPECT_EQ(calls.at("days").as_array()[9].at("actual").as_int64(), 1000);

  // Impressions reach 1,000,000 at the end of the period's 20th day.
  const json::object& impressions = by_metric.at("impressions");
  ASSERT_TRUE(impressions.at("limit_crossed_at").is_string()) << json::serialize(impressions);
  TimePoint first_day = std::chrono::floor<std::chrono::days>(period.start);
  EXPECT_EQ(impressions.at("limit_crossed_at").as_string(), FormatIso8601(first_day + 19 * kDay));

  // The invoice is the builder's, exactly, on the projected units.
  std::map<std::string, int64_t> projected;
  for (const auto& [metric, m] : by_metric) projected[metric] = m.at("projected").at("expected").as_int64();
  auto plan = app.plans->Version("starter", 1);
  ASSERT_TRUE(plan.ok());
  invoicing::InvoiceTerms terms;
  auto current = app.usage->Current(customer_a_);
  ASSERT_TRUE(current.ok());
  terms.share = current->share;
  auto built = invoicing::BuildInvoice(app.plans->catalog(), **plan, projected, std::nullopt, terms);
  ASSERT_TRUE(built.ok());
  EXPECT_EQ(f.at("invoice").at("expected").at("minor").as_int64(), built->subtotal_minor) << r.body;
  EXPECT_GT(built->subtotal_minor, 4900) << "the impressions' overage is on it";
  EXPECT_LE(f.at("invoice").at("lower").at("minor").as_int64(), built->subtotal_minor);
  EXPECT_GE(f.at("invoice").at("upper").at("minor").as_int64(), built->subtotal_minor);

  // Members see their own; another customer's is a 404; admins name one.
  SignedIn bob = SignIn("bob@beta.test");
  EXPECT_EQ(Client().Get("/api/v1/billing/usage/forecast?customer_id=" + customer_a_, {bob.Cookie()}).status, 404);
  EXPECT_EQ(Client().Get("/api/v1/billing/usage/forecast", {bob.Cookie()}).status, 404) << "Beta has no subscription";
  SignedIn root = SignIn("root@meterline.test");
  EXPECT_EQ(Client().Get("/api/v1/billing/usage/forecast", {root.Bearer()}).status, 400);
  EXPECT_EQ(Client().Get("/api/v1/billing/usage/forecast?customer_id=" + customer_a_, {root.Bearer()}).status, 200);
}

INSTANTIATE_TEST_SUITE_P(Backends, ForecastTest, ::testing::ValuesIn(TestBackends()),
                         [](const auto& info) { return BackendParamName(info.param); });

}  // namespace
}  // namespace meterline::testing
