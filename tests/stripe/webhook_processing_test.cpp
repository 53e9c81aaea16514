// Stripe webhook processing against the fake Stripe, which sends real signed
// deliveries to billingd, once per backend: events are recorded once and
// processed once; handlers re-fetch from Stripe; the eight event types (and
// invoice.paid) change our state; out-of-order and replayed deliveries never
// move state backwards; unknown types are ignored; failures retry and end
// dead, visible to admins, who can retry them.
#include <gtest/gtest.h>

#include "core/ids.hpp"
#include "core/period.hpp"
#include "fake_stripe.hpp"
#include "security/security_fixture.hpp"
#include "stripe/invoice_sync.hpp"
#include "stripe/webhook_processor.hpp"

namespace meterline::testing {
namespace {

namespace json = boost::json;

constexpr const char* kWebhookSecret = "whsec_test_processing_secret";

class WebhookProcessingTest : public SecurityTest {
 protected:
  void SetUp() override {
    StartBillingd({{"STRIPE_WEBHOOK_SECRET", kWebhookSecret},
                   {"STRIPE_SECRET_KEY", "sk_test_processing"},
                   {"STRIPE_API_BASE", fake_.base_url()}});
    SetUp2();
    // Subscribed on the 1st two months before the last closed period ends
    // (periods close an hour after their end): two closed periods each.
    TimePoint now = clock().Now();
    std::chrono::year_month_day closed{
        std::chrono::floor<std::chrono::days>(now - billingd_->app().invoices->options().grace)};
    auto start = std::chrono::year_month(closed.year(), closed.month()) - std::chrono::months(2);
    TimePoint anchor = std::chrono::sys_days(start / std::chrono::day(1));
    auto& subs = *billingd_->app().subscriptions;
    ASSERT_TRUE(subs.Create(customer_a_, "starter", anchor, subscriptions::Status::kActive, "test").ok());
    ASSERT_TRUE(subs.Create(customer_b_, "growth", anchor, subscriptions::Status::kActive, "test").ok());
    ASSERT_EQ(billingd_->app().invoices->RunDue()->created, 4);
    Connect(system_clock_);
    auto pushed = sync_->RunOutbox();
    ASSERT_TRUE(pushed.ok());
    ASSERT_EQ(pushed->done, 4);
    fake_.SetWebhookEndpoint(billingd_->base_url() + "/api/v1/webhooks/stripe", kWebhookSecret);
  }

  // Our processor on a client that does not sleep between retries.
  void Connect(const Clock& clock, int max_attempts = 4) {
    stripe::ClientOptions options;
    options.api_base = fake_.base_url();
    options.secret_key = "sk_test_processing";
    options.max_attempts = max_attempts;
    options.timeout_ms = 3000;
    options.sleep = [](std::chrono::milliseconds) {};
    client_ = std::make_unique<stripe::StripeClient>(options);
    sync_ = std::make_unique<stripe::InvoiceSync>(db(), *client_, clock);
    handlers_ = std::make_unique<stripe::WebhookHandlers>(db(), *client_, clock);
    processor_ = std::make_unique<stripe::WebhookProcessor>(db(), *handlers_, clock);
  }

  storage::Database& db() { return billingd_->database().db(); }

  int64_t Count(const std::string& sql, std::vector<storage::Value> params = {}) {
    auto r = db().Execute(sql, std::move(params));
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? r->rows.at(0).Int(0) : -1;
  }

  std::string Scalar(const std::string& sql, std::vector<storage::Value> params = {}) {
    auto r = db().Execute(sql, std::move(params));
    EXPECT_TRUE(r.ok() && !r->rows.empty());
    return r.ok() && !r->rows.empty() ? r->rows[0].OptText(0).value_or("NULL") : "";
  }

  stripe::ProcessRun Process() {
    auto run = processor_->RunPending();
    EXPECT_TRUE(run.ok()) << run.error().message;
    return run.ok() ? *run : stripe::ProcessRun{};
  }

