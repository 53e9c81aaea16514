// Credit notes and prepaid credits, once per backend, on a FakeClock: the
// worked examples of docs/subscriptions.md ("Credit notes", "Prepaid
// credits") to the cent, the refusals, and two credit notes racing on one
// invoice (never more than it holds).
#include <gtest/gtest.h>

#include <thread>

#include "core/ids.hpp"
#include "core/period.hpp"
#include "credit_notes/credit_note_service.hpp"
#include "credits/credit_ledger.hpp"
#include "support/billing_services.hpp"

namespace meterline::testing {
namespace {

using credit_notes::CreditNoteRequest;
using credit_notes::RefundTo;
using invoicing::InvoiceStatus;

TimePoint At(const char* iso) { return *ParseIso8601(iso); }

class CreditNotesTest : public ::testing::TestWithParam<storage::Backend> {
 protected:
  void SetUp() override {
    services_ = std::make_unique<BillingServices>(BillingServices::Options{
        .backend = GetParam(), .now = At("2026-11-01T00:00:00Z"), .tax_rates = {{"DE", money::Decimal(19, 2)}}});
    notes_ = std::make_unique<credit_notes::CreditNoteService>(services_->db(), services_->clock());
  }

  std::string Subscribe(const std::string& customer, const std::string& plan) {
    auto sub = services_->subscriptions().Create(customer, plan, At("2026-11-01T00:00:00Z"),
                                                 subscriptions::Status::kActive, "test");
    EXPECT_TRUE(sub.ok()) << sub.error().message;
    return sub.ok() ? sub->id : "";
  }

  void Send(const std::string& customer, int64_t impressions, const char* at) {
    services_->clock().Set(At(at) + std::chrono::minutes(1));
    metering::UsageEvent e{"ev-" + RandomHex(8), customer, "impressions", impressions, At(at), ""};
    auto result = services_->ingest().Ingest({{0, e}}, {}, "");
    ASSERT_TRUE(result.ok()) << result.error().message;
    ASSERT_TRUE(result->rejected.empty()) << result->rejected[0].reason;
  }

  // Runs the scheduler at `at`; the customer's invoice of the period starting at `start`.
  invoicing::Invoice InvoiceOf(const std::string& customer, const char* run_at, const char* start) {
    services_->clock().Set(At(run_at));
    auto run = services_->invoices().RunDue();
    EXPECT_TRUE(run.ok()) << run.error().message;
    auto page = services_->invoices().List({.customer_id = customer}, {.limit = 100});
    EXPECT_TRUE(page.ok());
    for (const auto& inv : page->items) {
      if (inv.period.start == At(start)) return *services_->invoices().Get(inv.id, "");
    }
    ADD_FAILURE() << "no invoice of " << start;
    return {};
  }

  invoicing::Invoice Reload(const std::string& id) { return *services_->invoices().Get(id, ""); }

  credits::Grant Grant(const std::string& customer, int64_t amount, std::optional<TimePoint> expires,
                       const char* description, int priority = 0) {
    auto g = credits::CreditLedger::GrantByAdmin(services_->db(), services_->clock(),
                                                 {.customer_id = customer,
                                                  .currency = "USD",
                                                  .amount_minor = amount,
                                                  .priority = priority,
                                                  .expires_at = expires,
                                                  .description = description,
                                                  .actor = "usr_admin"});
    EXPECT_TRUE(g.ok()) << g.error().message;
    return g.ok() ? *g : credits::Grant{};
  }

  int64_t Balance(const std::string& customer) {
    auto b = credits::CreditLedger::Balances(services_->db(), customer, services_->clock().Now());
    EXPECT_TRUE(b.ok());
    return b.ok() && b->count("USD") ? b->at("USD") : 0;
  }

