// ReconciliationService against the fake Stripe, once per backend, on the
// billing services without billingd's HTTP server and on a FakeClock (at
// MTL_TEST_NOW when set; the fake Stripe's clock follows it): agreement, the
// tolerance boundary (just under and just over), a missing Stripe invoice and
// the alert (events row, webhook POST, CLI exit code), another currency, and
// idempotency keys expiring. What the API does is in reconciliation_test.cpp.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <deque>

#include "core/ids.hpp"
#include "core/period.hpp"
#include "credit_notes/credit_note_service.hpp"
#include "credits/credit_ledger.hpp"
#include "fake_stripe.hpp"
#include "idempotency/idempotency_store.hpp"
#include "invoicing/invoice_store.hpp"
#include "reconciliation/reconciliation_service.hpp"
#include "stripe/invoice_sync.hpp"
#include "support/billing_services.hpp"
#include "support/child_process.hpp"
#include "support/temp_dir.hpp"

namespace meterline::testing {
namespace {

namespace json = boost::json;

class ReconciliationServiceTest : public ::testing::TestWithParam<storage::Backend> {
 protected:
  void SetUp() override {
    services_ = std::make_unique<BillingServices>(BillingServices::Options{.backend = GetParam()});
    fake_.SetNow(clock().Now());
    customer_a_ = services_->AddCustomer("Acme Ads", "DE", "USD");
    customer_b_ = services_->AddCustomer("Beta Media", "US", "USD");
    // Subscribed on the 1st two months before the last closed period ends
    // (periods close an hour after their end): two closed periods each.
    std::chrono::year_month_day closed{
        std::chrono::floor<std::chrono::days>(clock().Now() - services_->invoices().options().grace)};
    auto start = std::chrono::year_month(closed.year(), closed.month()) - std::chrono::months(2);
    TimePoint anchor = std::chrono::sys_days(start / std::chrono::day(1));
    period_ = FormatIso8601(anchor).substr(0, 7);
    first_ = MonthlyPeriodContaining(anchor, anchor);
    auto& subs = services_->subscriptions();
    ASSERT_TRUE(subs.Create(customer_a_, "starter", anchor, subscriptions::Status::kActive, "test").ok());
    ASSERT_TRUE(subs.Create(customer_b_, "growth", anchor, subscriptions::Status::kActive, "test").ok());
    Use(customer_a_, 1'250'001);  // Acme: 4,900 base + 12,500 overage = 17,400
    ASSERT_EQ(services_->invoices().RunDue()->created, 4);
    // A reconciliation leaves out invoices made once it started; these were
    // made before (the clock stands still until told).
    clock().Advance(std::chrono::minutes(1));
    stripe::ClientOptions options;
    options.api_base = fake_.base_url();
    options.secret_key = "sk_test_rec";
    options.sleep = [](std::chrono::milliseconds) {};
    client_ = std::make_unique<stripe::StripeClient>(options);
  }

  void Use(const std::string& customer, int64_t impressions) {
    metering::UsageEvent e{
        "ev-" + RandomHex(6), customer, "impressions", impressions, first_.start + std::chrono::hours(5), ""};
    ASSERT_TRUE(services_->usage_store().Write({e}, clock().Now(), nullptr).ok());
  }

  void Push() {
    stripe::InvoiceSync sync(db(), *client_, clock());
    auto run = sync.RunOutbox();
    ASSERT_TRUE(run.ok());
    ASSERT_EQ(run->failed, 0);
  }

  // Beta's invoices never reach Stripe.
  void KeepBetaFromStripe() {
    ASSERT_TRUE(db().Execute("UPDATE stripe_outbox SET status = 'done' WHERE object_id IN "
                             "(SELECT id FROM invoices WHERE customer_id = $1)",
                             {customer_b_})
                    .ok());
  }

  // `threshold` as RECONCILE_ALERT_THRESHOLD takes it.
  reconciliation::ReconciliationService Service(const std::string& threshold = "1000", std::string webhook = "") {
    reconciliation::Options options;
    options.tolerance = money::Decimal(5, 3);
    options.alert_webhook_url = std::move(webhook);
    EXPECT_TRUE(reconciliation::ParseAlertThreshold(threshold, options).ok()) << threshold;
    // A registry per service: each registers its alert counter.
    return reconciliation::ReconciliationService(db(), services_->invoices(), *client_, registries_.emplace_back(),
                                                 clock(), std::move(options));
  }

