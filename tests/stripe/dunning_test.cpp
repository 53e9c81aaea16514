// Dunning end to end, once per backend, on billingd's FakeClock with the fake
// Stripe (whose clock follows it): a failed payment starts a campaign and
// makes the subscription past_due; retries follow the schedule (the default:
// 3, 7, 14 and 21 days after the failure), each a POST /v1/invoices/{id}/pay
// with its own idempotency key and an event; a retry that is paid ends it
// and the subscription is active again; when every retry is declined the
// final action applies; a payment made any other way ends it too. Campaigns
// survive a new worker (a restart), and two workers never retry one at once.
#include <gtest/gtest.h>

#include <thread>

#include "dunning/campaign_store.hpp"
#include "dunning/dunning_worker.hpp"
#include "fake_stripe.hpp"
#include "observability/metrics.hpp"
#include "security/security_fixture.hpp"
#include "stripe/invoice_sync.hpp"
#include "stripe/webhook_processor.hpp"
#include "support/test_clock.hpp"

namespace meterline::testing {
namespace {

namespace json = boost::json;
using std::chrono::hours;

constexpr const char* kWebhookSecret = "whsec_test_dunning_secret";
constexpr auto kDay = hours(24);

class DunningTest : public SecurityTest {
 protected:
  DunningTest() { fake_now_ = TestNow(); }

  void SetUp() override {
    StartBillingd({{"STRIPE_WEBHOOK_SECRET", kWebhookSecret},
                   {"STRIPE_SECRET_KEY", "sk_test_dunning"},
                   {"STRIPE_API_BASE", fake_.base_url()}});
    SetUp2();
    fake_.SetNow(clock().Now());
    // Two closed monthly periods each: two open invoices per customer.
    TimePoint now = clock().Now();
    std::chrono::year_month_day closed{
        std::chrono::floor<std::chrono::days>(now - billingd_->app().invoices->options().grace)};
    auto start = std::chrono::year_month(closed.year(), closed.month()) - std::chrono::months(2);
    TimePoint anchor = std::chrono::sys_days(start / std::chrono::day(1));
    auto& subs = *billingd_->app().subscriptions;
    ASSERT_TRUE(subs.Create(customer_a_, "starter", anchor, subscriptions::Status::kActive, "test").ok());
    ASSERT_TRUE(subs.Create(customer_b_, "growth", anchor, subscriptions::Status::kActive, "test").ok());
    ASSERT_EQ(billingd_->app().invoices->RunDue()->created, 4);
    auto pushed = billingd_->app().invoice_sync->RunOutbox();
    ASSERT_TRUE(pushed.ok() && pushed->done == 4);
    fake_.SetWebhookEndpoint(billingd_->base_url() + "/api/v1/webhooks/stripe", kWebhookSecret);
    Sync();
  }

  storage::Database& db() { return billingd_->database().db(); }
  FakeClock& fake_clock() { return *billingd_->fake_clock(); }
  dunning::DunningWorker& worker() { return *billingd_->app().dunning_worker; }

  // Moves billingd's and Stripe's clocks on together.
  void Advance(std::chrono::milliseconds by) {
    fake_clock().Advance(by);
    fake_.SetNow(clock().Now());
  }

  // Stripe's events not sent yet go to billingd, which processes them.
  void Sync() {
    std::vector<std::string> ids = fake_.EventIds();
    std::vector<std::string> fresh(ids.begin() + static_cast<std::ptrdiff_t>(delivered_), ids.end());
    delivered_ = ids.size();
    if (fresh.empty()) return;
    for (int64_t status : fake_.Deliver(fresh)) EXPECT_EQ(status, 200);
    auto run = billingd_->app().webhook_processor->RunPending();
    ASSERT_TRUE(run.ok()) << run.error().message;
  }

  dunning::DunningRun Run() {
    auto run = worker().RunOnce();
    EXPECT_TRUE(run.ok()) << run.error().message;
    return run.ok() ? *run : dunning::DunningRun{};
  }

  // A customer's invoices: (ours, Stripe's), oldest first.
  std::vector<std::pair<std::string, std::string>> Invoices(const std::string& customer) {
    auto r = db().Execute("SELECT id, stripe_invoice_id FROM invoices WHERE customer_id = $1 ORDER BY period_start",
                          {customer});
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& row : r->rows) out.emplace_back(row.Text(0), row.Text(1));
    return out;
  }