  // Our first invoice of Acme and its Stripe id.
  std::pair<std::string, std::string> AcmeInvoice() {
    auto r =
        db().Execute("SELECT id, stripe_invoice_id FROM invoices WHERE customer_id = $1 ORDER BY period_start LIMIT 1",
                     {customer_a_});
    return {r->rows.at(0).Text(0), r->rows.at(0).Text(1)};
  }

  std::string Outcome(const std::string& event_id) {
    return Scalar("SELECT outcome FROM stripe_webhook_events WHERE stripe_event_id = $1", {event_id});
  }

  FakeStripe fake_;
  SystemClock system_clock_;
  std::unique_ptr<stripe::StripeClient> client_;
  std::unique_ptr<stripe::InvoiceSync> sync_;
  std::unique_ptr<stripe::WebhookHandlers> handlers_;
  std::unique_ptr<stripe::WebhookProcessor> processor_;
};

TEST_P(WebhookProcessingTest, DeliveriesAreRecordedOnceAndAPaymentIsAppliedOnce) {
  std::vector<std::string> all = fake_.EventIds();
  ASSERT_EQ(all.size(), 8u);  // invoice.created and invoice.finalized for each of the four
  for (int64_t status : fake_.Deliver(all)) EXPECT_EQ(status, 200);
  for (int64_t status : fake_.Deliver({all[0], all[1]})) EXPECT_EQ(status, 200);  // Stripe retries
  EXPECT_EQ(Count("SELECT COUNT(*) FROM stripe_webhook_events"), 8);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM stripe_webhook_events WHERE status = 'pending'"), 8);
  EXPECT_EQ(Process().processed, 8);
  EXPECT_EQ(Process().processed, 0);  // each once
  EXPECT_NE(Outcome(all[1]).find("ignored: invoice"), std::string::npos) << Outcome(all[1]);

  auto [ours, theirs] = AcmeInvoice();
  ASSERT_TRUE(client_->Post("invoices/" + theirs + "/pay", {}, "pay-" + ours).ok());
  std::vector<std::string> payment = fake_.EventIds();
  payment.erase(payment.begin(), payment.begin() + 8);
  ASSERT_EQ(payment.size(), 3u);  // charge.succeeded, invoice.payment_succeeded, invoice.paid
  fake_.Deliver(payment);
  EXPECT_EQ(Process().processed, 3);
  EXPECT_EQ(Scalar("SELECT status FROM invoices WHERE id = $1", {ours}), "paid");
  EXPECT_EQ(Scalar("SELECT amount_paid_minor FROM invoices WHERE id = $1", {ours}),
            Scalar("SELECT total_minor FROM invoices WHERE id = $1", {ours}));
  EXPECT_EQ(Scalar("SELECT amount_due_minor FROM invoices WHERE id = $1", {ours}), "0");
  EXPECT_NE(Scalar("SELECT paid_at FROM invoices WHERE id = $1", {ours}), "NULL");
  EXPECT_EQ(Outcome(payment[0]), "ignored: unhandled event type");  // charge.succeeded
  EXPECT_NE(Outcome(payment[1]).find("open -> paid"), std::string::npos) << Outcome(payment[1]);
  EXPECT_NE(Outcome(payment[2]).find("ignored"), std::string::npos);  // already paid
  EXPECT_EQ(Count("SELECT COUNT(*) FROM billing_audit WHERE action = 'invoice.updated_from_stripe'"), 1);

  // Admins see what happened to each event.
  SignedIn admin = SignIn("root@meterline.test");
  HttpResult listed = Client().Get("/api/v1/admin/webhooks/stripe?limit=3", {admin.Bearer()});
  ASSERT_EQ(listed.status, 200) << listed.body;
  auto events = json::parse(listed.body).at("data").as_array();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].at("status").as_string(), "processed");
  EXPECT_EQ(events[0].at("type").as_string(), "invoice.paid");
  EXPECT_TRUE(events[0].at("outcome").is_string());
}

