// Reconciliation through billingd against the fake Stripe, once per backend,
// on a FakeClock (at MTL_TEST_NOW when set; the fake Stripe's clock follows
// it): totals and alerts per currency read back through the API, and the
// API's idempotency keys (replay, concurrency, other parameters). The service
// on its own is tested in reconciliation_service_test.cpp.
#include <gtest/gtest.h>

#include <deque>
#include <fstream>
#include <thread>

#include "core/ids.hpp"
#include "core/period.hpp"
#include "fake_stripe.hpp"
#include "reconciliation/reconciliation_service.hpp"
#include "security/security_fixture.hpp"
#include "stripe/invoice_sync.hpp"
#include "support/temp_dir.hpp"

namespace meterline::testing {
namespace {

namespace json = boost::json;

class ReconciliationTest : public SecurityTest {
 protected:
  ReconciliationTest() { fake_now_ = TestNow(); }

  void SetUp() override {
    StartBillingd({{"STRIPE_SECRET_KEY", "sk_test_rec"}, {"STRIPE_API_BASE", fake_.base_url()}});
    SetUp2();
    fake_.SetNow(clock().Now());
    // Subscribed on the 1st two months before the last closed period ends
    // (periods close an hour after their end): two closed periods each.
    TimePoint now = clock().Now();
    std::chrono::year_month_day closed{
        std::chrono::floor<std::chrono::days>(now - billingd_->app().invoices->options().grace)};
    auto start = std::chrono::year_month(closed.year(), closed.month()) - std::chrono::months(2);
    TimePoint anchor = std::chrono::sys_days(start / std::chrono::day(1));
    period_ = FormatIso8601(anchor).substr(0, 7);
    first_ = MonthlyPeriodContaining(anchor, anchor);
    auto& subs = *billingd_->app().subscriptions;
    ASSERT_TRUE(subs.Create(customer_a_, "starter", anchor, subscriptions::Status::kActive, "test").ok());
    ASSERT_TRUE(subs.Create(customer_b_, "growth", anchor, subscriptions::Status::kActive, "test").ok());
    Use(customer_a_, 1'250'001);  // Acme: 4,900 base + 12,500 overage = 17,400
    ASSERT_EQ(billingd_->app().invoices->RunDue()->created, 4);
    TimePasses();
    stripe::ClientOptions options;
    options.api_base = fake_.base_url();
    options.secret_key = "sk_test_rec";
    options.sleep = [](std::chrono::milliseconds) {};
    client_ = std::make_unique<stripe::StripeClient>(options);
  }

  void Use(const std::string& customer, int64_t impressions) {
    metering::UsageEvent e{
        "ev-" + RandomHex(6), customer, "impressions", impressions, first_.start + std::chrono::hours(5), ""};
    ASSERT_TRUE(billingd_->app().usage_store->Write({e}, clock().Now(), nullptr).ok());
  }

  void Push() {
    stripe::InvoiceSync sync(db(), *client_, clock());
    auto run = sync.RunOutbox();
    ASSERT_TRUE(run.ok());
    ASSERT_EQ(run->failed, 0);
  }

  // `threshold` as RECONCILE_ALERT_THRESHOLD takes it.
  reconciliation::ReconciliationService Service(const std::string& threshold = "1000", std::string webhook = "") {
    reconciliation::Options options;
    options.tolerance = money::Decimal(5, 3);
    options.alert_webhook_url = std::move(webhook);
    EXPECT_TRUE(reconciliation::ParseAlertThreshold(threshold, options).ok()) << threshold;
    // A registry per service: each registers its alert counter.
    return reconciliation::ReconciliationService(db(), *billingd_->app().invoices, *client_, registries_.emplace_back(),
                                                 clock(), std::move(options));
  }

  // A reconciliation leaves out invoices made once it started: the clock
  // stands still until told, so it moves on after invoicing.
  void TimePasses() { billingd_->fake_clock()->Advance(std::chrono::minutes(1)); }

  storage::Database& db() { return billingd_->database().db(); }
  int64_t Count(const std::string& sql) { return db().Execute(sql)->rows.at(0).Int(0); }