  std::string Scalar(const std::string& sql, std::vector<storage::Value> params = {}) {
    auto r = db().Execute(sql, std::move(params));
    EXPECT_TRUE(r.ok() && !r->rows.empty()) << sql;
    return r.ok() && !r->rows.empty() ? r->rows[0].OptText(0).value_or("NULL") : "";
  }
  int64_t Count(const std::string& sql, std::vector<storage::Value> params = {}) {
    return std::stoll(Scalar(sql, std::move(params)));
  }

  dunning::Campaign CampaignOf(const std::string& invoice) {
    auto c = dunning::CampaignStore::ForInvoice(db(), invoice);
    EXPECT_TRUE(c.ok() && c->has_value()) << invoice;
    return c.ok() && c->has_value() ? **c : dunning::Campaign{};
  }
  std::string SubscriptionStatus(const std::string& customer) {
    return Scalar("SELECT status FROM subscriptions WHERE customer_id = $1", {customer});
  }
  int64_t Events(const std::string& type, const std::string& customer) {
    return Count("SELECT COUNT(*) FROM events WHERE type = $1 AND customer_id = $2", {type, customer});
  }
  // The pay requests Stripe received for one of its invoices, by idempotency key.
  std::vector<std::string> PayKeys(const std::string& stripe_invoice) {
    std::vector<std::string> keys;
    for (const auto& r : fake_.Requests()) {
      const auto& o = r.as_object();
      if (o.at("path").as_string() != "/v1/invoices/" + stripe_invoice + "/pay") continue;
      const auto& headers = o.at("headers").as_object();
      keys.emplace_back(headers.contains("Idempotency-Key") ? headers.at("Idempotency-Key").as_string().c_str() : "");
    }
    return keys;
  }

  // Starts a campaign on one invoice with a policy of the test's own.
  void StartWith(const std::string& invoice, const dunning::DunningPolicy& policy) {
    auto started = db().Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
      MTL_ASSIGN_OR_RETURN(auto ok, dunning::CampaignStore::Start(tx, clock(), invoice, policy));
      EXPECT_TRUE(ok);
      return OkStatus();
    });
    ASSERT_TRUE(started.ok()) << started.error().message;
  }

  FakeStripe fake_;
  size_t delivered_ = 0;
};