  std::unique_ptr<BillingServices> services_;
  std::unique_ptr<credit_notes::CreditNoteService> notes_;
};

// docs/subscriptions.md, "A partial credit note on a paid invoice": Starter
// in Germany (19 % tax), 1,150,000 impressions in November: 49.00 + 75.00,
// tax 23.56, total 147.56, paid. 100,000 impressions of the overage line are
// credited: 50.00 + 9.50 tax = 59.50 to the credit balance, which pays
// December's 58.31 in full and leaves 1.19.
TEST_P(CreditNotesTest, APartialCreditNoteOnAPaidInvoiceBecomesCreditsThatPayTheNextInvoice) {
  std::string customer = services_->AddCustomer("Kobalt GmbH", "DE", "USD");
  Subscribe(customer, "starter");
  Send(customer, 1'150'000, "2026-11-12T10:00:00Z");
  invoicing::Invoice november = InvoiceOf(customer, "2026-12-01T01:00:00Z", "2026-11-01T00:00:00Z");
  ASSERT_EQ(november.lines.size(), 2u);
  EXPECT_EQ(november.lines[1].amount_minor, 7500);
  EXPECT_EQ(november.tax_minor, 2356);
  EXPECT_EQ(november.total_minor, 14756);
  ASSERT_TRUE(
      services_->invoices().Transition(november.id, InvoiceStatus::kPaid, At("2026-12-03T00:00:00Z"), "test").ok());

  services_->clock().Set(At("2026-12-05T09:00:00Z"));
  CreditNoteRequest request{.lines = {{.invoice_line = 2, .quantity = 100'000}},
                            .reason = credit_notes::Reason::kProductUnsatisfactory,
                            .memo = "Invalid traffic on 12 November"};
  auto note = notes_->Issue(november.id, "", request, "usr_admin");
  ASSERT_TRUE(note.ok()) << note.error().message;
  EXPECT_EQ(note->number, "CN-2026-000001");
  ASSERT_EQ(note->lines.size(), 1u);
  EXPECT_EQ(note->lines[0].amount_minor, 5000);  // 100,000 x 0.0005
  EXPECT_EQ(note->subtotal_minor, 5000);
  EXPECT_EQ(note->tax_minor, 950);
  EXPECT_EQ(note->total_minor, 5950);
  EXPECT_EQ(note->pre_payment_minor, 0);
  EXPECT_EQ(note->post_payment_minor, 5950);
  EXPECT_EQ(note->refund_to, RefundTo::kCreditBalance);
  EXPECT_FALSE(note->credit_grant_id.empty());

  invoicing::Invoice credited = Reload(november.id);
  EXPECT_EQ(credited.status, InvoiceStatus::kPaid);
  EXPECT_EQ(credited.amount_paid_minor, 14756);
  EXPECT_EQ(credited.amount_due_minor, 0);
  EXPECT_EQ(credited.post_payment_credit_minor, 5950);
  EXPECT_EQ(Balance(customer), 5950);

  // December: 49.00 + 9.31 tax, paid by the credits at once.
  invoicing::Invoice december = InvoiceOf(customer, "2027-01-01T01:00:00Z", "2026-12-01T00:00:00Z");
  EXPECT_EQ(december.total_minor, 5831);
  EXPECT_EQ(december.credits_applied_minor, 5831);
  EXPECT_EQ(december.amount_due_minor, 0);
  EXPECT_EQ(december.status, InvoiceStatus::kPaid);
  EXPECT_EQ(Balance(customer), 119);

  // The ledger, newest first: applied -58.31 (1.19 left), granted +59.50.
  auto history = credits::CreditLedger::History(services_->db(), customer, {.limit = 10});
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->items.size(), 2u);
  EXPECT_EQ(history->items[0].kind, "applied");
  EXPECT_EQ(history->items[0].amount_minor, -5831);
  EXPECT_EQ(history->items[0].balance_after_minor, 119);
  EXPECT_EQ(history->items[0].invoice_id, december.id);
  EXPECT_EQ(history->items[1].kind, "granted");
  EXPECT_EQ(history->items[1].amount_minor, 5950);

  // The credit note reads back as issued; numbers restart each year (it is 2027 now).
  auto listed = notes_->ForInvoice(november.id, customer);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].total_minor, 5950);
  EXPECT_EQ((*listed)[0].memo, "Invalid traffic on 12 November");
  auto second =
      notes_->Issue(november.id, "", {.amount_minor = 100, .reason = credit_notes::Reason::kOrderChange}, "usr_admin");
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(second->number, "CN-2027-000001");
  EXPECT_EQ(second->total_minor, 119);  // 1.00 + 0.19 tax
}

// docs/subscriptions.md, "A credit note on an open invoice": it lowers what
// is due; crediting the rest marks the invoice paid, and nothing more can be credited.
TEST_P(CreditNotesTest, ACreditNoteOnAnOpenInvoiceLowersTheAmountDueUntilNothingIsLeft) {
  std::string customer = services_->AddCustomer("Kobalt GmbH", "DE", "USD");
  Subscribe(customer, "starter");
  Send(customer, 1'150'000, "2026-11-12T10:00:00Z");
  invoicing::Invoice november = InvoiceOf(customer, "2026-12-01T01:00:00Z", "2026-11-01T00:00:00Z");
  ASSERT_EQ(november.amount_due_minor, 14756);

  // The whole base fee line: 49.00 + 9.31 tax.
  auto fee = notes_->Issue(november.id, "",
                           {.lines = {{.invoice_line = 1}}, .reason = credit_notes::Reason::kDuplicate}, "usr_admin");
  ASSERT_TRUE(fee.ok()) << fee.error().message;
  EXPECT_EQ(fee->total_minor, 5831);
  EXPECT_EQ(fee->pre_payment_minor, 5831);
  EXPECT_EQ(fee->post_payment_minor, 0);
  EXPECT_EQ(fee->refund_to, RefundTo::kNone);
  invoicing::Invoice after = Reload(november.id);
  EXPECT_EQ(after.status, InvoiceStatus::kOpen);
  EXPECT_EQ(after.amount_due_minor, 8925);
  EXPECT_EQ(after.pre_payment_credit_minor, 5831);

  // Refusals: the base fee line again, more of line 2 than it holds, nothing asked.
  auto again = notes_->Issue(november.id, "", {.lines = {{.invoice_line = 1}}}, "usr_admin");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(again.error().message.find("fully credited"), std::string::npos);
  auto too_much = notes_->Issue(november.id, "", {.lines = {{.invoice_line = 2, .amount_minor = 7501}}}, "usr_admin");
  ASSERT_FALSE(too_much.ok());
  EXPECT_NE(too_much.error().message.find("7500 minor units left"), std::string::npos);
  EXPECT_FALSE(notes_->Issue(november.id, "", {}, "usr_admin").ok());
  EXPECT_FALSE(notes_->Issue(november.id, "", {.lines = {{.invoice_line = 3}}}, "usr_admin").ok());
  // Another customer's scope does not see the invoice.
  auto foreign = notes_->Issue(november.id, "cus_other", {.amount_minor = 100}, "usr_member");
  ASSERT_FALSE(foreign.ok());
  EXPECT_EQ(foreign.error().code, ErrorCode::kNotFound);
  // A Stripe refund needs the invoice in Stripe.
  auto refund =
      notes_->Issue(november.id, "", {.amount_minor = 100, .refund_to = RefundTo::kStripeRefund}, "usr_admin");
  ASSERT_TRUE(refund.ok());  // nothing after payment: no refund is made
  EXPECT_EQ(refund->refund_to, RefundTo::kNone);

  // 74.00 of line 2 + 14.06 tax: all that was left due (89.25 - 1.19). The invoice is paid.
  auto rest = notes_->Issue(november.id, "", {.lines = {{.invoice_line = 2, .amount_minor = 7400}}}, "usr_admin");
  ASSERT_TRUE(rest.ok()) << rest.error().message;
  EXPECT_EQ(rest->total_minor, 8806);
  invoicing::Invoice settled = Reload(november.id);
  EXPECT_EQ(settled.amount_due_minor, 0);
  EXPECT_EQ(settled.status, InvoiceStatus::kPaid);
  EXPECT_EQ(settled.amount_paid_minor, 0);
  EXPECT_EQ(settled.pre_payment_credit_minor, 14756);
  EXPECT_EQ(Balance(customer), 0);
  auto beyond = notes_->Issue(november.id, "", {.amount_minor = 1}, "usr_admin");
  ASSERT_FALSE(beyond.ok());
  EXPECT_NE(beyond.error().message.find("left to credit"), std::string::npos);
}

// docs/subscriptions.md, "Credits spanning two invoices": 100.00 expiring on
// 15 December and 50.00 that never expires. November's 49.00 uses the
// expiring grant (51.00 left, which expires); December's 49.00 the other.
TEST_P(CreditNotesTest, CreditsSpanTwoInvoicesOldestExpiringFirstAndExpireInBetween) {
  std::string customer = services_->AddCustomer("Acme Ads", "US", "USD");
  Subscribe(customer, "starter");
  services_->clock().Set(At("2026-11-15T00:00:00Z"));
  credits::Grant forever = Grant(customer, 5000, std::nullopt, "Welcome credit");
  credits::Grant expiring = Grant(customer, 10000, At("2026-12-15T00:00:00Z"), "Launch promotion");
  EXPECT_EQ(Balance(customer), 15000);

  invoicing::Invoice november = InvoiceOf(customer, "2026-12-01T01:00:00Z", "2026-11-01T00:00:00Z");
  EXPECT_EQ(november.total_minor, 4900);
  EXPECT_EQ(november.credits_applied_minor, 4900);
  EXPECT_EQ(november.amount_due_minor, 0);
  EXPECT_EQ(november.status, InvoiceStatus::kPaid);
  EXPECT_EQ(Balance(customer), 10100);

  // 15 December: the promotion's 51.00 expire (balances leave them out at
  // once; the job writes the ledger entry).
  services_->clock().Set(At("2026-12-15T00:00:00Z"));
  EXPECT_EQ(Balance(customer), 5000);
  auto expired = services_->db().Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
    MTL_ASSIGN_OR_RETURN(auto n, credits::CreditLedger::ExpireDue(tx, services_->clock().Now()));
    EXPECT_EQ(n, 1);
    return OkStatus();
  });
  ASSERT_TRUE(expired.ok()) << expired.error().message;

  invoicing::Invoice december = InvoiceOf(customer, "2027-01-01T01:00:00Z", "2026-12-01T00:00:00Z");
  EXPECT_EQ(december.credits_applied_minor, 4900);
  EXPECT_EQ(december.amount_due_minor, 0);
  EXPECT_EQ(Balance(customer), 100);

  auto history = credits::CreditLedger::History(services_->db(), customer, {.limit = 10});
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->items.size(), 5u);
  // Newest first.
  EXPECT_EQ(history->items[0].kind, "applied");
  EXPECT_EQ(history->items[0].grant_id, forever.id);
  EXPECT_EQ(history->items[0].balance_after_minor, 100);
  EXPECT_EQ(history->items[1].kind, "expired");
  EXPECT_EQ(history->items[1].grant_id, expiring.id);
  EXPECT_EQ(history->items[1].amount_minor, -5100);
  EXPECT_EQ(history->items[1].balance_after_minor, 5000);
  EXPECT_EQ(history->items[2].kind, "applied");
  EXPECT_EQ(history->items[2].grant_id, expiring.id);
  EXPECT_EQ(history->items[2].amount_minor, -4900);
  EXPECT_EQ(history->items[2].balance_after_minor, 10100);
  EXPECT_EQ(history->total, 5);

  // A third invoice is paid in part: 1.00 of 49.00.
  invoicing::Invoice january = InvoiceOf(customer, "2027-02-01T01:00:00Z", "2027-01-01T00:00:00Z");
  EXPECT_EQ(january.credits_applied_minor, 100);
  EXPECT_EQ(january.amount_due_minor, 4800);
  EXPECT_EQ(january.status, InvoiceStatus::kOpen);
  EXPECT_EQ(Balance(customer), 0);
}