  FakeClock& clock() { return services_->clock(); }
  storage::Database& db() { return services_->db(); }
  int64_t Count(const std::string& sql) { return db().Execute(sql)->rows.at(0).Int(0); }

  FakeStripe fake_;
  std::unique_ptr<BillingServices> services_;
  std::deque<observability::Registry> registries_;
  std::unique_ptr<stripe::StripeClient> client_;
  std::string customer_a_, customer_b_;
  std::string period_;
  Period first_;
};

TEST_P(ReconciliationServiceTest, AgreementWithinToleranceHasNoFindingsAndIsStored) {
  Push();
  auto service = Service();
  auto r = service.Run(period_, "test");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->subscriptions_checked, 2);
  EXPECT_EQ(r->invoices_compared, 2);
  EXPECT_EQ(r->findings_count, 0);
  EXPECT_EQ(r->expected_total_minor, 17'400 + 29'900);
  EXPECT_EQ(r->billed_total_minor, r->expected_total_minor);
  EXPECT_EQ(r->discrepancy_total_minor, 0);
  EXPECT_FALSE(r->alert_raised);
  auto listed = service.List(10);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].id, r->id);
  EXPECT_EQ(service.Get(r->id)->expected_total_minor, r->expected_total_minor);
  EXPECT_EQ(service.Get("rec_nope").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(service.Run("2025-13", "test").error().code, ErrorCode::kInvalidArgument);
}