TEST_P(WebhookProcessingTest, AnInvoiceMadeInStripeArrivesInAnyOrderAndEndsPaid) {
  // Made in Stripe's dashboard for Acme, which Stripe knows from the sync.
  std::string stripe_customer = Scalar("SELECT stripe_customer_id FROM customers WHERE id = $1", {customer_a_});
  auto created = client_->Post("invoices", {{"customer", stripe_customer}, {"currency", "usd"}}, "dash-1");
  ASSERT_TRUE(created.ok());
  std::string theirs(created->at("id").as_string());
  ASSERT_TRUE(client_
                  ->Post("invoiceitems",
                         {{"customer", stripe_customer},
                          {"invoice", theirs},
                          {"amount", "2500"},
                          {"currency", "usd"},
                          {"description", "Setup – ünïcode"}},
                         "dash-2")
                  .ok());
  ASSERT_TRUE(client_->Post("invoices/" + theirs + "/finalize", {}, "dash-3").ok());
  fake_.Advance(30);
  ASSERT_TRUE(client_->Post("invoices/" + theirs + "/pay", {{"paid_out_of_band", "true"}}, "dash-4").ok());
  std::vector<std::string> ids = fake_.EventIds();
  ids.erase(ids.begin(), ids.begin() + 8);
  ASSERT_EQ(ids.size(), 3u);  // created, finalized, paid

  // Newest first, each processed before the next arrives.
  for (auto it = ids.rbegin(); it != ids.rend(); ++it) {
    fake_.Deliver({*it});
    EXPECT_EQ(Process().processed, 1);
  }
  auto ours = db().Execute(
      "SELECT id, status, total_minor, amount_paid_minor, customer_id, number FROM invoices WHERE stripe_invoice_id = "
      "$1",
      {theirs});
  ASSERT_EQ(ours->rows.size(), 1u);
  const auto& row = ours->rows[0];
  EXPECT_EQ(row.Text(1), "paid");
  EXPECT_EQ(row.Int(2), 2500);
  EXPECT_EQ(row.Int(3), 2500);
  EXPECT_EQ(row.Text(4), customer_a_);
  EXPECT_EQ(row.Text(5).rfind("FAKE-", 0), 0u);
  EXPECT_NE(Outcome(ids[2]).find("applied: created"), std::string::npos) << Outcome(ids[2]);
  EXPECT_NE(Outcome(ids[0]).find("ignored"), std::string::npos) << Outcome(ids[0]);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM invoice_line_items WHERE invoice_id = $1", {row.Text(0)}), 1);
  EXPECT_EQ(Scalar("SELECT description FROM invoice_line_items WHERE invoice_id = $1", {row.Text(0)}),
            "Setup – ünïcode");
  // Members see it like any other invoice of theirs.
  HttpResult mine = Client().Get("/api/v1/billing/invoices/" + row.Text(0), {SignIn("alice@acme.test").Bearer()});
  EXPECT_EQ(mine.status, 200) << mine.body;
}