  FakeStripe fake_;
  std::deque<observability::Registry> registries_;
  std::unique_ptr<stripe::StripeClient> client_;
  std::string period_;
  Period first_;
};

TEST_P(ReconciliationTest, TotalsAndAlertsAreKeptPerCurrency) {
  // A catalog with a plan in euros next to the dollar plans.
  TempDir dir("mtl-rec-catalog");
  std::string catalog = dir.path() + "/catalog.json";
  std::ofstream(catalog) << R"({
    "metrics": [{"id": "impressions", "name": "Ad impressions", "unit": "impression",
                 "overage_price": {"amount": "0.50", "per": 1000}}],
    "plans": [
      {"id": "starter", "name": "Starter", "currency": "USD", "base_fee": "49.00", "limits": {"impressions": 1000000}},
      {"id": "growth-eu", "name": "Growth EU", "currency": "EUR", "base_fee": "250.00",
       "limits": {"impressions": 10000000}}]})";
  billingd_.reset();
  StartBillingd(
      {{"STRIPE_SECRET_KEY", "sk_test_rec"}, {"STRIPE_API_BASE", fake_.base_url()}, {"CATALOG_PATH", catalog}});
  SetUp2();
  TimePoint anchor = first_.start;
  auto& subs = *billingd_->app().subscriptions;
  ASSERT_TRUE(subs.Create(customer_a_, "starter", anchor, subscriptions::Status::kActive, "test").ok());
  // A plan in euros takes a customer who pays in euros.
  auto refused = subs.Create(customer_b_, "growth-eu", anchor, subscriptions::Status::kActive, "test");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().param, "plan_id");
  ASSERT_TRUE(db().Execute("UPDATE customers SET currency = 'EUR' WHERE id = $1", {customer_b_}).ok());
  ASSERT_TRUE(subs.Create(customer_b_, "growth-eu", anchor, subscriptions::Status::kActive, "test").ok());
  ASSERT_EQ(billingd_->app().invoices->RunDue()->created, 4);
  TimePasses();
  // Beta's euro invoices never reach Stripe.
  ASSERT_TRUE(db().Execute("UPDATE stripe_outbox SET status = 'done' WHERE object_id IN "
                           "(SELECT id FROM invoices WHERE customer_id = $1)",
                           {customer_b_})
                  .ok());
  Push();

  // 250.00 EUR missing: over a 200 EUR threshold, while dollars agree.
  auto r = Service("1000,EUR=200").Run(period_, "test");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->totals.size(), 2u);
  const auto& eur = r->totals[0];
  const auto& usd = r->totals[1];
  EXPECT_EQ(eur.currency, "EUR");
  EXPECT_EQ(eur.subscriptions_checked, 1);
  EXPECT_EQ(eur.expected_total_minor, 25'000);
  EXPECT_EQ(eur.billed_total_minor, 0);
  EXPECT_EQ(eur.discrepancy_total_minor, 25'000);
  EXPECT_EQ(eur.alert_threshold_minor, 20'000);
  EXPECT_TRUE(eur.alert_raised);
  EXPECT_EQ(usd.currency, "USD");
  EXPECT_EQ(usd.expected_total_minor, 4'900);
  EXPECT_EQ(usd.billed_total_minor, 4'900);
  EXPECT_EQ(usd.discrepancy_total_minor, 0);
  EXPECT_EQ(usd.alert_threshold_minor, 100'000);
  EXPECT_FALSE(usd.alert_raised);
  EXPECT_TRUE(r->alert_raised);
  // Never added across currencies: the top-level totals are one currency's
  // (a tie on subscriptions goes to the larger expected total).
  EXPECT_EQ(r->currency, "EUR");
  EXPECT_EQ(r->expected_total_minor, 25'000);
  ASSERT_EQ(r->findings.size(), 1u);
  EXPECT_EQ(r->findings[0].currency, "EUR");
  auto alert = db().Execute("SELECT payload FROM events WHERE type = 'reconciliation.alert'");
  ASSERT_EQ(alert->rows.size(), 1u);
  json::object payload = json::parse(alert->rows[0].Text(0)).as_object();
  EXPECT_EQ(payload.at("currency").as_string(), "EUR");
  EXPECT_EQ(payload.at("currencies").as_array().size(), 1u);

  // Stored, and read back through the API.
  auto stored = Service().Get(r->id);
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->totals.size(), 2u);
  EXPECT_EQ(stored->totals[0].discrepancy_total_minor, 25'000);
  EXPECT_TRUE(stored->totals[0].alert_raised);
  HttpResult got = Client().Get("/api/v1/billing/reconciliations/" + r->id, {SignIn("root@meterline.test").Bearer()});
  ASSERT_EQ(got.status, 200) << got.body;
  json::array totals = json::parse(got.body).at("totals").as_array();
  ASSERT_EQ(totals.size(), 2u);
  EXPECT_EQ(totals[1].at("currency").as_string(), "USD");
  EXPECT_EQ(totals[0].at("alert_threshold").at("minor").as_int64(), 20'000);

  // One threshold for every currency, in its own units: 250 EUR < 1,000 EUR.
  EXPECT_FALSE(Service("1000").Run(period_, "test")->alert_raised);
}

TEST_P(ReconciliationTest, TheApiRunsOncePerIdempotencyKey) {
  Push();
  SignedIn admin = SignIn("root@meterline.test");
  std::string body = R"({"period":")" + period_ + R"("})";
  std::string key = "Idempotency-Key: rec-key-" + RandomHex(8);
  HttpResult first = Client().Post("/api/v1/billing/reconcile", body, {admin.Bearer(), key});
  ASSERT_EQ(first.status, 200) << first.body;
  std::string id(json::parse(first.body).at("id").as_string());
  HttpResult again = Client().Post("/api/v1/billing/reconcile", body, {admin.Bearer(), key});
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(json::parse(again.body).at("id").as_string(), id);
  EXPECT_EQ(again.Header("Idempotent-Replayed"), "true");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM reconciliations"), 1);

  HttpResult other = Client().Post("/api/v1/billing/reconcile", R"({"period":"2020-01"})", {admin.Bearer(), key});
  EXPECT_EQ(other.status, 422);
  EXPECT_EQ(ErrorCode(other), "idempotency_key_reused");
  HttpResult short_key = Client().Post("/api/v1/billing/reconcile", body, {admin.Bearer(), "Idempotency-Key: short"});
  EXPECT_EQ(short_key.status, 400);
  EXPECT_EQ(ErrorCode(short_key), "idempotency_key_required");
  HttpResult form = Client().Post("/api/v1/billing/reconcile", "period=" + period_,
                                  {admin.Bearer(), key, "Content-Type: application/x-www-form-urlencoded"});
  EXPECT_EQ(form.status, 415) << form.body;
  EXPECT_EQ(Client().Post("/api/v1/billing/reconcile", body, {SignIn("alice@acme.test").Bearer(), key}).status, 403);
  // A cookie session needs the CSRF header.
  HttpResult no_csrf = Client().Post("/api/v1/billing/reconcile", body, {admin.Cookie(), key});
  EXPECT_EQ(no_csrf.status, 403);

  // Two at once with a new key: one run.
  std::string key2 = "Idempotency-Key: rec-key-" + RandomHex(8);
  HttpResult a, b;
  std::thread ta([&] { a = Client().Post("/api/v1/billing/reconcile", body, {admin.Bearer(), key2}); });
  std::thread tb([&] { b = Client().Post("/api/v1/billing/reconcile", body, {admin.Bearer(), key2}); });
  ta.join();
  tb.join();
  EXPECT_EQ(Count("SELECT COUNT(*) FROM reconciliations"), 2);
  for (const HttpResult* r : {&a, &b}) EXPECT_TRUE(r->status == 200 || r->status == 409) << r->body;
  if (a.status == 200 && b.status == 200) {
    EXPECT_EQ(json::parse(a.body).at("id"), json::parse(b.body).at("id"));
  }

  HttpResult history = Client().Get("/api/v1/billing/reconciliations?limit=1", {admin.Bearer()});
  ASSERT_EQ(history.status, 200);
  EXPECT_EQ(json::parse(history.body).at("data").as_array().size(), 1u);
  EXPECT_EQ(Client().Get("/api/v1/billing/reconciliations?limit=0", {admin.Bearer()}).status, 400);
  HttpResult one = Client().Get("/api/v1/billing/reconciliations/" + id, {admin.Bearer()});
  ASSERT_EQ(one.status, 200);
  EXPECT_TRUE(json::parse(one.body).at("findings").is_array());
  EXPECT_EQ(Client().Get("/api/v1/billing/reconciliations/" + id, {SignIn("bob@beta.test").Bearer()}).status, 403);
}

INSTANTIATE_TEST_SUITE_P(Backends, ReconciliationTest, ::testing::ValuesIn(TestBackends()),
                         [](const auto& info) { return BackendParamName(info.param); });

}  // namespace
}  // namespace meterline::testing
