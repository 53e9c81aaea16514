// PlanBook and the subscriptions' versions, once per backend: the catalog
// seeds an empty database and only warns afterwards; versions are immutable
// and numbered; a plan keeps its currency; archived plans and plans in
// another currency than the customer's refuse new subscriptions; a version
// effective later is what new subscriptions get from then on.
#include <gtest/gtest.h>

#include "plans/plan_book.hpp"
#include "storage/migrator.hpp"
#include "support/billing_services.hpp"

namespace meterline::testing {
namespace {

class PlanBookTest : public ::testing::TestWithParam<storage::Backend> {
 protected:
  void SetUp() override {
    services_ = std::make_unique<BillingServices>(BillingServices::Options{.backend = GetParam()});
  }

  plans::PlanBook& book() { return services_->plans(); }
  TimePoint Now() { return services_->clock().Now(); }
  int64_t Count(const std::string& sql) { return services_->db().Execute(sql)->rows.at(0).Int(0); }

  catalog::Plan Starter() { return *book().Version("starter", 1).value(); }

  std::unique_ptr<BillingServices> services_;
};

TEST_P(PlanBookTest, TheCatalogSeedsAnEmptyDatabaseOnceAndThenOnlyWarns) {
  auto listed = book().List({.limit = 10});
  ASSERT_TRUE(listed.ok()) << listed.error().message;
  ASSERT_EQ(listed->items.size(), 4u);
  EXPECT_EQ(listed->total, 4);
  std::vector<std::string> ids;
  for (const auto& record : listed->items) ids.push_back(record.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"starter", "growth", "scale", "enterprise"})) << "the catalog's order";
  for (const auto& record : listed->items) {
    ASSERT_EQ(record.versions.size(), 1u);
    const catalog::Plan* plan = catalog::Catalog::Default().FindPlan(record.id);
    EXPECT_TRUE(catalog::SamePricing(record.versions[0].plan, *plan)) << record.id;
  }
  // Another catalog with other prices for starter: the database wins.
  auto other = catalog::Catalog::Parse(R"({
    "metrics": [{"id": "impressions", "name": "Ad impressions", "unit": "impression",
                 "overage_price": {"amount": "0.50", "per": 1000}},
                {"id": "api_calls", "name": "API calls", "unit": "call",
                 "overage_price": {"amount": "0.10", "per": 1000}},
                {"id": "data_transfer", "name": "Data transfer", "unit": "byte",
                 "overage_price": {"amount": "0.05", "per": 1000000000}}],
    "plans": [{"id": "starter", "name": "Starter", "currency": "USD", "base_fee": "59.00",
               "limits": {"impressions": 1, "api_calls": 1, "data_transfer": 1}},
              {"id": "extra", "name": "Extra", "currency": "USD", "base_fee": "1.00",
               "limits": {"impressions": 1, "api_calls": 1, "data_transfer": 1}}]})");
  ASSERT_TRUE(other.ok()) << other.error().message;
  plans::PlanBook again(services_->db(), *other, services_->clock());
  ASSERT_TRUE(again.Seed().ok());
  EXPECT_EQ(again.Get("starter")->versions.size(), 1u);
  EXPECT_EQ((*again.Version("starter", 1))->base_fee_minor, 4'900) << "the database's price stays";
  EXPECT_EQ(again.Get("extra")->versions.size(), 1u) << "a plan the database lacks is added";
  EXPECT_EQ(Count("SELECT COUNT(*) FROM plan_versions"), 5);
}

TEST_P(PlanBookTest, VersionsAreNumberedImmutableAndKeepTheCurrency) {
  catalog::Plan next = Starter();
  next.base_fee_minor = 5'900;
  auto v2 = book().AddVersion("starter", next, Now(), "test");
  ASSERT_TRUE(v2.ok()) << v2.error().message;
  ASSERT_EQ(v2->versions.size(), 2u);
  EXPECT_EQ(v2->versions[1].plan.version, 2);
  EXPECT_EQ((*book().Version("starter", 1))->base_fee_minor, 4'900);
  EXPECT_EQ((*book().Version("starter", 2))->base_fee_minor, 5'900);
  EXPECT_EQ(book().Version("starter", 3).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(book().Version("gold", 1).error().code, ErrorCode::kNotFound);

  catalog::Plan euros = next;
  euros.currency = *money::FindCurrency("EUR");
  auto refused = book().AddVersion("starter", euros, Now(), "test");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().param, "currency");
  EXPECT_EQ(book().AddVersion("gold", next, Now(), "test").error().code, ErrorCode::kNotFound);

  catalog::Plan fresh = Starter();
  fresh.id = "pro";
  fresh.name = "Pro";
  auto created = book().Create(fresh, Now(), "test");
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_EQ(created->versions.size(), 1u);
  EXPECT_EQ(book().Create(fresh, Now(), "test").error().code, ErrorCode::kConflict);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM billing_audit WHERE action IN ('plan.create', 'plan.version.create')"), 2);
}

TEST_P(PlanBookTest, NewSubscriptionsGetTheVersionEffectiveWhenTheyStart) {
  catalog::Plan later = Starter();
  later.base_fee_minor = 6'900;
  TimePoint in_a_day = Now() + std::chrono::hours(24);
  ASSERT_TRUE(book().AddVersion("starter", later, in_a_day, "test").ok());
  EXPECT_EQ(book().Get("starter")->CurrentAt(Now()).plan.version, 1) << "not effective yet";
  EXPECT_EQ(book().Get("starter")->CurrentAt(in_a_day).plan.version, 2);

  auto& subs = services_->subscriptions();
  std::string early = services_->AddCustomer("Early");
  auto first = subs.Create(early, "starter", Now(), subscriptions::Status::kActive, "test");
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->VersionAt(Now()), 1);
  services_->clock().Advance(std::chrono::hours(25));
  std::string late = services_->AddCustomer("Late");
  auto second = subs.Create(late, "starter", Now(), subscriptions::Status::kActive, "test");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->VersionAt(Now()), 2);
  EXPECT_EQ(subs.ForCustomer(early)->VersionAt(Now()), 1) << "an existing subscription stays until moved";

  // Moving only the subscriptions on version 1, and from a version the plan lacks.
  auto moved = subs.MoveAtPeriodEnd({"starter", 2, 1}, "test");
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(moved->moved, 1);
  EXPECT_EQ(subs.MoveAtPeriodEnd({"starter", 9, 0}, "test").error().code, ErrorCode::kNotFound);
  auto sub = subs.ForCustomer(early);
  Period current = sub->PeriodAt(Now());
  EXPECT_EQ(sub->VersionAt(current.start), 1);
  EXPECT_EQ(sub->VersionAt(current.end), 2);
}

