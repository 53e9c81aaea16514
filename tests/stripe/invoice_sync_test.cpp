// Invoice sync through the outbox, against the fake Stripe, once per backend,
// on a FakeClock (at MTL_TEST_NOW when set; the fake Stripe's clock follows it):
// every finalized invoice reaches Stripe once with its lines and totals; a
// crash at any step (Stripe did the work, we never heard) ends after a retry
// with exactly one Stripe invoice; failures back off and end dead; pulling
// applies Stripe's payment but never moves an invoice backwards.
#include <gtest/gtest.h>

#include <map>

#include "core/ids.hpp"
#include "core/period.hpp"
#include "fake_stripe.hpp"
#include "invoicing/invoice.hpp"
#include "security/security_fixture.hpp"
#include "stripe/invoice_sync.hpp"
#include "support/child_process.hpp"
#include "support/temp_dir.hpp"

namespace meterline::testing {
namespace {

namespace json = boost::json;

class InvoiceSyncTest : public SecurityTest {
 protected:
  InvoiceSyncTest() { fake_now_ = TestNow(); }

  void SetUp() override {
    SecurityTest::SetUp();
    TimePoint now = clock().Now();
    fake_.SetNow(now);
    // Subscribed on the 1st three months before the last closed period ends
    // (periods close an hour after their end): three closed periods each.
    std::chrono::year_month_day closed{
        std::chrono::floor<std::chrono::days>(now - billingd_->app().invoices->options().grace)};
    auto start = std::chrono::year_month(closed.year(), closed.month()) - std::chrono::months(3);
    TimePoint anchor = std::chrono::sys_days(start / std::chrono::day(1));
    auto& subs = *billingd_->app().subscriptions;
    ASSERT_TRUE(subs.Create(customer_a_, "starter", anchor, subscriptions::Status::kActive, "test").ok());
    ASSERT_TRUE(subs.Create(customer_b_, "growth", anchor, subscriptions::Status::kActive, "test").ok());
    Period first = MonthlyPeriodContaining(anchor, anchor);
    metering::UsageEvent e{"ev-1", customer_a_, "impressions", 1'250'001, first.start + std::chrono::hours(5), ""};
    ASSERT_TRUE(billingd_->app().usage_store->Write({e}, now, nullptr).ok());
    auto run = billingd_->app().invoices->RunDue();
    ASSERT_TRUE(run.ok()) << run.error().message;
    ASSERT_EQ(run->created, 6);
    clock_.Set(clock().Now());
  }

  // A client that does not sleep between retries, and a sync on our database.
  stripe::InvoiceSync& Sync(int max_attempts = 4) {
    stripe::ClientOptions options;
    options.api_base = fake_.base_url();
    options.secret_key = "sk_test_sync";
    options.max_attempts = max_attempts;
    options.timeout_ms = 3000;
    options.sleep = [](std::chrono::milliseconds) {};
    client_ = std::make_unique<stripe::StripeClient>(options);
    sync_ = std::make_unique<stripe::InvoiceSync>(db(), *client_, clock_);
    return *sync_;
  }

  storage::Database& db() { return billingd_->database().db(); }

  std::vector<std::string> InvoiceIds() {
    std::vector<std::string> ids;
    auto rows = db().Execute("SELECT id FROM invoices ORDER BY customer_id, period_start");
    for (const auto& row : rows->rows) {
      ids.push_back(row.Text(0));
    }
    return ids;
  }

  // Stripe invoices per our invoice id (from their metadata).
  std::map<std::string, std::vector<json::object>> StripeInvoicesByOurs() {
    std::map<std::string, std::vector<json::object>> by;
    json::object state = fake_.State();
    for (const auto& v : state.at("invoices").as_array()) {
      const auto& inv = v.as_object();
      by[std::string(inv.at("metadata").at("meterline_invoice_id").as_string())].push_back(inv);
    }
    return by;
  }