TEST_P(CreditNotesTest, GrantsAreCheckedAndAppliedByPriorityFirst) {
  std::string customer = services_->AddCustomer("Acme Ads", "US", "USD");
  Subscribe(customer, "starter");
  services_->clock().Set(At("2026-11-15T00:00:00Z"));
  auto bad = [&](credits::NewGrant g) {
    g.customer_id = g.customer_id.empty() ? customer : g.customer_id;
    g.actor = "usr_admin";
    auto made = credits::CreditLedger::GrantByAdmin(services_->db(), services_->clock(), g);
    return !made.ok();
  };
  EXPECT_TRUE(bad({.currency = "USD", .amount_minor = 0, .description = "x"}));
  EXPECT_TRUE(bad({.currency = "XXX", .amount_minor = 100, .description = "x"}));
  EXPECT_TRUE(bad({.currency = "USD", .amount_minor = 100, .priority = 101, .description = "x"}));
  EXPECT_TRUE(
      bad({.currency = "USD", .amount_minor = 100, .expires_at = At("2026-11-14T00:00:00Z"), .description = "x"}));
  EXPECT_TRUE(bad({.currency = "USD", .amount_minor = 100, .description = ""}));
  EXPECT_TRUE(bad({.customer_id = "cus_missing", .currency = "USD", .amount_minor = 100, .description = "x"}));

  credits::Grant later = Grant(customer, 3000, At("2026-12-02T00:00:00Z"), "Expires soon, low priority", 5);
  credits::Grant first = Grant(customer, 3000, std::nullopt, "Priority", 0);
  invoicing::Invoice november = InvoiceOf(customer, "2026-12-01T01:00:00Z", "2026-11-01T00:00:00Z");
  EXPECT_EQ(november.credits_applied_minor, 4900);
  auto grants = credits::CreditLedger::Grants(services_->db(), customer, 10);
  ASSERT_TRUE(grants.ok());
  for (const auto& g : *grants) {
    if (g.id == first.id) {
      EXPECT_EQ(g.remaining_minor, 0);
    } else if (g.id == later.id) {
      EXPECT_EQ(g.remaining_minor, 1100);
    }
  }
}