TEST_P(PlanBookTest, ArchivedPlansAndPlansInAnotherCurrencyRefuseNewSubscriptions) {
  auto& subs = services_->subscriptions();
  std::string euro_customer = services_->AddCustomer("Euro Ads", "FR", "EUR");
  auto other_currency = subs.Create(euro_customer, "growth", Now(), subscriptions::Status::kActive, "test");
  ASSERT_FALSE(other_currency.ok());
  EXPECT_EQ(other_currency.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(other_currency.error().param, "plan_id");
  EXPECT_NE(other_currency.error().message.find("priced in USD"), std::string::npos) << other_currency.error().message;

  catalog::Plan euro = Starter();
  euro.id = "starter-eu";
  euro.currency = *money::FindCurrency("EUR");
  ASSERT_TRUE(book().Create(euro, Now(), "test").ok());
  EXPECT_TRUE(subs.Create(euro_customer, "starter-eu", Now(), subscriptions::Status::kActive, "test").ok());

  std::string customer = services_->AddCustomer("Acme");
  auto archived = book().Archive("growth", "test");
  ASSERT_TRUE(archived.ok());
  EXPECT_TRUE(archived->archived_at.has_value());
  EXPECT_TRUE(book().Archive("growth", "test").ok()) << "idempotent";
  EXPECT_EQ(Count("SELECT COUNT(*) FROM billing_audit WHERE action = 'plan.archive'"), 1);
  auto refused = subs.Create(customer, "growth", Now(), subscriptions::Status::kActive, "test");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().param, "plan_id");
  EXPECT_EQ(subs.Create(customer, "gold", Now(), subscriptions::Status::kActive, "test").error().param, "plan_id");
}

// A database an older billingd left (migrations up to 0013, plans mirrored
// from the catalog, a subscription) upgrades in place: its subscriptions are on
// version 1, which the catalog seeds with the prices they were billed at.
TEST_P(PlanBookTest, ADatabaseFromBeforeVersionsUpgradesToVersionOne) {
  auto old = TestDatabase::Create(GetParam());
  storage::Database& db = old->db();
  ASSERT_TRUE(storage::Migrator(db).Apply({}, 13).ok());
  ASSERT_TRUE(db.Execute("INSERT INTO plans (id, name, currency, base_fee_minor, definition, created_at, updated_at) "
                         "VALUES ('growth', 'Growth', 'USD', 29900, '{}', 0, 0)")
                  .ok());
  ASSERT_TRUE(db.Execute("INSERT INTO customers (id, name, country, currency, created_at, updated_at) "
                         "VALUES ('cus_old', 'Old Ads', 'US', 'USD', 0, 0)")
                  .ok());
  ASSERT_TRUE(db.Execute("INSERT INTO subscriptions (id, customer_id, plan_id, status, billing_anchor, "
                         "current_period_start, current_period_end, created_at, updated_at) "
                         "VALUES ('sub_old', 'cus_old', 'growth', 'active', 0, 0, 1, 0, 0)")
                  .ok());
  auto rest = storage::Migrator(db).Apply();
  ASSERT_TRUE(rest.ok()) << rest.error().message;
  EXPECT_GE(*rest, 1);
  plans::PlanBook book(db, catalog::Catalog::Default(), services_->clock());
  ASSERT_TRUE(book.Seed().ok());
  auto growth = book.Get("growth");
  ASSERT_TRUE(growth.ok()) << growth.error().message;
  ASSERT_EQ(growth->versions.size(), 1u);
  EXPECT_EQ(growth->versions[0].plan.base_fee_minor, 29'900);
  auto sub = subscriptions::SubscriptionService::Find(db, "cus_old");
  ASSERT_TRUE(sub.ok() && sub->has_value());
  EXPECT_EQ((*sub)->VersionAt(Now()), 1);
  auto priced = (*sub)->PlanAt(book, Now());
  ASSERT_TRUE(priced.ok()) << priced.error().message;
  EXPECT_EQ((*priced)->base_fee_minor, 29'900);
}

INSTANTIATE_TEST_SUITE_P(Backends, PlanBookTest, ::testing::ValuesIn(TestBackends()),
                         [](const auto& info) { return BackendParamName(info.param); });

}  // namespace
}  // namespace meterline::testing