  int64_t PostCount() {
    int64_t n = 0;
    json::array requests = fake_.Requests();
    for (const auto& r : requests) n += r.at("method").as_string() == "POST";
    return n;
  }

  FakeStripe fake_;
  FakeClock clock_{TimePoint{}};  // the sync's, from billingd's now on
  std::unique_ptr<stripe::StripeClient> client_;
  std::unique_ptr<stripe::InvoiceSync> sync_;
};

TEST_P(InvoiceSyncTest, FinalizingQueuesAndTheWorkerSendsEachInvoiceOnceWithItsLines) {
  EXPECT_EQ(db().Execute("SELECT COUNT(*) FROM stripe_outbox WHERE status = 'pending'")->rows[0].Int(0), 6);
  auto run = Sync().RunOutbox();
  ASSERT_TRUE(run.ok()) << run.error().message;
  EXPECT_EQ(run->done, 6);
  EXPECT_EQ(run->failed, 0);

  auto stripe_invoices = StripeInvoicesByOurs();
  ASSERT_EQ(stripe_invoices.size(), 6u);
  EXPECT_EQ(fake_.State().at("customers").as_array().size(), 2u);
  for (const std::string& id : InvoiceIds()) {
    ASSERT_EQ(stripe_invoices[id].size(), 1u) << id;
    const json::object& theirs = stripe_invoices[id][0];
    auto ours = db().Execute(
        "SELECT i.total_minor, i.stripe_invoice_id, i.currency, c.stripe_customer_id, "
        "(SELECT COUNT(*) FROM invoice_line_items l WHERE l.invoice_id = i.id) "
        "FROM invoices i JOIN customers c ON c.id = i.customer_id WHERE i.id = $1",
        {id});
    const storage::Row& row = ours->rows.at(0);
    EXPECT_EQ(theirs.at("status").as_string(), "open");
    EXPECT_EQ(theirs.at("auto_advance").as_bool(), false);
    EXPECT_EQ(theirs.at("total").as_int64(), row.Int(0)) << id;
    EXPECT_EQ(theirs.at("lines").at("data").as_array().size(), static_cast<size_t>(row.Int(4)));
    EXPECT_EQ(theirs.at("id").as_string(), row.Text(1));
    EXPECT_EQ(theirs.at("customer").as_string(), row.Text(3));
    std::string currency = row.Text(2);
    for (char& c : currency) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_EQ(theirs.at("currency").as_string(), currency);
  }
  EXPECT_EQ(db().Execute("SELECT COUNT(*) FROM stripe_outbox WHERE status = 'done'")->rows[0].Int(0), 6);

  // Nothing is due any more, and pushing an invoice again sends nothing new.
  int64_t posts = PostCount();
  auto again = sync_->RunOutbox();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->done + again->failed, 0);
  auto pushed = sync_->PushInvoice(InvoiceIds()[0]);
  ASSERT_TRUE(pushed.ok()) << pushed.error().message;
  EXPECT_EQ(PostCount(), posts);
  EXPECT_EQ(StripeInvoicesByOurs().size(), 6u);
}

TEST_P(InvoiceSyncTest, ACrashAfterAnyStepEndsWithExactlyOneStripeInvoice) {
  std::vector<std::string> ids = InvoiceIds();  // three of one customer's, then three of the other's (by id)
  // Stripe does the work, then the answer is lost on every attempt (libcurl
  // may resend once on a reused connection, hence more failures than attempts).
  struct Step {
    const char* path;
    const char* name;
  };
  const Step steps[] = {{"/v1/customers", "customer"},
                        {"/v1/invoices", "invoice"},
                        {"/v1/invoiceitems", "invoice item"},
                        {"/v1/invoices/in_", "finalize"}};
  for (size_t i = 0; i < 4; ++i) {
    SCOPED_TRACE(steps[i].name);
    const std::string& id = ids[i];  // [0] makes its customer, [3] the other one
    fake_.FailAfterDoing(steps[i].path, 10, "POST");
    auto crashed = Sync().PushInvoice(id);
    ASSERT_FALSE(crashed.ok());
    fake_.Heal();
    // Once with the idempotency keys still known to Stripe, and once after
    // they expired (24 h): the metadata finds what was made.
    if (i % 2 == 1) fake_.ForgetIdempotencyKeys();
    auto resumed = Sync().PushInvoice(id);
    ASSERT_TRUE(resumed.ok()) << resumed.error().message;
    auto by = StripeInvoicesByOurs();
    ASSERT_EQ(by[id].size(), 1u);
    EXPECT_EQ(by[id][0].at("status").as_string(), "open");
    auto total = db().Execute("SELECT total_minor FROM invoices WHERE id = $1", {id})->rows[0].Int(0);
    EXPECT_EQ(by[id][0].at("total").as_int64(), total);
  }
  EXPECT_EQ(fake_.State().at("customers").as_array().size(), 2u);

  // A worker that died holding a row: its claim runs out and another takes it.
  ASSERT_TRUE(db().Execute("UPDATE stripe_outbox SET status = 'processing', locked_until = $1",
                           {ToUnixMillis(clock_.Now()) - 1})
                  .ok());
  auto run = Sync().RunOutbox();
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->done, 6);
  auto by = StripeInvoicesByOurs();
  ASSERT_EQ(by.size(), 6u);
  for (const auto& [ours, theirs] : by) EXPECT_EQ(theirs.size(), 1u) << ours;
}