// Two admins credit the same invoice at once: together never more than it holds.
TEST_P(CreditNotesTest, ConcurrentCreditNotesNeverCreditMoreThanTheInvoice) {
  std::string customer = services_->AddCustomer("Acme Ads", "US", "USD");
  Subscribe(customer, "starter");
  invoicing::Invoice november = InvoiceOf(customer, "2026-12-01T01:00:00Z", "2026-11-01T00:00:00Z");
  ASSERT_EQ(november.total_minor, 4900);
  BillingServices other({.backend = GetParam(), .same_deployment_as = services_.get()});
  credit_notes::CreditNoteService other_notes(other.db(), services_->clock());
  std::atomic<int> issued{0};
  auto credit = [&](credit_notes::CreditNoteService& svc) {
    for (int i = 0; i < 5; ++i) {
      if (svc.Issue(november.id, "", {.amount_minor = 700}, "usr_admin").ok()) ++issued;
    }
  };
  std::thread a([&] { credit(*notes_); });
  std::thread b([&] { credit(other_notes); });
  a.join();
  b.join();
  EXPECT_EQ(issued.load(), 7);  // 7 x 7.00 = 49.00
  invoicing::Invoice after = Reload(november.id);
  EXPECT_EQ(after.pre_payment_credit_minor, 4900);
  EXPECT_EQ(after.amount_due_minor, 0);
  EXPECT_EQ(after.status, InvoiceStatus::kPaid);
  auto listed = notes_->ForInvoice(november.id, "");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 7u);
  // Gap-free numbers 1..7.
  for (size_t i = 0; i < listed->size(); ++i) {
    EXPECT_EQ((*listed)[i].number.substr(0, 8), "CN-2026-");
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, CreditNotesTest, ::testing::ValuesIn(TestBackends()),
                         [](const auto& info) { return BackendParamName(info.param); });

}  // namespace
}  // namespace meterline::testing