TEST_P(DunningTest, ARetryThatIsPaidEndsTheCampaignAndTheSubscriptionIsActiveAgain) {
  auto [ours, theirs] = Invoices(customer_a_).at(0);
  TimePoint failed_at = clock().Now();
  fake_.Control("/_fake/payment_failed", {{"invoice", theirs}});
  Sync();
  dunning::Campaign c = CampaignOf(ours);
  EXPECT_EQ(c.state, "active");
  EXPECT_EQ(c.attempts_total(), 4);  // the default: 3, 7, 14 and 21 days after the failure
  ASSERT_TRUE(c.next_attempt_at.has_value());
  EXPECT_EQ(*c.next_attempt_at, failed_at + 3 * kDay);
  EXPECT_EQ(SubscriptionStatus(customer_a_), "past_due");
  EXPECT_EQ(SubscriptionStatus(customer_b_), "active");
  EXPECT_EQ(Events("dunning.started", customer_a_), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM events WHERE type = 'subscription.updated' AND customer_id = $1 AND "
                  "CAST(payload AS TEXT) LIKE '%past_due%'",
                  {customer_a_}),
            1);

  // Nothing is due before the first retry; a second failure starts nothing.
  fake_.Control("/_fake/payment_failed", {{"invoice", theirs}});
  Sync();
  EXPECT_EQ(Count("SELECT COUNT(*) FROM dunning_campaigns"), 1);
  Advance(3 * kDay - hours(1));
  dunning::DunningRun early = Run();
  EXPECT_EQ(early.declined + early.recovered, 0);
  EXPECT_TRUE(PayKeys(theirs).empty());

  // The first retry is declined: the next one is scheduled from the failure.
  fake_.Control("/_fake/pay_declines", {{"invoice", theirs}, {"times", 1}});
  Advance(hours(2));
  EXPECT_EQ(Run().declined, 1);
  c = CampaignOf(ours);
  EXPECT_EQ(c.state, "active");
  EXPECT_EQ(c.attempts, 1);
  EXPECT_EQ(*c.next_attempt_at, failed_at + 7 * kDay);
  ASSERT_EQ(c.log.size(), 1u);
  EXPECT_EQ(c.log[0].outcome, "failed");
  EXPECT_EQ(c.log[0].code, "card_declined");
  EXPECT_NE(c.last_failure.find("card_declined"), std::string::npos) << c.last_failure;
  EXPECT_EQ(PayKeys(theirs), std::vector<std::string>{"dunning-" + c.id + "-1"});
  EXPECT_EQ(Events("dunning.retry_failed", customer_a_), 1);
  Sync();  // Stripe's invoice.payment_failed for the decline starts nothing new
  EXPECT_EQ(Count("SELECT COUNT(*) FROM dunning_campaigns"), 1);
  EXPECT_EQ(CampaignOf(ours).attempts, 1);

  // A restart: another worker picks the schedule up from the database.
  observability::Registry metrics;
  dunning::DunningWorker restarted(db(), clock(), *billingd_->app().stripe, *billingd_->app().subscriptions, metrics,
                                   {});
  Advance(4 * kDay);
  auto run = restarted.RunOnce();
  ASSERT_TRUE(run.ok()) << run.error().message;
  EXPECT_EQ(run->recovered, 1);
  c = CampaignOf(ours);
  EXPECT_EQ(c.state, "recovered");
  EXPECT_FALSE(c.next_attempt_at.has_value());
  ASSERT_EQ(c.log.size(), 2u);
  EXPECT_EQ(c.log[1].outcome, "succeeded");
  EXPECT_EQ(Scalar("SELECT status FROM invoices WHERE id = $1", {ours}), "paid");
  EXPECT_EQ(Scalar("SELECT amount_due_minor FROM invoices WHERE id = $1", {ours}), "0");
  EXPECT_EQ(SubscriptionStatus(customer_a_), "active");
  EXPECT_EQ(Events("dunning.recovered", customer_a_), 1);
  EXPECT_EQ(Events("invoice.paid", customer_a_), 1);
  EXPECT_EQ((PayKeys(theirs)), (std::vector<std::string>{"dunning-" + c.id + "-1", "dunning-" + c.id + "-2"}));

  // Stripe's own events about the payment change nothing more.
  Sync();
  EXPECT_EQ(CampaignOf(ours).state, "recovered");
  EXPECT_EQ(Events("dunning.recovered", customer_a_), 1);
  EXPECT_EQ(Run().recovered, 0);
}

TEST_P(DunningTest, WhenEveryRetryIsDeclinedTheFinalActionApplies) {
  // The default final action: the invoice is marked uncollectible, in Stripe too.
  auto [ours, theirs] = Invoices(customer_a_).at(0);
  fake_.Control("/_fake/pay_declines", {{"invoice", theirs}, {"times", 10}});
  fake_.Control("/_fake/payment_failed", {{"invoice", theirs}});
  Sync();
  for (int day : {3, 4, 7}) {  // 3d, 7d, 14d, 21d after the failure
    Advance(day * kDay);
    EXPECT_EQ(Run().declined, 1) << day;
    EXPECT_EQ(CampaignOf(ours).state, "active");
  }
  Advance(7 * kDay);
  EXPECT_EQ(Run().exhausted, 1);
  dunning::Campaign c = CampaignOf(ours);
  EXPECT_EQ(c.state, "exhausted");
  EXPECT_EQ(c.attempts, 4);
  EXPECT_EQ(c.log.size(), 4u);
  EXPECT_EQ(PayKeys(theirs).size(), 4u);
  EXPECT_EQ(Scalar("SELECT status FROM invoices WHERE id = $1", {ours}), "uncollectible");
  std::string stripe_status;
  json::object state = fake_.State();
  for (const auto& inv : state.at("invoices").as_array()) {
    if (inv.at("id").as_string() == theirs) stripe_status = inv.at("status").as_string().c_str();
  }
  EXPECT_EQ(stripe_status, "uncollectible");
  EXPECT_EQ(SubscriptionStatus(customer_a_), "past_due");
  EXPECT_EQ(Events("dunning.retry_failed", customer_a_), 3);
  EXPECT_EQ(Events("dunning.exhausted", customer_a_), 1);
  Advance(30 * kDay);
  EXPECT_EQ(Run().declined, 0);  // nothing more is tried
  EXPECT_EQ(PayKeys(theirs).size(), 4u);

  // Paid later all the same (the customer's own card, on Stripe's page): recovered.
  fake_.Control("/_fake/pay_declines", {{"invoice", theirs}, {"times", 0}});
  ASSERT_TRUE(billingd_->app().stripe->Post("invoices/" + theirs + "/pay", {}, "customer-pays").ok());
  Sync();
  EXPECT_EQ(Scalar("SELECT status FROM invoices WHERE id = $1", {ours}), "paid");
  EXPECT_EQ(CampaignOf(ours).state, "recovered");
  EXPECT_EQ(SubscriptionStatus(customer_a_), "active");

  // cancel_subscription: after its one retry, Beta's subscription is canceled now.
  auto [b_ours, b_theirs] = Invoices(customer_b_).at(0);
  fake_.Control("/_fake/pay_declines", {{"invoice", b_theirs}, {"times", 1}});
  StartWith(b_ours, {.retries = {hours(12)}, .final_action = dunning::FinalAction::kCancelSubscription});
  EXPECT_EQ(SubscriptionStatus(customer_b_), "past_due");
  Advance(hours(13));
  EXPECT_EQ(Run().exhausted, 1);
  EXPECT_EQ(CampaignOf(b_ours).state, "exhausted");
  EXPECT_EQ(SubscriptionStatus(customer_b_), "canceled");
  EXPECT_EQ(Scalar("SELECT status FROM invoices WHERE id = $1", {b_ours}), "open");
  EXPECT_EQ(Events("subscription.canceled", customer_b_), 1);

  // leave_past_due: nothing else changes.
  auto [a2_ours, a2_theirs] = Invoices(customer_a_).at(1);
  fake_.Control("/_fake/pay_declines", {{"invoice", a2_theirs}, {"times", 1}});
  StartWith(a2_ours, {.retries = {hours(1)}, .final_action = dunning::FinalAction::kLeavePastDue});
  Advance(hours(2));
  EXPECT_EQ(Run().exhausted, 1);
  EXPECT_EQ(CampaignOf(a2_ours).state, "exhausted");
  EXPECT_EQ(Scalar("SELECT status FROM invoices WHERE id = $1", {a2_ours}), "open");
  EXPECT_EQ(SubscriptionStatus(customer_a_), "past_due");
}