// A push that created the Stripe customer and crashed before storing its id:
// the customer is found by its metadata even after Stripe forgot the
// idempotency key. Where Stripe offers no search (400), it is created.
TEST_P(InvoiceSyncTest, ACustomerMadeBeforeACrashIsFoundAfterItsKeyExpired) {
  std::vector<std::string> ids = InvoiceIds();  // three of one customer's, then three of the other's
  auto customer_of = [&](const std::string& invoice) {
    return db().Execute("SELECT customer_id FROM invoices WHERE id = $1", {invoice})->rows.at(0).Text(0);
  };
  const std::string first = customer_of(ids[0]), second = customer_of(ids[3]);
  ASSERT_NE(first, second);
  auto searches = [&] {
    int64_t n = 0;
    json::array requests = fake_.Requests();
    for (const auto& r : requests) n += r.at("path").as_string() == "/v1/customers/search";
    return n;
  };
  fake_.FailAfterDoing("/v1/customers", 10, "POST");
  ASSERT_FALSE(Sync().PushInvoice(ids[0]).ok());
  fake_.Heal();
  fake_.ForgetIdempotencyKeys();
  auto resumed = Sync().PushInvoice(ids[0]);
  ASSERT_TRUE(resumed.ok()) << resumed.error().message;
  EXPECT_EQ(fake_.State().at("customers").as_array().size(), 1u);
  auto stored = db().Execute("SELECT stripe_customer_id FROM customers WHERE id = $1", {first});
  EXPECT_EQ(stored->rows.at(0).Text(0), fake_.State().at("customers").as_array()[0].at("id").as_string());

  // Stored now: that customer's next invoice neither searches nor creates.
  int64_t before = searches();
  ASSERT_TRUE(Sync().PushInvoice(ids[1]).ok());
  EXPECT_EQ(searches(), before);
  EXPECT_EQ(fake_.State().at("customers").as_array().size(), 1u);

  // No search in this account: the other customer is created all the same.
  fake_.Fail("/v1/customers/search", 400, 10);
  auto beta = Sync().PushInvoice(ids[3]);
  ASSERT_TRUE(beta.ok()) << beta.error().message;
  EXPECT_EQ(fake_.State().at("customers").as_array().size(), 2u);
  // Stripe unreachable for the search: nothing is created; it is retried later.
  fake_.Heal();
  ASSERT_TRUE(db().Execute("UPDATE customers SET stripe_customer_id = NULL WHERE id = $1", {second}).ok());
  ASSERT_TRUE(db().Execute("UPDATE invoices SET stripe_invoice_id = NULL WHERE id = $1", {ids[4]}).ok());
  fake_.Fail("/v1/customers/search", 503, 10);
  EXPECT_FALSE(Sync().PushInvoice(ids[4]).ok());
  EXPECT_EQ(fake_.State().at("customers").as_array().size(), 2u);
}