TEST_P(WebhookProcessingTest, MetadataLinksOnlyAnInvoiceOfTheSameCustomer) {
  // Acme's invoice as after a crash before its Stripe id was stored.
  auto [ours, theirs] = AcmeInvoice();
  ASSERT_TRUE(db().Execute("UPDATE invoices SET stripe_invoice_id = NULL WHERE id = $1", {ours}).ok());
  // Someone edits an invoice of Globex in Stripe's dashboard to name it.
  std::string globex = Scalar("SELECT stripe_customer_id FROM customers WHERE id = $1", {customer_b_});
  auto forged = client_->Post(
      "invoices", {{"customer", globex}, {"currency", "usd"}, {"metadata[meterline_invoice_id]", ours}}, "forged-1");
  ASSERT_TRUE(forged.ok());
  std::vector<std::string> ids = fake_.EventIds("invoice.created");
  fake_.Deliver({ids.back()});
  EXPECT_EQ(Process().processed, 1);
  EXPECT_NE(Outcome(ids.back()).find("not ours to link"), std::string::npos) << Outcome(ids.back());
  EXPECT_EQ(Scalar("SELECT stripe_invoice_id FROM invoices WHERE id = $1", {ours}), "NULL");

  // Acme's own Stripe invoice still links.
  std::string own;
  for (const auto& e : fake_.Events()) {
    if (e.at("type").as_string() == "invoice.created" && e.at("data").at("object").at("id").as_string() == theirs) {
      own = std::string(e.at("id").as_string());
    }
  }
  ASSERT_FALSE(own.empty());
  fake_.Deliver({own});
  Process();
  EXPECT_EQ(Scalar("SELECT stripe_invoice_id FROM invoices WHERE id = $1", {ours}), theirs);
}

TEST_P(WebhookProcessingTest, MetadataLinksOnlyASubscriptionOfTheLinkedCustomer) {
  std::string ours = Scalar("SELECT id FROM subscriptions WHERE customer_id = $1", {customer_a_});
  // A Stripe customer nobody linked, and Globex's, each with a subscription
  // whose metadata names Acme's.
  auto stranger = client_->Post("customers", {{"name", "Stranger"}}, "stranger-1");
  ASSERT_TRUE(stranger.ok());
  std::string globex = Scalar("SELECT stripe_customer_id FROM customers WHERE id = $1", {customer_b_});
  for (const std::string& customer : {std::string(stranger->at("id").as_string()), globex}) {
    auto sub = client_->Post("subscriptions", {{"customer", customer}, {"metadata[meterline_subscription_id]", ours}},
                             "forged-" + customer);
    ASSERT_TRUE(sub.ok());
    fake_.Advance(10);
    fake_.Control("/_fake/subscription_status", {{"id", sub->at("id")}, {"status", "canceled"}});
    fake_.Deliver({fake_.EventIds("customer.subscription.updated").back()});
    EXPECT_EQ(Process().processed, 1);
  }
  auto updates = fake_.EventIds("customer.subscription.updated");
  ASSERT_EQ(updates.size(), 2u);
  EXPECT_NE(Outcome(updates[0]).find("not linked to Meterline"), std::string::npos) << Outcome(updates[0]);
  EXPECT_NE(Outcome(updates[1]).find("linked to another"), std::string::npos) << Outcome(updates[1]);
  EXPECT_EQ(Scalar("SELECT stripe_subscription_id FROM subscriptions WHERE id = $1", {ours}), "NULL");
  EXPECT_EQ(Scalar("SELECT status FROM subscriptions WHERE id = $1", {ours}), "active");
}