TEST_P(DunningTest, StripeFailuresPostponeTheSameAttemptAndAVoidClosesTheCampaign) {
  auto [ours, theirs] = Invoices(customer_a_).at(0);
  fake_.Control("/_fake/payment_failed", {{"invoice", theirs}});
  Sync();
  std::string id = CampaignOf(ours).id;
  // Stripe is down: no attempt counts; the same one (same key) an hour later.
  fake_.Fail("/v1/invoices/" + theirs + "/pay", 500, 1, "false");
  Advance(3 * kDay);
  EXPECT_EQ(Run().errors, 1);
  dunning::Campaign c = CampaignOf(ours);
  EXPECT_EQ(c.attempts, 0);
  EXPECT_EQ(*c.next_attempt_at, clock().Now() + hours(1));
  Advance(hours(1));
  EXPECT_EQ(Run().recovered, 1);
  std::vector<std::string> keys = PayKeys(theirs);
  ASSERT_FALSE(keys.empty());
  for (const auto& key : keys) EXPECT_EQ(key, "dunning-" + id + "-1");

  // A worker killed while holding a claim: its lease runs out, then another retries.
  auto [b_ours, b_theirs] = Invoices(customer_b_).at(0);
  StartWith(b_ours, {.retries = {hours(1), hours(2)}, .final_action = dunning::FinalAction::kLeavePastDue});
  std::string b_id = CampaignOf(b_ours).id;
  Advance(hours(1));
  ASSERT_TRUE(db().Execute("UPDATE dunning_campaigns SET locked_until = $2, lock_token = 'dead' WHERE id = $1",
                           {b_id, ToUnixMillis(clock().Now() + std::chrono::minutes(2))})
                  .ok());
  EXPECT_EQ(Run().recovered, 0);
  EXPECT_TRUE(PayKeys(b_theirs).empty());
  Advance(std::chrono::minutes(3));
  EXPECT_EQ(Run().recovered, 1);

  // Voided meanwhile: the campaign is closed without a retry, the subscription active.
  auto [a2_ours, a2_theirs] = Invoices(customer_a_).at(1);
  StartWith(a2_ours, {.retries = {hours(1)}, .final_action = dunning::FinalAction::kMarkUncollectible});
  EXPECT_EQ(SubscriptionStatus(customer_a_), "past_due");
  ASSERT_TRUE(billingd_->app().invoices->Void(a2_ours, "", "test").ok());
  Advance(hours(2));
  EXPECT_EQ(Run().settled, 1);
  EXPECT_EQ(CampaignOf(a2_ours).state, "closed");
  EXPECT_TRUE(PayKeys(a2_theirs).empty());
  EXPECT_EQ(SubscriptionStatus(customer_a_), "active");
}