// The issue this guards: changing prices re-priced months already invoiced,
// and reconciling one of them then reported findings for a month that matched.
// A new version moves subscriptions only from their next period on.
TEST_P(ReconciliationServiceTest, APriceChangeLeavesAnInvoicedMonthReconciledAndPricesTheNextPeriods) {
  Push();
  ASSERT_EQ(Service().Run(period_, "test")->findings_count, 0);
  // Starter doubles its base fee and charges 0.80 per 1,000 impressions.
  auto& plans = services_->plans();
  catalog::Plan pricier = *plans.Version("starter", 1).value();
  pricier.base_fee_minor = 9'800;
  pricier.overage["impressions"] = {money::Decimal(80, 2), 1000};
  auto added = plans.AddVersion("starter", pricier, clock().Now(), "test");
  ASSERT_TRUE(added.ok()) << added.error().message;
  ASSERT_EQ(added->versions.size(), 2u);
  EXPECT_EQ(added->CurrentAt(clock().Now()).plan.version, 2);
  auto moved = services_->subscriptions().MoveAtPeriodEnd({"starter", 2, 0}, "test");
  ASSERT_TRUE(moved.ok()) << moved.error().message;
  EXPECT_EQ(moved->moved, 1);  // Acme; Beta is on growth
  EXPECT_EQ(services_->subscriptions().MoveAtPeriodEnd({"starter", 2, 0}, "test")->unchanged, 1);

  auto again = Service().Run(period_, "test");
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->findings_count, 0);
  EXPECT_EQ(again->expected_total_minor, 17'400 + 29'900);
  EXPECT_EQ(again->discrepancy_total_minor, 0);

  // Acme's current period is still version 1; the one after it is version 2.
  auto sub = services_->subscriptions().ForCustomer(customer_a_);
  ASSERT_TRUE(sub.ok());
  Period current = sub->PeriodAt(clock().Now());
  EXPECT_EQ(sub->VersionAt(current.start), 1);
  EXPECT_EQ(sub->VersionAt(current.end), 2);
  EXPECT_EQ(sub->VersionAt(first_.start), 1);
  clock().Advance((current.end - clock().Now()) + std::chrono::hours(24 * 32));
  ASSERT_TRUE(services_->invoices().RunDue().ok());
  auto next = db().Execute("SELECT subtotal_minor FROM invoices WHERE customer_id = $1 AND period_start = $2",
                           {customer_a_, ToUnixMillis(current.end)});
  ASSERT_TRUE(next.ok());
  ASSERT_EQ(next->rows.size(), 1u);
  EXPECT_EQ(next->rows[0].Int(0), 9'800) << "the first period on version 2 has its base fee";
  auto kept = db().Execute("SELECT subtotal_minor FROM invoices WHERE customer_id = $1 AND period_start = $2",
                           {customer_a_, ToUnixMillis(current.start)});
  ASSERT_EQ(kept->rows.size(), 1u);
  EXPECT_EQ(kept->rows[0].Int(0), 4'900) << "the period running at the change kept version 1";
  EXPECT_EQ(Count("SELECT COUNT(*) FROM billing_audit WHERE action = 'plan.migrate'"), 2);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM billing_audit WHERE action = 'plan.version.create'"), 1);
}

// Voiding: its own transition, sent to Stripe whether or not the invoice
// was pushed before, announced once; paid and void invoices cannot be voided.
TEST_P(ReconciliationServiceTest, AVoidedInvoiceIsVoidedInStripeTooEvenBeforeItWasPushed) {
  auto ids = db().Execute("SELECT id, customer_id FROM invoices ORDER BY customer_id");
  ASSERT_TRUE(ids.ok());
  std::string acme, beta;
  for (const auto& row : ids->rows) (row.Text(1) == customer_a_ ? acme : beta) = row.Text(0);
  // Acme's is in Stripe already; Beta's is voided before any push.
  stripe::InvoiceSync sync(db(), *client_, clock());
  ASSERT_TRUE(sync.PushInvoice(acme).ok());
  auto& invoices = services_->invoices();
  for (const std::string& id : {acme, beta}) {
    auto voided = invoices.Void(id, "", "usr_admin");
    ASSERT_TRUE(voided.ok()) << voided.error().message;
    EXPECT_EQ(voided->status, invoicing::InvoiceStatus::kVoid);
    EXPECT_EQ(voided->amount_due_minor, 0);
  }
  EXPECT_EQ(invoices.Void(acme, "", "usr_admin").error().Reason(), "illegal_transition");
  EXPECT_EQ(invoices.Void(acme, customer_b_, "usr_admin").error().code, ErrorCode::kNotFound);
  Push();
  for (const std::string& id : {acme, beta}) {
    auto ours = invoicing::InvoiceStore::Load(db(), id);
    ASSERT_TRUE(ours.ok());
    ASSERT_FALSE(ours->stripe_invoice_id.empty());
    auto theirs = client_->Get("invoices/" + ours->stripe_invoice_id);
    ASSERT_TRUE(theirs.ok());
    EXPECT_EQ(theirs->at("status").as_string(), "void") << id;
  }
  EXPECT_EQ(Count("SELECT COUNT(*) FROM events WHERE type = 'invoice.voided'"), 2);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM stripe_outbox WHERE operation = 'void_invoice' AND status = 'done'"), 2);
  // A paid invoice stays paid.
  services_->clock().Advance(std::chrono::hours(24 * 40));
  ASSERT_TRUE(invoices.RunDue().ok());
  auto open = db().Execute("SELECT id FROM invoices WHERE status = 'open' ORDER BY id LIMIT 1");
  ASSERT_FALSE(open->rows.empty());
  std::string paid = open->rows[0].Text(0);
  ASSERT_TRUE(invoices.Transition(paid, invoicing::InvoiceStatus::kPaid, clock().Now(), "test").ok());
  EXPECT_EQ(invoices.Void(paid, "", "usr_admin").error().Reason(), "illegal_transition");
}

// A month with a plan change: Acme upgrades on the 10th, so its month is two
// invoices (each prorated), both sent to Stripe and both compared.
TEST_P(ReconciliationServiceTest, AMonthWithAPlanChangeReconcilesWithoutFindings) {
  Push();
  auto sub = services_->subscriptions().ForCustomer(customer_a_);
  ASSERT_TRUE(sub.ok());
  Period month = sub->PeriodAt(clock().Now());
  auto use = [&](int64_t impressions, TimePoint at) {
    metering::UsageEvent e{"ev-" + RandomHex(6), customer_a_, "impressions", impressions, at, ""};
    ASSERT_TRUE(services_->usage_store().Write({e}, at, nullptr).ok());
  };
  use(400'000, month.start + std::chrono::hours(5));
  clock().Set(month.start + std::chrono::hours(24 * 9) + std::chrono::minutes(30));
  auto change = services_->subscriptions().ChangePlan(sub->id, {.plan_id = "growth"}, "test");
  ASSERT_TRUE(change.ok()) << change.error().message;
  use(8'000'000, month.start + std::chrono::hours(24 * 20));
  clock().Set(month.end + std::chrono::hours(2));
  fake_.SetNow(clock().Now());
  ASSERT_TRUE(services_->invoices().RunDue().ok());
  clock().Advance(std::chrono::minutes(1));
  Push();
  auto r = Service().Run(FormatIso8601(month.start).substr(0, 7), "test");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->invoices_compared, 3);  // Acme's two parts and Beta's month
  EXPECT_EQ(r->findings_count, 0);
  EXPECT_EQ(r->discrepancy_total_minor, 0);
  EXPECT_EQ(r->billed_total_minor, r->expected_total_minor);
  auto parts = db().Execute("SELECT COUNT(*) FROM invoices WHERE customer_id = $1 AND period_start >= $2",
                            {customer_a_, ToUnixMillis(month.start)});
  EXPECT_EQ(parts->rows[0].Int(0), 2);
}

// A month with credit notes and prepaid credits: Acme's paid invoice gets a
// credit note to its credit balance (out of band for Stripe) and one refunded
// through Stripe; Beta's open invoice one that lowers what is due; Beta is
// granted credits. The next month's invoices use both credit balances (sent
// to Stripe as customer balance, which Stripe applies at finalization).
// Both months reconcile without findings; Stripe holds the same amounts.
// A trial's invoice (nothing to pay) and the periods after it reach Stripe
// and reconcile without findings; Stripe marks the zero invoice paid too.
TEST_P(ReconciliationServiceTest, ATrialsInvoicesReachStripeAndReconcile) {
  std::string cobalt = services_->AddCustomer("Cobalt Games", "GB", "USD");
  auto sub =
      services_->subscriptions().Create(cobalt, "starter", first_.start, subscriptions::Status::kActive, "test", 10);
  ASSERT_TRUE(sub.ok()) << sub.error().message;
  ASSERT_TRUE(services_->subscriptions().ApplyDue().ok());  // long over: active
  EXPECT_EQ(services_->subscriptions().Get(sub->id)->status, subscriptions::Status::kActive);
  ASSERT_GE(services_->invoices().RunDue()->created, 2);  // the trial's and at least its first period's
  clock().Advance(std::chrono::minutes(1));
  Push();
  auto trial = db().Execute(
      "SELECT id, status, total_minor, stripe_invoice_id FROM invoices WHERE customer_id = $1 "
      "AND period_start = $2",
      {cobalt, ToUnixMillis(first_.start)});
  ASSERT_TRUE(trial.ok());
  ASSERT_EQ(trial->rows.size(), 1u);
  EXPECT_EQ(trial->rows[0].Text(1), "paid");
  EXPECT_EQ(trial->rows[0].Int(2), 0);
  auto there = client_->Get("invoices/" + trial->rows[0].Text(3));
  ASSERT_TRUE(there.ok());
  EXPECT_EQ(there->at("status").as_string(), "paid");
  EXPECT_EQ(there->at("total").as_int64(), 0);

  auto run = Service().Run(period_, "test");
  ASSERT_TRUE(run.ok()) << run.error().message;
  EXPECT_EQ(run->findings_count, 0);
}

TEST_P(ReconciliationServiceTest, CreditNotesAndCreditsReconcileWithoutFindings) {
  Push();
  auto ids = db().Execute("SELECT id, customer_id, stripe_invoice_id FROM invoices WHERE period_start = $1",
                          {ToUnixMillis(first_.start)});
  ASSERT_TRUE(ids.ok());
  std::string acme, beta, acme_stripe;
  for (const auto& row : ids->rows) {
    if (row.Text(1) == customer_a_) {
      acme = row.Text(0);
      acme_stripe = row.Text(2);
    } else {
      beta = row.Text(0);
    }
  }
  ASSERT_FALSE(acme_stripe.empty());
  // Acme pays, in Stripe and here.
  ASSERT_TRUE(client_->Post("invoices/" + acme_stripe + "/pay", {}, "pay-" + acme).ok());
  ASSERT_TRUE(services_->invoices().Transition(acme, invoicing::InvoiceStatus::kPaid, clock().Now(), "test").ok());

  credit_notes::CreditNoteService notes(db(), clock());
  auto to_balance = notes.Issue(acme, "", {.amount_minor = 1000}, "usr_admin");
  ASSERT_TRUE(to_balance.ok()) << to_balance.error().message;
  auto refunded =
      notes.Issue(acme, "", {.amount_minor = 500, .refund_to = credit_notes::RefundTo::kStripeRefund}, "usr_admin");
  ASSERT_TRUE(refunded.ok()) << refunded.error().message;
  auto lowered = notes.Issue(beta, "", {.lines = {{.invoice_line = 1}}}, "usr_admin");
  ASSERT_TRUE(lowered.ok()) << lowered.error().message;
  EXPECT_EQ(lowered->pre_payment_minor, 29900);  // Growth's base fee, all of what Beta owed
  auto granted = credits::CreditLedger::GrantByAdmin(
      db(), clock(),
      {.customer_id = customer_b_, .currency = "USD", .amount_minor = 2000, .description = "Goodwill", .actor = "t"});
  ASSERT_TRUE(granted.ok()) << granted.error().message;
  clock().Advance(std::chrono::minutes(1));
  Push();

  auto first = Service().Run(period_, "test");
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->findings_count, 0);

  // Stripe's side of the credit notes.
  auto acme_there = client_->Get("invoices/" + acme_stripe);
  ASSERT_TRUE(acme_there.ok());
  EXPECT_EQ(acme_there->at("post_payment_credit_notes_amount").as_int64(), 1500);
  auto acme_ours = invoicing::InvoiceStore::Load(db(), acme);
  EXPECT_EQ(acme_ours->amount_refunded_minor, 500);
  EXPECT_EQ(acme_ours->post_payment_credit_minor, 1500);
  auto beta_ours = invoicing::InvoiceStore::Load(db(), beta);
  EXPECT_EQ(beta_ours->status, invoicing::InvoiceStatus::kPaid);  // nothing left due
  auto beta_there = client_->Get("invoices/" + beta_ours->stripe_invoice_id);
  EXPECT_EQ(beta_there->at("pre_payment_credit_notes_amount").as_int64(), 29900);
  EXPECT_EQ(beta_there->at("status").as_string(), "paid");
  auto cn = credit_notes::CreditNoteService::Load(db(), lowered->id);
  EXPECT_FALSE(cn->stripe_credit_note_id.empty());

  // The month after next: both balances pay part of the new invoices.
  Period third = MonthlyPeriodContaining(first_.start, first_.end + std::chrono::hours(24 * 35));
  clock().Set(third.end + std::chrono::hours(2));
  fake_.SetNow(clock().Now());
  ASSERT_TRUE(services_->invoices().RunDue().ok());
  clock().Advance(std::chrono::minutes(1));
  Push();
  auto next = db().Execute(
      "SELECT customer_id, credits_applied_minor, amount_due_minor, total_minor, "
      "stripe_invoice_id FROM invoices WHERE period_start = $1 ORDER BY customer_id",
      {ToUnixMillis(third.start)});
  ASSERT_TRUE(next.ok());
  ASSERT_EQ(next->rows.size(), 2u);
  for (const auto& row : next->rows) {
    int64_t applied = row.Text(0) == customer_a_ ? 1000 : 2000;
    EXPECT_EQ(row.Int(1), applied) << row.Text(0);
    EXPECT_EQ(row.Int(2), row.Int(3) - applied);
    auto there = client_->Get("invoices/" + row.Text(4));
    ASSERT_TRUE(there.ok());
    EXPECT_EQ(there->at("amount_due").as_int64(), row.Int(2));
  }
  auto later = Service().Run(FormatIso8601(third.start).substr(0, 7), "test");
  ASSERT_TRUE(later.ok()) << later.error().message;
  EXPECT_EQ(later->invoices_compared, 2);
  EXPECT_EQ(later->findings_count, 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM events WHERE type = 'credit_note.created'"), 3);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM events WHERE type = 'credits.applied'"), 2);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM stripe_outbox WHERE operation = 'sync_credit_note' AND status = 'done'"), 3);
}