TEST_P(WebhookProcessingTest, SubscriptionEventsApplyNewestAndCanceledIsFinal) {
  std::string stripe_customer = Scalar("SELECT stripe_customer_id FROM customers WHERE id = $1", {customer_a_});
  std::string ours = Scalar("SELECT id FROM subscriptions WHERE customer_id = $1", {customer_a_});
  auto sub = client_->Post("subscriptions",
                           {{"customer", stripe_customer}, {"metadata[meterline_subscription_id]", ours}}, "sub-1");
  ASSERT_TRUE(sub.ok());
  std::string sub_id(sub->at("id").as_string());
  fake_.Advance(10);
  fake_.Control("/_fake/subscription_status", {{"id", sub_id}, {"status", "past_due"}});
  fake_.Advance(10);
  fake_.Control("/_fake/subscription_status", {{"id", sub_id}, {"status", "active"}});
  auto updates = fake_.EventIds("customer.subscription.updated");
  ASSERT_EQ(updates.size(), 2u);

  // The newer one first: Stripe says active now.
  fake_.Deliver({updates[1]});
  Process();
  EXPECT_EQ(Scalar("SELECT status FROM subscriptions WHERE id = $1", {ours}), "active");
  EXPECT_EQ(Scalar("SELECT stripe_subscription_id FROM subscriptions WHERE id = $1", {ours}), sub_id);
  // The older one, late: it must not bring back past_due.
  fake_.Deliver({updates[0]});
  Process();
  EXPECT_EQ(Scalar("SELECT status FROM subscriptions WHERE id = $1", {ours}), "active");
  EXPECT_NE(Outcome(updates[0]).find("newer event"), std::string::npos) << Outcome(updates[0]);

  fake_.Control("/_fake/trial_will_end", {{"id", sub_id}});
  fake_.Deliver(fake_.EventIds("customer.subscription.trial_will_end"));
  Process();
  EXPECT_EQ(Count("SELECT COUNT(*) FROM events WHERE type = 'subscription.trial_will_end' AND customer_id = $1",
                  {customer_a_}),
            1);

  fake_.Advance(10);
  HttpClient stripe_http(fake_.base_url());
  ASSERT_EQ(stripe_http.Send("DELETE", "/v1/subscriptions/" + sub_id, "", {"Authorization: Bearer sk_test_x"}).status,
            200);
  fake_.Deliver(fake_.EventIds("customer.subscription.deleted"));
  Process();
  EXPECT_EQ(Scalar("SELECT status FROM subscriptions WHERE id = $1", {ours}), "canceled");
  EXPECT_NE(Scalar("SELECT canceled_at FROM subscriptions WHERE id = $1", {ours}), "NULL");
  // Nothing revives a canceled subscription.
  fake_.Advance(10);
  fake_.Control("/_fake/subscription_status", {{"id", sub_id}, {"status", "active"}});
  fake_.Deliver({fake_.EventIds("customer.subscription.updated").back()});
  Process();
  EXPECT_EQ(Scalar("SELECT status FROM subscriptions WHERE id = $1", {ours}), "canceled");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM billing_audit WHERE action = 'subscription.updated_from_stripe'"), 1);
}

// The default payment method set in Stripe (as the Customer Portal does)
// is kept on our customer, and cleared when Stripe clears it; a trial's end
// reads it (tests/invoicing/trials_test.cpp).
TEST_P(WebhookProcessingTest, TheDefaultPaymentMethodFollowsStripesCustomer) {
  std::string stripe_customer = Scalar("SELECT stripe_customer_id FROM customers WHERE id = $1", {customer_a_});
  ASSERT_FALSE(stripe_customer.empty());
  EXPECT_EQ(Scalar("SELECT default_payment_method FROM customers WHERE id = $1", {customer_a_}), "NULL");
  ASSERT_TRUE(client_
                  ->Post("customers/" + stripe_customer, {{"invoice_settings[default_payment_method]", "pm_card_visa"}},
                         "cu-pm-1")
                  .ok());
  auto updated = fake_.EventIds("customer.updated");
  ASSERT_EQ(updated.size(), 1u);
  fake_.Deliver(updated);
  Process();
  EXPECT_EQ(Scalar("SELECT default_payment_method FROM customers WHERE id = $1", {customer_a_}), "pm_card_visa");
  EXPECT_EQ(Scalar("SELECT default_payment_method FROM customers WHERE id = $1", {customer_b_}), "NULL");
  // Replayed: nothing changes twice.
  fake_.Deliver(updated);
  Process();
  EXPECT_EQ(Count("SELECT COUNT(*) FROM billing_audit WHERE action = 'customer.payment_method_from_stripe'"), 1);

  fake_.Advance(10);
  ASSERT_TRUE(
      client_->Post("customers/" + stripe_customer, {{"invoice_settings[default_payment_method]", ""}}, "cu-pm-2")
          .ok());
  fake_.Deliver({fake_.EventIds("customer.updated").back()});
  Process();
  EXPECT_EQ(Scalar("SELECT default_payment_method FROM customers WHERE id = $1", {customer_a_}), "NULL");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM billing_audit WHERE action = 'customer.payment_method_from_stripe'"), 2);
}