// Stripe embeds only the first 10 lines in an invoice object. An invoice of
// ours with more is complete after a resumed push, even once Stripe has
// forgotten the idempotency keys: the lines already there are read page by page.
TEST_P(InvoiceSyncTest, AnInvoiceWithMoreLinesThanStripeEmbedsGetsEachLineOnce) {
  std::vector<invoicing::LineItem> lines;
  for (int i = 1; i <= 12; ++i) {
    lines.push_back({"adjustment", "", "Service " + std::to_string(i), 1, std::to_string(i) + ".00", i * 100});
  }
  Period period = MonthlyPeriodContaining(clock_.Now(), clock_.Now());
  auto draft = billingd_->app().invoices->CreateDraft(customer_a_, "USD", period, lines);
  ASSERT_TRUE(draft.ok()) << draft.error().message;
  ASSERT_TRUE(billingd_->app().invoices->Finalize(draft->id).ok());
  auto ours = db().Execute("SELECT total_minor, tax_minor FROM invoices WHERE id = $1", {draft->id})->rows.at(0);
  const int64_t expected_lines = 12 + (ours.Int(1) != 0 ? 1 : 0);

  // Every line is attached, then finalizing fails; Stripe forgets the keys.
  HttpClient(fake_.base_url())
      .Post("/_fake/fail", R"({"path":"/v1/invoices/in_","status":500,"times":100,"method":"POST"})");
  ASSERT_FALSE(Sync().PushInvoice(draft->id).ok());
  fake_.Heal();
  fake_.ForgetIdempotencyKeys();
  auto resumed = Sync().PushInvoice(draft->id);
  ASSERT_TRUE(resumed.ok()) << resumed.error().message;

  auto by = StripeInvoicesByOurs();
  ASSERT_EQ(by[draft->id].size(), 1u);
  const json::object& theirs = by[draft->id][0];
  EXPECT_EQ(theirs.at("status").as_string(), "open");
  EXPECT_EQ(theirs.at("lines").at("total_count").as_int64(), expected_lines);
  EXPECT_EQ(theirs.at("lines").at("data").as_array().size(), 10u);  // as Stripe embeds them
  EXPECT_EQ(theirs.at("total").as_int64(), ours.Int(0));
}

TEST_P(InvoiceSyncTest, FailuresBackOffAndEndDeadWithTheirError) {
  fake_.Fail("/v1/customers", 500, 1000);
  auto run = Sync(1).RunOutbox();
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->failed, 6);
  auto row =
      db().Execute("SELECT status, attempts, last_error, next_attempt_at FROM stripe_outbox ORDER BY id")->rows.at(0);
  EXPECT_EQ(row.Text(0), "failed");
  EXPECT_EQ(row.Int(1), 1);
  EXPECT_NE(row.Text(2).find("Injected failure"), std::string::npos) << row.Text(2);
  EXPECT_EQ(row.Int(3), ToUnixMillis(clock_.Now()) + 30'000);
  // Not due again before the back-off ends.
  EXPECT_EQ(sync_->RunOutbox()->failed, 0);
  for (int attempt = 2; attempt <= 10; ++attempt) {
    clock_.Advance(std::chrono::hours(1));
    EXPECT_EQ(sync_->RunOutbox()->failed, 6);
  }
  EXPECT_EQ(db().Execute("SELECT COUNT(*) FROM stripe_outbox WHERE status = 'dead' AND attempts = 10")->rows[0].Int(0),
            6);
  clock_.Advance(std::chrono::hours(24));
  EXPECT_EQ(sync_->RunOutbox()->failed, 0);  // dead rows wait for an admin
}