// A plan priced in dollars, euros, yen and dinars: a customer's currency picks
// its prices; yen have no minor unit (Stripe takes the amount as it is), KWD
// has three and is settled in tens of fils. Invoiced, sent to the fake Stripe
// and reconciled, each in its own currency.
TEST_P(ReconciliationServiceTest, YenAndDinarCustomersAreInvoicedSentToStripeAndReconciledInTheirCurrency) {
  boost::system::error_code ec;
  json::value definition = json::parse(R"({"id": "global", "name": "Global", "currency": "USD", "base_fee": "100.00",
    "limits": {"impressions": 1000000, "api_calls": 100000, "data_transfer": 50000000000},
    "prices": {
      "JPY": {"base_fee": "15000", "overage_prices": {"impressions": {"amount": "75", "per": 1000},
              "api_calls": {"amount": "15", "per": 1000}, "data_transfer": {"amount": "7", "per": 1000000000}}},
      "KWD": {"base_fee": "30.750", "overage_prices": {"impressions": {"amount": "0.153", "per": 1000},
              "api_calls": {"amount": "0.031", "per": 1000}, "data_transfer": {"amount": "0.015", "per": 1000000000}}},
      "EUR": {"base_fee": "92.00", "overage_prices": {"impressions": {"amount": "0.46", "per": 1000},
              "api_calls": {"amount": "0.09", "per": 1000}, "data_transfer": {"amount": "0.05", "per": 1000000000}}}}})",
                                       ec);
  ASSERT_FALSE(ec);
  auto plan = catalog::ParsePlan(definition, services_->catalog().metrics(), "");
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  ASSERT_TRUE(services_->plans().Create(*plan, FromUnixMillis(0), "test").ok());
  std::string yen = services_->AddCustomer("Sakura Media", "JP", "JPY");
  std::string pounds = services_->AddCustomer("Thames Ads", "GB", "GBP");
  auto& subs = services_->subscriptions();
  auto refused = subs.Create(pounds, "global", first_.start, subscriptions::Status::kActive, "test");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message,
            "plan global is priced in USD, JPY, KWD, EUR, and customer " + pounds + " pays in GBP");
  ASSERT_TRUE(subs.Create(yen, "global", first_.start, subscriptions::Status::kActive, "test").ok());
  Use(yen, 1'250'001);  // 15,000 + 250.001 blocks x 75 = 18,750.075 -> 18,750: 33,750 yen
  // Dinars: 250.001 blocks x 0.153 = 38.250153 -> 38.250 (to ten fils) + 30.750 = 69.000 KWD.
  std::string dinars = services_->AddCustomer("Gulf Ads", "KW", "KWD");
  ASSERT_TRUE(subs.Create(dinars, "global", first_.start, subscriptions::Status::kActive, "test").ok());
  Use(dinars, 1'250'001);
  ASSERT_EQ(services_->invoices().RunDue()->created, 4);
  auto kwd = db().Execute("SELECT currency, total_minor FROM invoices WHERE customer_id = $1 AND period_start = $2",
                          {dinars, ToUnixMillis(first_.start)});
  ASSERT_EQ(kwd->rows.size(), 1u);
  EXPECT_EQ(kwd->rows[0].Text(0), "KWD");
  EXPECT_EQ(kwd->rows[0].Int(1), 69'000);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM invoice_line_items l JOIN invoices i ON i.id = l.invoice_id "
                  "WHERE i.currency = 'KWD' AND l.amount_minor % 10 <> 0"),
            0)
      << "every KWD amount is in tens of fils, as Stripe settles it";
  auto ours = db().Execute(
      "SELECT currency, total_minor, stripe_invoice_id FROM invoices WHERE customer_id = $1 "
      "AND period_start = $2",
      {yen, ToUnixMillis(first_.start)});
  ASSERT_EQ(ours->rows.size(), 1u);
  EXPECT_EQ(ours->rows[0].Text(0), "JPY");
  EXPECT_EQ(ours->rows[0].Int(1), 33'750);
  clock().Advance(std::chrono::minutes(1));
  Push();
  std::string stripe_id = db().Execute(
                                  "SELECT stripe_invoice_id FROM invoices WHERE customer_id = $1 "
                                  "AND period_start = $2",
                                  {yen, ToUnixMillis(first_.start)})
                              ->rows.at(0)
                              .Text(0);
  bool found = false;
  json::object state = fake_.State();
  for (const auto& v : state.at("invoices").as_array()) {
    if (v.at("id").as_string() != stripe_id) continue;
    found = true;
    EXPECT_EQ(v.at("currency").as_string(), "jpy");
    EXPECT_EQ(v.at("total").as_int64(), 33'750) << "yen are zero-decimal at Stripe: the amount as it is";
  }
  EXPECT_TRUE(found);
  for (const auto& v : state.at("invoices").as_array()) {
    if (v.at("currency").as_string() == "kwd") {
      EXPECT_EQ(v.at("total").as_int64() % 10, 0);
    }
  }

  auto r = Service("1000,JPY=1000,KWD=10").Run(period_, "test");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->findings_count, 0);
  bool yen_totals = false;
  for (const auto& totals : r->totals) {
    if (totals.currency != "JPY") continue;
    yen_totals = true;
    EXPECT_EQ(totals.expected_total_minor, 33'750);
    EXPECT_EQ(totals.billed_total_minor, 33'750);
  }
  EXPECT_TRUE(yen_totals);
  EXPECT_EQ(r->totals.size(), 3u) << "USD, JPY and KWD, never added together";
}

TEST_P(ReconciliationServiceTest, ADriftJustOverTheToleranceIsAFindingJustUnderIsNot) {
  Push();
  // Late usage the invoice never saw: impressions line 12,500 -> 12,562 (62 < 0.5 % of 12,500).
  Use(customer_a_, 1'240);
  auto under = Service().Run(period_, "test");
  ASSERT_TRUE(under.ok());
  EXPECT_EQ(under->findings_count, 0);
  EXPECT_EQ(under->discrepancy_total_minor, 62);
  // 20 more: 12,563 (63 > 62.5). The total (63 of 17,463) stays within.
  Use(customer_a_, 20);
  auto over = Service().Run(period_, "test");
  ASSERT_TRUE(over.ok());
  ASSERT_EQ(over->findings_count, 1);
  const auto& f = over->findings[0];
  EXPECT_EQ(f.kind, reconciliation::FindingKind::kAmountMismatch);
  EXPECT_EQ(f.line, "impressions");
  EXPECT_EQ(f.customer_id, customer_a_);
  EXPECT_EQ(f.customer_name, "Acme Ads");
  EXPECT_EQ(f.expected_minor, 12'563);
  EXPECT_EQ(f.billed_minor, 12'500);
  EXPECT_EQ(f.difference_minor, -63);
  EXPECT_FALSE(f.stripe_invoice_id.empty());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM billing_audit WHERE action = 'reconciliation.finding'"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM reconciliation_findings"), 1);
}

TEST_P(ReconciliationServiceTest, AMissingStripeInvoiceIsAFindingAndCrossesTheAlertThreshold) {
  KeepBetaFromStripe();
  Push();
  auto r = Service("100", fake_.base_url() + "/_fake/alert_sink").Run(period_, "test");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->findings_count, 1);
  EXPECT_EQ(r->findings[0].kind, reconciliation::FindingKind::kMissingInStripe);
  EXPECT_EQ(r->findings[0].customer_id, customer_b_);
  EXPECT_EQ(r->findings[0].expected_minor, 29'900);
  EXPECT_EQ(r->discrepancy_total_minor, 29'900);
  EXPECT_TRUE(r->alert_raised);  // 299.00 > 100.00
  EXPECT_EQ(Count("SELECT COUNT(*) FROM events WHERE type = 'reconciliation.alert'"), 1);
  json::object alerts = json::parse(HttpClient(fake_.base_url()).Get("/_fake/alerts").body).as_object();
  ASSERT_EQ(alerts.at("alerts").as_array().size(), 1u);
  EXPECT_EQ(alerts.at("alerts").as_array()[0].at("reconciliation_id").as_string(), r->id);
  // Under a higher threshold: no alert.
  EXPECT_FALSE(Service("1000").Run(period_, "test")->alert_raised);
}

// The command exits 1 when the alert is raised, for cron.
TEST_P(ReconciliationServiceTest, TheCommandExitsOneWhenTheAlertIsRaised) {
  MTL_SKIP_WHEN_PINNED();  // the child billingd runs on the system clock
  KeepBetaFromStripe();
  Push();
  TempDir data_dir("mtl-rec");
  std::map<std::string, std::string> env = {{"DATABASE_URL", services_->database().url()},
                                            {"DATA_DIR", data_dir.path()},
                                            {"STRIPE_API_BASE", fake_.base_url()},
                                            {"STRIPE_SECRET_KEY", "sk_test_rec"},
                                            {"RECONCILE_ALERT_THRESHOLD", "100.00"}};
  RunResult alerted = RunBillingd({"reconcile", "--period", period_}, env);
  EXPECT_EQ(alerted.exit_code, 1) << alerted.err;
  EXPECT_NE(alerted.out.find("RAISED"), std::string::npos) << alerted.out;
  EXPECT_NE(alerted.out.find("missing_in_stripe"), std::string::npos) << alerted.out;
  // Progress on stderr names each stage, the Stripe download with its count.
  EXPECT_NE(alerted.err.find("Stripe invoices: 0\n"), std::string::npos) << alerted.err;
  EXPECT_NE(alerted.err.find("pricing and comparing: 0/"), std::string::npos) << alerted.err;
  env["RECONCILE_ALERT_THRESHOLD"] = "1000";
  RunResult calm = RunBillingd({"reconcile", "--period", period_}, env);
  EXPECT_EQ(calm.exit_code, 0) << calm.err;
  EXPECT_EQ(RunBillingd({"reconcile", "--period", "January"}, env).exit_code, 2);
}

TEST_P(ReconciliationServiceTest, AStripeInvoiceInAnotherCurrencyIsAFindingNotASum) {
  Push();
  std::string theirs =
      db().Execute("SELECT stripe_invoice_id FROM invoices WHERE customer_id = $1 AND period_start = $2",
                   {customer_a_, ToUnixMillis(first_.start)})
          ->rows.at(0)
          .Text(0);
  fake_.Control("/_fake/invoice_currency", {{"invoice", theirs}, {"currency", "eur"}});
  auto r = Service().Run(period_, "test");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->findings_count, 1);
  EXPECT_EQ(r->findings[0].kind, reconciliation::FindingKind::kCurrencyMismatch);
  EXPECT_EQ(r->findings[0].line, "total");
  EXPECT_EQ(r->findings[0].billed_currency, "EUR");
  EXPECT_EQ(r->findings[0].billed_minor, 17'400) << "what Stripe billed, in euro cents";
  EXPECT_EQ(r->findings[0].difference_minor, -17'400);
  auto stored = Service().Get(r->id);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->findings[0].kind, reconciliation::FindingKind::kCurrencyMismatch);
  EXPECT_EQ(stored->findings[0].billed_currency, "EUR");
  std::string number =
      db().Execute("SELECT number FROM invoices WHERE id = $1", {r->findings[0].invoice_id})->rows.at(0).Text(0);
  EXPECT_EQ(r->findings[0].invoice_number, number) << "findings name the invoice by its number";
  EXPECT_EQ(stored->findings[0].invoice_number, number);
  EXPECT_EQ(r->findings[0].stripe_invoice_id, theirs);
  ASSERT_EQ(r->totals.size(), 1u) << "no EUR totals from a USD invoice";
  EXPECT_EQ(r->totals[0].currency, "USD");
  EXPECT_EQ(r->billed_total_minor, 29'900) << "Beta's only: Acme's euros are not added to dollars";
  EXPECT_EQ(r->discrepancy_total_minor, 17'400);
}

TEST_P(ReconciliationServiceTest, KeysExpireAfter24HoursAndArePurged) {
  idempotency::IdempotencyStore store(db(), clock());
  int runs = 0;
  auto work = [&]() -> Result<idempotency::Reply> {
    return idempotency::Reply{200, R"({"run":)" + std::to_string(++runs) + "}", false};
  };
  EXPECT_FALSE(store.Once("test", "key-0123456789abcdef", "h", work)->replayed);
  EXPECT_TRUE(store.Once("test", "key-0123456789abcdef", "h", work)->replayed);
  clock().Advance(std::chrono::hours(24) - std::chrono::seconds(1));
  EXPECT_EQ(store.Once("test", "key-0123456789abcdef", "h", work)->body, R"({"run":1})");
  clock().Advance(std::chrono::seconds(2));
  EXPECT_EQ(store.Once("test", "key-0123456789abcdef", "h", work)->body, R"({"run":2})");
  EXPECT_EQ(runs, 2);
  // A failed run releases its key.
  auto failing = [&]() -> Result<idempotency::Reply> { return Internal("boom"); };
  EXPECT_FALSE(store.Once("test", "key-failing-0123456", "h", failing).ok());
  EXPECT_FALSE(store.Once("test", "key-failing-0123456", "h", work)->replayed);
  clock().Advance(std::chrono::hours(25));
  EXPECT_EQ(*store.Purge(), 2);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM billing_idempotency"), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, ReconciliationServiceTest, ::testing::ValuesIn(TestBackends()),
                         [](const auto& info) { return BackendParamName(info.param); });

}  // namespace
}  // namespace meterline::testing