TEST_P(DunningTest, TwoWorkersRetryACampaignOnce) {
  auto [ours, theirs] = Invoices(customer_a_).at(0);
  fake_.Control("/_fake/payment_failed", {{"invoice", theirs}});
  Sync();
  observability::Registry metrics;
  dunning::DunningWorker other(db(), clock(), *billingd_->app().stripe, *billingd_->app().subscriptions, metrics, {});
  Advance(3 * kDay);
  dunning::DunningRun a, b;
  std::thread t1([&] { a = *worker().RunOnce(); });
  std::thread t2([&] { b = *other.RunOnce(); });
  t1.join();
  t2.join();
  EXPECT_EQ(a.recovered + b.recovered, 1);
  EXPECT_EQ(PayKeys(theirs).size(), 1u);
  EXPECT_EQ(CampaignOf(ours).state, "recovered");
}

TEST_P(DunningTest, MembersSeeTheirOwnCampaignsOnTheirInvoices) {
  auto [ours, theirs] = Invoices(customer_a_).at(0);
  fake_.Control("/_fake/payment_failed", {{"invoice", theirs}});
  Sync();
  std::string id = CampaignOf(ours).id;
  SignedIn alice = SignIn("alice@acme.test");
  SignedIn bob = SignIn("bob@beta.test");
  SignedIn root = SignIn("root@meterline.test");

  HttpResult invoice = Client().Get("/api/v1/billing/invoices/" + ours, {alice.Cookie()});
  ASSERT_EQ(invoice.status, 200) << invoice.body;
  json::object dunning = json::parse(invoice.body).at("dunning").as_object();
  EXPECT_EQ(dunning.at("id").as_string(), id);
  EXPECT_EQ(dunning.at("state").as_string(), "active");
  EXPECT_EQ(dunning.at("attempts_total").as_int64(), 4);
  EXPECT_EQ(dunning.at("schedule").as_array().size(), 4u);
  EXPECT_EQ(dunning.at("final_action").as_string(), "mark_uncollectible");
  HttpResult other = Client().Get("/api/v1/billing/invoices/" + Invoices(customer_a_).at(1).first, {alice.Cookie()});
  EXPECT_TRUE(json::parse(other.body).at("dunning").is_null());

  HttpResult mine = Client().Get("/api/v1/billing/dunning-campaigns?state=active", {alice.Cookie()});
  ASSERT_EQ(mine.status, 200) << mine.body;
  EXPECT_EQ(json::parse(mine.body).at("data").as_array().size(), 1u);
  HttpResult theirs_list = Client().Get("/api/v1/billing/dunning-campaigns", {bob.Cookie()});
  EXPECT_EQ(json::parse(theirs_list.body).at("data").as_array().size(), 0u);
  EXPECT_EQ(Client().Get("/api/v1/billing/dunning-campaigns/" + id, {bob.Cookie()}).status, 404);
  EXPECT_EQ(Client().Get("/api/v1/billing/dunning-campaigns/" + id, {alice.Cookie()}).status, 200);
  HttpResult all = Client().Get("/api/v1/billing/dunning-campaigns?customer_id=" + customer_a_, {root.Bearer()});
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(json::parse(all.body).at("total").as_int64(), 1);
  HttpResult bad = Client().Get("/api/v1/billing/dunning-campaigns?state=nope", {root.Bearer()});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(ErrorCode(bad), "invalid_request");

  // The member's subscription tells the console to show its past-due banner.
  std::string sub_id = Scalar("SELECT id FROM subscriptions WHERE customer_id = $1", {customer_a_});
  HttpResult sub = Client().Get("/api/v1/billing/subscriptions/" + sub_id, {alice.Cookie()});
  ASSERT_EQ(sub.status, 200) << sub.body;
  EXPECT_NE(sub.body.find("\"past_due\""), std::string::npos) << sub.body;
}

INSTANTIATE_TEST_SUITE_P(Backends, DunningTest, ::testing::ValuesIn(TestBackends()),
                         [](const auto& info) { return BackendParamName(info.param); });

}  // namespace
}  // namespace meterline::testing