TEST_P(InvoiceSyncTest, PullingAppliesStripesPaymentButNeverMovesBackwards) {
  ASSERT_TRUE(Sync().RunOutbox().ok());
  std::vector<std::string> ids = InvoiceIds();
  auto stripe_id = [&](const std::string& id) {
    return db().Execute("SELECT stripe_invoice_id FROM invoices WHERE id = $1", {id})->rows[0].Text(0);
  };
  // Still open at Stripe: nothing changes.
  auto unchanged = sync_->PullInvoice(ids[0]);
  ASSERT_TRUE(unchanged.ok()) << unchanged.error().message;
  EXPECT_EQ(*unchanged, "open");

  ASSERT_TRUE(client_->Post("invoices/" + stripe_id(ids[0]) + "/pay", {}, "pay-1").ok());
  auto paid = sync_->PullInvoice(ids[0]);
  ASSERT_TRUE(paid.ok()) << paid.error().message;
  EXPECT_EQ(*paid, "paid");
  auto row = db().Execute(
                     "SELECT status, amount_paid_minor, total_minor, amount_due_minor, paid_at FROM invoices "
                     "WHERE id = $1",
                     {ids[0]})
                 ->rows[0];
  EXPECT_EQ(row.Int(1), row.Int(2));
  EXPECT_EQ(row.Int(3), 0);
  EXPECT_FALSE(row.IsNull(4));
  EXPECT_EQ(
      db().Execute("SELECT COUNT(*) FROM billing_audit WHERE action = 'invoice.synced_from_stripe'")->rows[0].Int(0),
      1);

  // Ours was voided here while Stripe still says open: void stays.
  ASSERT_TRUE(
      billingd_->app().invoices->Transition(ids[1], invoicing::InvoiceStatus::kVoid, clock_.Now(), "test").ok());
  EXPECT_EQ(*sync_->PullInvoice(ids[1]), "void");
  // An invoice we do not have.
  EXPECT_EQ(sync_->PullInvoice("inv_missing").error().code, ErrorCode::kNotFound);
}

TEST_P(InvoiceSyncTest, TheCommandSyncsTheOutboxAndOneInvoice) {
  MTL_SKIP_WHEN_PINNED();  // the child billingd runs on the system clock
  TempDir data_dir("mtl-stripe");
  std::map<std::string, std::string> env = {{"DATABASE_URL", billingd_->database().url()},
                                            {"DATA_DIR", data_dir.path()},
                                            {"STRIPE_API_BASE", fake_.base_url()},
                                            {"STRIPE_SECRET_KEY", "sk_test_cli"}};
  RunResult all = RunBillingd({"stripe", "sync"}, env);
  EXPECT_EQ(all.exit_code, 0) << all.err;
  EXPECT_NE(all.out.find("synced 6, failed 0"), std::string::npos) << all.out;
  EXPECT_EQ(all.err.find("sk_test_cli"), std::string::npos);
  std::string id = InvoiceIds()[2];
  RunResult one = RunBillingd({"stripe", "sync", "--invoice", id, "--pull"}, env);
  EXPECT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(one.out, id + " open\n");
  RunResult missing = RunBillingd({"stripe", "sync", "--invoice", "inv_nope"}, env);
  EXPECT_EQ(missing.exit_code, 1);
  RunResult no_key =
      RunBillingd({"stripe", "sync"}, {{"DATABASE_URL", billingd_->database().url()}, {"DATA_DIR", env["DATA_DIR"]}});
  EXPECT_EQ(no_key.exit_code, 1);
  EXPECT_NE(no_key.err.find("STRIPE_SECRET_KEY is not set"), std::string::npos) << no_key.err;
  EXPECT_EQ(RunBillingd({"stripe", "push"}, env).exit_code, 2);
}

INSTANTIATE_TEST_SUITE_P(Backends, InvoiceSyncTest, ::testing::ValuesIn(TestBackends()),
                         [](const auto& info) { return BackendParamName(info.param); });

}  // namespace
}  // namespace meterline::testing