// Payment methods are managed in Stripe's Customer Portal: a member opens a
// session for their own customer; an admin names one; the invoice keeps
// Stripe's hosted payment page ("Pay now").
TEST_P(WebhookProcessingTest, APortalSessionOpensForTheCallersCustomerAndInvoicesKeepTheirPaymentPage) {
  SignedIn alice = SignIn("alice@acme.test");
  SignedIn root = SignIn("root@meterline.test");
  auto post = [&](const SignedIn& who, const std::string& body) {
    return Client().Post("/api/v1/billing/portal-session", body,
                         {who.Cookie(), "X-CSRF-Token: " + who.csrf, "Content-Type: application/json"});
  };
  HttpResult session = post(alice, R"({"return_url":"https://console.example.com/billing/plan"})");
  ASSERT_EQ(session.status, 200) << session.body;
  auto url = std::string(json::parse(session.body).at("url").as_string());
  EXPECT_EQ(url.rfind("https://billing.stripe.com/p/session/", 0), 0u) << url;
  std::string stripe_customer = Scalar("SELECT stripe_customer_id FROM customers WHERE id = $1", {customer_a_});
  bool asked = false;
  for (const auto& v : fake_.Requests()) {
    const auto& r = v.as_object();
    if (r.at("path").as_string() != "/v1/billing_portal/sessions") continue;
    const auto& params = r.at("params").as_object();
    asked = asked || (params.at("customer").as_string() == stripe_customer &&
                      params.at("return_url").as_string() == "https://console.example.com/billing/plan");
  }
  EXPECT_TRUE(asked);
  // Another customer's: as if it did not exist. A bad return_url, or an admin naming no one: 400.
  EXPECT_EQ(post(alice, R"({"return_url":"https://x.test/","customer_id":")" + customer_b_ + R"("})").status, 404);
  EXPECT_EQ(post(alice, R"({"return_url":"ftp://x.test/"})").status, 400);
  EXPECT_EQ(post(root, R"({"return_url":"https://x.test/"})").status, 400);
  EXPECT_EQ(post(root, R"({"return_url":"https://x.test/","customer_id":")" + customer_b_ + R"("})").status, 200);

  // The invoices pushed in SetUp have their hosted page.
  auto [ours, theirs] = AcmeInvoice();
  EXPECT_EQ(Scalar("SELECT hosted_invoice_url FROM invoices WHERE id = $1", {ours}),
            "https://invoice.stripe.com/i/acct_fake/test_" + theirs);
  HttpResult invoice = Client().Get("/api/v1/billing/invoices/" + ours, {alice.Cookie()});
  ASSERT_EQ(invoice.status, 200) << invoice.body;
  EXPECT_EQ(json::parse(invoice.body).at("hosted_invoice_url").as_string(),
            "https://invoice.stripe.com/i/acct_fake/test_" + theirs);
}

TEST_P(WebhookProcessingTest, FailedPaymentsAreCountedAndRefundsRecordedOnce) {
  auto [ours, theirs] = AcmeInvoice();
  fake_.Control("/_fake/payment_failed", {{"invoice", theirs}});
  fake_.Control("/_fake/payment_failed", {{"invoice", theirs}});
  auto failures = fake_.EventIds("invoice.payment_failed");
  ASSERT_EQ(failures.size(), 2u);
  fake_.Deliver({failures[0], failures[1], failures[0]});
  Process();
  EXPECT_EQ(Scalar("SELECT failed_payment_count FROM invoices WHERE id = $1", {ours}), "2");
  EXPECT_EQ(
      Count("SELECT COUNT(*) FROM events WHERE type = 'invoice.payment_failed' AND customer_id = $1", {customer_a_}),
      2);

  ASSERT_TRUE(client_->Post("invoices/" + theirs + "/pay", {}, "pay-r").ok());
  std::string charge;
  for (const auto& e : fake_.Events()) {
    if (e.at("type").as_string() == "charge.succeeded") charge = e.at("data").at("object").at("id").as_string();
  }
  ASSERT_TRUE(client_->Post("refunds", {{"charge", charge}, {"amount", "1000"}}, "refund-1").ok());
  ASSERT_TRUE(client_->Post("refunds", {{"charge", charge}}, "refund-2").ok());  // the rest
  auto refunds = fake_.EventIds("charge.refunded");
  ASSERT_EQ(refunds.size(), 2u);
  fake_.Deliver(fake_.EventIds());
  Process();
  // The later refund event was processed too, but the total only grows.
  EXPECT_EQ(Scalar("SELECT amount_refunded_minor FROM invoices WHERE id = $1", {ours}),
            Scalar("SELECT total_minor FROM invoices WHERE id = $1", {ours}));
  EXPECT_EQ(
      Count("SELECT COUNT(*) FROM billing_audit WHERE action = 'charge.refunded' AND customer_id = $1", {customer_a_}),
      2);
  EXPECT_NE(Outcome(refunds[0]).find("on " + ours), std::string::npos) << Outcome(refunds[0]);
}

TEST_P(WebhookProcessingTest, FailuresRetryThenDieAndAnAdminCanRetry) {
  FakeClock clock(SystemClock().Now() + std::chrono::seconds(1));
  Connect(clock, 1);
  fake_.Fail("/v1/invoices/", 500, 1000, "", 0);
  fake_.Deliver({fake_.EventIds()[0]});
  EXPECT_EQ(Process().failed, 1);
  EXPECT_EQ(Scalar("SELECT status FROM stripe_webhook_events"), "failed");
  EXPECT_NE(Scalar("SELECT last_error FROM stripe_webhook_events").find("Injected failure"), std::string::npos);
  EXPECT_EQ(Process().failed, 0);  // not due before its back-off
  for (int attempt = 2; attempt <= 10; ++attempt) {
    clock.Advance(std::chrono::hours(1));
    EXPECT_EQ(Process().failed, 1);
  }
  EXPECT_EQ(Scalar("SELECT status FROM stripe_webhook_events"), "dead");
  clock.Advance(std::chrono::hours(24));
  EXPECT_EQ(Process().failed, 0);

  SignedIn admin = SignIn("root@meterline.test");
  HttpResult dead = Client().Get("/api/v1/admin/webhooks/stripe?status=dead", {admin.Bearer()});
  ASSERT_EQ(dead.status, 200);
  auto events = json::parse(dead.body).at("data").as_array();
  ASSERT_EQ(events.size(), 1u);
  std::string id = std::to_string(events[0].at("id").as_int64());
  EXPECT_EQ(events[0].at("attempts").as_int64(), 10);

  HttpResult member =
      Client().Post("/api/v1/admin/webhooks/stripe/" + id + "/retry", "", {SignIn("alice@acme.test").Bearer()});
  EXPECT_EQ(member.status, 403);
  EXPECT_EQ(Client().Post("/api/v1/admin/webhooks/stripe/999999/retry", "", {admin.Bearer()}).status, 404);
  fake_.Heal();
  HttpResult retried = Client().Post("/api/v1/admin/webhooks/stripe/" + id + "/retry", "", {admin.Bearer()});
  EXPECT_EQ(retried.status, 202) << retried.body;
  EXPECT_EQ(Process().processed, 1);
  EXPECT_EQ(Scalar("SELECT status FROM stripe_webhook_events"), "processed");
  EXPECT_EQ(Client().Post("/api/v1/admin/webhooks/stripe/" + id + "/retry", "", {admin.Bearer()}).status, 409);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM billing_audit WHERE action = 'stripe_event.retry'"), 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, WebhookProcessingTest, ::testing::ValuesIn(TestBackends()),
                         [](const auto& info) { return BackendParamName(info.param); });

}  // namespace
}  // namespace meterline::testing
