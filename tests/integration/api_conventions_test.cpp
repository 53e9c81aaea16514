// The API's conventions, once per backend: one list envelope with offset and
// cursor paging, field-level errors (error.param), Idempotency-Key on creating
// POSTs, customers' external_id and metadata (and usage events that name a
// customer by it), unknown fields refused, CloudEvents in binary content mode.
#include <boost/json/serialize.hpp>

#include <zlib.h>
#include <zstd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <tuple>

#include "security/security_fixture.hpp"

namespace meterline::testing {
namespace {

namespace json = boost::json;

class ApiConventionsTest : public SecurityTest {
 protected:
  // A FakeClock, so that invoices made one after another have distinct
  // created_at (ties fall back to id order, which is the database's collation).
  ApiConventionsTest() { fake_now_ = TestNow(); }
  void SetUp() override {
    SecurityTest::SetUp();
    root_ = SignIn("root@meterline.test").Bearer();
  }

  json::object Json(const HttpResult& r) {
    boost::system::error_code ec;
    json::value v = json::parse(r.body, ec);
    EXPECT_FALSE(ec) << r.body;
    return v.is_object() ? v.as_object() : json::object();
  }
  std::string Param(const HttpResult& r) {
    auto error = Json(r).at("error").as_object();
    return error.contains("param") ? std::string(error.at("param").as_string()) : "";
  }
  HttpResult Patch(const std::string& path, const std::string& body, const std::string& auth) {
    return Client().Send("PATCH", path, body, {auth, "Content-Type: application/json"});
  }
  // The ids of a list answer's data.
  static std::vector<std::string> Ids(const json::object& list) {
    std::vector<std::string> ids;
    for (const auto& item : list.at("data").as_array()) {
      const auto& id = item.as_object().at("id");
      ids.push_back(id.is_string() ? std::string(id.as_string()) : std::to_string(id.to_number<int64_t>()));
    }
    return ids;
  }

  // Puts the customer on the starter plan, through the API.
  void SubscribeToStarter(const std::string& customer) {
    HttpResult r = Client().Post("/api/v1/billing/subscriptions",
                                 R"({"customer_id":")" + customer + R"(","plan_id":"starter"})", {root_});
    ASSERT_EQ(r.status, 201) << r.body;
  }

  std::string root_;
};

TEST_P(ApiConventionsTest, EveryListAnswersWithOneEnvelope) {
  for (const char* path : {"/api/v1/billing/customers", "/api/v1/billing/invoices", "/api/v1/billing/reconciliations",
                           "/api/v1/admin/users", "/api/v1/admin/api-keys", "/api/v1/admin/webhooks/stripe"}) {
    HttpResult r = Client().Get(path, {root_});
    ASSERT_EQ(r.status, 200) << path << " " << r.body;
    json::object list = Json(r);
    EXPECT_EQ(list.at("object").as_string(), "list") << path;
    EXPECT_TRUE(list.at("data").is_array()) << path;
    EXPECT_TRUE(list.at("has_more").is_bool()) << path;
    EXPECT_TRUE(list.at("limit").is_int64()) << path;
    EXPECT_EQ(list.at("offset").as_int64(), 0) << path;
    EXPECT_TRUE(list.at("next_offset").is_null()) << path;
  }
  // Offset paging: has_more and next_offset agree.
  HttpResult first = Client().Get("/api/v1/billing/customers?limit=1", {root_});
  json::object page = Json(first);
  EXPECT_EQ(page.at("data").as_array().size(), 1u);
  EXPECT_TRUE(page.at("has_more").as_bool());
  EXPECT_EQ(page.at("next_offset").as_int64(), 1);
  json::object last = Json(Client().Get("/api/v1/billing/customers?limit=1&offset=1", {root_}));
  EXPECT_FALSE(last.at("has_more").as_bool());
  EXPECT_TRUE(last.at("next_offset").is_null());
  EXPECT_NE(Ids(page), Ids(last));
  // Lists that page by offset only say so.
  HttpResult cursor = Client().Get("/api/v1/billing/customers?starting_after=" + customer_a_, {root_});
  EXPECT_EQ(cursor.status, 400);
  EXPECT_EQ(Param(cursor), "starting_after");
}

TEST_P(ApiConventionsTest, InvoiceCursorsWalkTheListInNumberOrder) {
  auto& invoices = *billingd_->app().invoices;
  TimePoint start = FromUnixMillis(int64_t{1'767'225'600'000});  // 2026-01-01
  std::vector<std::string> created;
  for (int month = 0; month < 7; ++month) {
    Period period{start + std::chrono::hours(24 * 31 * month), start + std::chrono::hours(24 * 31 * (month + 1))};
    billingd_->fake_clock()->Advance(std::chrono::milliseconds(1));
    auto draft = invoices.CreateDraft(customer_a_, "EUR", period, {});
    ASSERT_TRUE(draft.ok()) << draft.error().message;
    created.push_back(draft->id);
  }
  // Finalized out of creation order: numbers follow finalization, and the
  // list follows the numbers.
  for (int i : {4, 0, 2, 1, 3}) ASSERT_TRUE(invoices.Finalize(created[i]).ok());
  auto bob_draft = invoices.CreateDraft(customer_b_, "USD", {start, start + std::chrono::hours(24)}, {});
  ASSERT_TRUE(bob_draft.ok());

  std::string alice = SignIn("alice@acme.test").Bearer();
  json::object all = Json(Client().Get("/api/v1/billing/invoices?limit=100", {alice}));
  std::vector<std::string> expected = {created[6], created[5], created[3], created[1],
                                       created[2], created[0], created[4]};
  EXPECT_EQ(Ids(all), expected) << "drafts newest first, then numbers from the highest down";
  EXPECT_EQ(all.at("total").as_int64(), 7);
  std::vector<std::string> numbers;
  for (const auto& inv : all.at("data").as_array()) {
    if (!inv.as_object().at("number").is_null()) numbers.emplace_back(inv.as_object().at("number").as_string());
  }
  ASSERT_EQ(numbers.size(), 5u);
  EXPECT_TRUE(std::is_sorted(numbers.rbegin(), numbers.rend()));

  // Forward by starting_after, two at a time.
  std::vector<std::string> walked;
  std::string after;
  for (int guard = 0; guard < 10; ++guard) {
    HttpResult r =
        Client().Get("/api/v1/billing/invoices?limit=2" + (after.empty() ? "" : "&starting_after=" + after), {alice});
    ASSERT_EQ(r.status, 200) << r.body;
    json::object page = Json(r);
    EXPECT_TRUE(after.empty() ? page.at("offset").as_int64() == 0 : page.at("offset").is_null());
    auto ids = Ids(page);
    walked.insert(walked.end(), ids.begin(), ids.end());
    if (!page.at("has_more").as_bool()) break;
    after = ids.back();
  }
  EXPECT_EQ(walked, expected);

  // Backward by ending_before from the last one.
  std::vector<std::string> back;
  std::string before = expected.back();
  for (int guard = 0; guard < 10; ++guard) {
    HttpResult r = Client().Get("/api/v1/billing/invoices?limit=2&ending_before=" + before, {alice});
    ASSERT_EQ(r.status, 200) << r.body;
    json::object page = Json(r);
    auto ids = Ids(page);
    back.insert(back.begin(), ids.begin(), ids.end());
    if (!page.at("has_more").as_bool()) break;
    before = ids.front();
  }
  EXPECT_EQ(back, std::vector<std::string>(expected.begin(), expected.end() - 1));

  // A cursor must be an invoice of this list: another customer's is refused.
  HttpResult foreign = Client().Get("/api/v1/billing/invoices?starting_after=" + bob_draft->id, {alice});
  EXPECT_EQ(foreign.status, 400);
  EXPECT_EQ(Param(foreign), "starting_after");
  HttpResult both = Client().Get("/api/v1/billing/invoices?starting_after=" + created[0] + "&offset=2", {alice});
  EXPECT_EQ(both.status, 400);
  EXPECT_EQ(Param(both), "offset");
}

TEST_P(ApiConventionsTest, ValidationErrorsNameTheField) {
  HttpResult empty = Client().Post("/api/v1/billing/customers", R"({"name":""})", {root_});
  EXPECT_EQ(empty.status, 400);
  EXPECT_EQ(Param(empty), "name");
  HttpResult email = Client().Post("/api/v1/billing/customers", R"({"name":"N","email":"nope"})", {root_});
  EXPECT_EQ(Param(email), "email");
  HttpResult unknown = Client().Post("/api/v1/billing/customers", R"({"name":"N","colour":"red"})", {root_});
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(Param(unknown), "colour");
  EXPECT_NE(unknown.body.find("unknown field 'colour'"), std::string::npos) << unknown.body;
  HttpResult status = Client().Get("/api/v1/billing/invoices?status=bogus", {root_});
  EXPECT_EQ(Param(status), "status");
  HttpResult limit = Client().Get("/api/v1/admin/users?limit=0", {root_});
  EXPECT_EQ(limit.status, 400);
  EXPECT_EQ(Param(limit), "limit");
  HttpResult plan = Client().Post("/api/v1/billing/subscriptions",
                                  R"({"customer_id":")" + customer_a_ + R"(","plan_id":"platinum"})", {root_});
  EXPECT_EQ(plan.status, 400);
  EXPECT_EQ(Param(plan), "plan_id");
  HttpResult login = Client().Post("/api/v1/auth/login", R"({"email":"a@b.c","password":"x","remember":true})");
  EXPECT_EQ(Param(login), "remember");
  // An error about no one field has no param.
  EXPECT_FALSE(
      Json(Client().Get("/api/v1/billing/customers/cus_nope", {root_})).at("error").as_object().contains("param"));
}

TEST_P(ApiConventionsTest, ASubscriptionMayStartWithATrial) {
  std::string prefix = R"({"customer_id":")" + customer_a_ + R"(","plan_id":"starter")";
  HttpResult too_long = Client().Post("/api/v1/billing/subscriptions", prefix + R"(,"trial_days":731})", {root_});
  EXPECT_EQ(too_long.status, 400);
  EXPECT_EQ(Param(too_long), "trial_days");
  HttpResult active =
      Client().Post("/api/v1/billing/subscriptions", prefix + R"(,"trial_days":14,"status":"active"})", {root_});
  EXPECT_EQ(active.status, 400);
  EXPECT_EQ(Param(active), "status");
  HttpResult created = Client().Post("/api/v1/billing/subscriptions",
                                     prefix + R"(,"trial_days":14,"billing_anchor":"2026-11-01T00:20:00Z"})", {root_});
  ASSERT_EQ(created.status, 201) << created.body;
  json::object sub = Json(created);
  EXPECT_EQ(sub.at("status").as_string(), "trialing");
  EXPECT_EQ(sub.at("trial").as_object().at("start").as_string(), "2026-11-01T00:00:00.000Z");
  EXPECT_EQ(sub.at("trial").as_object().at("end").as_string(), "2026-11-15T00:00:00.000Z");
  EXPECT_EQ(sub.at("billing_anchor").as_string(), "2026-11-15T00:00:00.000Z");
  // Without trial_days, the plan's (Starter has none).
  HttpResult plain = Client().Post("/api/v1/billing/subscriptions",
                                   R"({"customer_id":")" + customer_b_ + R"(","plan_id":"starter"})", {root_});
  ASSERT_EQ(plain.status, 201) << plain.body;
  EXPECT_TRUE(Json(plain).at("trial").is_null());
  EXPECT_EQ(Json(plain).at("status").as_string(), "active");
}

TEST_P(ApiConventionsTest, WithoutStripeAPortalSessionIsRefusedClearly) {
  HttpResult r = Client().Post("/api/v1/billing/portal-session",
                               R"({"return_url":"https://x.test/","customer_id":")" + customer_a_ + R"("})", {root_});
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_NE(r.body.find("STRIPE_SECRET_KEY"), std::string::npos) << r.body;
}

TEST_P(ApiConventionsTest, CreatingPostsHonourIdempotencyKeys) {
  const std::string key = "Idempotency-Key: create-customer-0001";
  const std::string body = R"({"name":"Gamma Games","currency":"GBP"})";
  HttpResult first = Client().Post("/api/v1/billing/customers", body, {root_, key});
  ASSERT_EQ(first.status, 201) << first.body;
  HttpResult again = Client().Post("/api/v1/billing/customers", body, {root_, key});
  EXPECT_EQ(again.status, 201);
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(again.Header("Idempotent-Replayed"), "true");
  json::object list = Json(Client().Get("/api/v1/billing/customers?q=gamma", {root_}));
  EXPECT_EQ(list.at("data").as_array().size(), 1u) << "one customer, not two";

  HttpResult other = Client().Post("/api/v1/billing/customers", R"({"name":"Delta"})", {root_, key});
  EXPECT_EQ(other.status, 422);
  EXPECT_EQ(ErrorCode(other), "idempotency_key_reused");
  HttpResult short_key = Client().Post("/api/v1/billing/customers", body, {root_, "Idempotency-Key: short"});
  EXPECT_EQ(short_key.status, 400);
  EXPECT_EQ(Param(short_key), "Idempotency-Key");
  // Keys belong to their caller: another admin's same key is a new request.
  ASSERT_TRUE(billingd_->app()
                  .identity->CreateUser("second@meterline.test", kPassword, Role::kAdmin, "", "test", {"127.0.0.1", ""})
                  .ok());
  HttpResult second = Client().Post("/api/v1/billing/customers", body, {SignIn("second@meterline.test").Bearer(), key});
  EXPECT_EQ(second.status, 201);
  EXPECT_NE(Json(second).at("id"), Json(first).at("id"));

  // An API key's secret is shown once: a replay answers without it.
  const std::string key_key = "Idempotency-Key: create-api-key-0001";
  HttpResult created = Client().Post("/api/v1/admin/api-keys", R"({"name":"ingest"})", {root_, key_key});
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_TRUE(Json(created).at("secret").is_string());
  HttpResult replayed = Client().Post("/api/v1/admin/api-keys", R"({"name":"ingest"})", {root_, key_key});
  EXPECT_EQ(replayed.status, 201);
  EXPECT_TRUE(Json(replayed).at("secret").is_null());
  EXPECT_EQ(Json(replayed).at("id"), Json(created).at("id"));
  std::string stored = billingd_->database()
                           .db()
                           .Execute("SELECT response FROM billing_idempotency WHERE key = $1", {"create-api-key-0001"})
                           ->rows[0]
                           .Text(0);
  EXPECT_EQ(stored.find(std::string(Json(created).at("secret").as_string())), std::string::npos)
      << "the secret is not stored";

  // Subscriptions too.
  const std::string sub_key = "Idempotency-Key: create-subscription-01";
  std::string sub_body = R"({"customer_id":")" + customer_b_ + R"(","plan_id":"starter"})";
  HttpResult sub = Client().Post("/api/v1/billing/subscriptions", sub_body, {root_, sub_key});
  ASSERT_EQ(sub.status, 201) << sub.body;
  HttpResult sub_again = Client().Post("/api/v1/billing/subscriptions", sub_body, {root_, sub_key});
  EXPECT_EQ(sub_again.status, 201);
  EXPECT_EQ(sub_again.Header("Idempotent-Replayed"), "true");
  EXPECT_EQ(sub_again.body, sub.body);
}

TEST_P(ApiConventionsTest, CustomersCarryExternalIdAndMetadata) {
  HttpResult created = Client().Post(
      "/api/v1/billing/customers",
      R"({"name":"Pixel Press","external_id":"pub-42","metadata":{"tier":"gold","region":"eu"}})", {root_});
  ASSERT_EQ(created.status, 201) << created.body;
  json::object customer = Json(created);
  std::string id(customer.at("id").as_string());
  EXPECT_EQ(customer.at("external_id").as_string(), "pub-42");
  EXPECT_EQ(customer.at("metadata").as_object().at("tier").as_string(), "gold");

  HttpResult taken = Client().Post("/api/v1/billing/customers", R"({"name":"Copy","external_id":"pub-42"})", {root_});
  EXPECT_EQ(taken.status, 409);
  EXPECT_EQ(ErrorCode(taken), "external_id_taken");
  EXPECT_EQ(Param(taken), "external_id");

  // Search by name, email or external id; the user's text is literal.
  EXPECT_EQ(Ids(Json(Client().Get("/api/v1/billing/customers?q=PUB-4", {root_}))), std::vector<std::string>{id});
  EXPECT_EQ(Ids(Json(Client().Get("/api/v1/billing/customers?q=pixel", {root_}))), std::vector<std::string>{id});
  EXPECT_EQ(Ids(Json(Client().Get("/api/v1/billing/customers?q=acme.test", {root_}))),
            std::vector<std::string>{customer_a_});
  EXPECT_TRUE(Ids(Json(Client().Get("/api/v1/billing/customers?q=%25", {root_}))).empty()) << "% is not a wildcard";
  EXPECT_EQ(Ids(Json(Client().Get("/api/v1/billing/customers?q=" + customer_b_, {root_}))),
            std::vector<std::string>{customer_b_});

  // PATCH: fields given change; a metadata key set to "" (or null) goes.
  HttpResult patched = Patch("/api/v1/billing/customers/" + id,
                             R"({"name":"Pixel Press Ltd","metadata":{"tier":"","plan":"annual"}})", root_);
  ASSERT_EQ(patched.status, 200) << patched.body;
  json::object after = Json(patched);
  EXPECT_EQ(after.at("name").as_string(), "Pixel Press Ltd");
  EXPECT_EQ(after.at("external_id").as_string(), "pub-42");
  EXPECT_EQ(json::serialize(after.at("metadata")), R"({"plan":"annual","region":"eu"})");
  EXPECT_EQ(Json(Client().Get("/api/v1/billing/customers/" + id, {root_})).at("name").as_string(), "Pixel Press Ltd");
  EXPECT_EQ(Param(Patch("/api/v1/billing/customers/" + id, R"({"currency":"EUR"})", root_)), "currency");
  EXPECT_EQ(Param(Patch("/api/v1/billing/customers/" + customer_a_, R"({"external_id":"pub-42"})", root_)),
            "external_id");
  EXPECT_EQ(Patch("/api/v1/billing/customers/cus_nope", R"({"name":"x"})", root_).status, 404);
  EXPECT_EQ(
      Patch("/api/v1/billing/customers/" + customer_a_, R"({"name":"x"})", SignIn("alice@acme.test").Bearer()).status,
      403);
  // Stripe's metadata limits.
  std::string many = "{";
  for (int i = 0; i < 51; ++i) many += (i ? "," : "") + ("\"k" + std::to_string(i) + "\":\"v\"");
  many += "}";
  EXPECT_EQ(Param(Client().Post("/api/v1/billing/customers", R"({"name":"M","metadata":)" + many + "}", {root_})),
            "metadata");
  EXPECT_EQ(Param(Client().Post("/api/v1/billing/customers", R"({"name":"M","metadata":{"a[b]":"v"}})", {root_})),
            "metadata");
  EXPECT_EQ(Param(Client().Post("/api/v1/billing/customers", R"({"name":"M","metadata":{"n":5}})", {root_})),
            "metadata[n]");
  // The change is audited with the fields it touched.
  auto audited = billingd_->database().db().Execute(
      "SELECT data FROM billing_audit WHERE action = 'customer.update' AND customer_id = $1", {id});
  ASSERT_TRUE(audited.ok());
  ASSERT_EQ(audited->rows.size(), 1u);
  EXPECT_EQ(json::serialize(json::parse(audited->rows[0].Text(0))), R"({"fields":["name","metadata"]})");
}

TEST_P(ApiConventionsTest, UsageEventsMayNameTheCustomerByExternalId) {
  ASSERT_EQ(Patch("/api/v1/billing/customers/" + customer_a_, R"({"external_id":"pub-7"})", root_).status, 200);
  ASSERT_NO_FATAL_FAILURE(SubscribeToStarter(customer_a_));
  std::string at = FormatIso8601(clock().Now() - std::chrono::minutes(1));
  auto event = [&](const std::string& id, const std::string& who) {
    return R"({"id":")" + id + R"(",)" + who + R"(,"metric":"impressions","value":10,"timestamp":")" + at + R"("})";
  };
  std::string body = R"({"events":[)" + event("e1", R"("external_customer_id":"pub-7")") + "," +
                     event("e2", R"("external_customer_id":"pub-unknown")") + "," +
                     event("e3", R"("customer_id":")" + customer_a_ + R"(","external_customer_id":"pub-7")") + "," +
                     R"({"id":"e4","customer_id":")" + customer_a_ +
                     R"(","metric":"impressions","value":1,"timestamp":")" + at + R"(","colour":"red"})" + "]}";
  HttpResult r = Client().Post("/api/v1/usage/events", body, {root_});
  ASSERT_EQ(r.status, 200) << r.body;
  json::object result = Json(r);
  EXPECT_EQ(result.at("accepted").as_int64(), 1);
  std::map<std::string, std::string> reasons;
  for (const auto& rejected : result.at("rejected").as_array()) {
    reasons[std::string(rejected.as_object().at("id").as_string())] = rejected.as_object().at("reason").as_string();
  }
  EXPECT_EQ(reasons["e2"], "no customer has external_customer_id 'pub-unknown'");
  EXPECT_EQ(reasons["e3"], "give customer_id or external_customer_id, not both");
  EXPECT_EQ(reasons["e4"], "unknown field 'colour'");
  json::object usage = Json(Client().Get("/api/v1/billing/usage/current?customer_id=" + customer_a_, {root_}));
  EXPECT_EQ(usage.at("metrics").as_array()[0].as_object().at("usage").as_int64(), 10) << r.body;
}

TEST_P(ApiConventionsTest, CloudEventsInBinaryContentMode) {
  ASSERT_NO_FATAL_FAILURE(SubscribeToStarter(customer_a_));
  std::string at = FormatIso8601(clock().Now() - std::chrono::minutes(1));
  std::vector<std::string> headers = {root_,
                                      "Content-Type: application/json",
                                      "ce-specversion: 1.0",
                                      "ce-id: bin-1",
                                      "ce-source: %2Fad-server%2Feu",
                                      "ce-type: impressions",
                                      "ce-subject: " + customer_a_,
                                      "ce-time: " + at};
  HttpResult r = Client().Post("/api/v1/usage/events", R"({"value":25})", headers);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Json(r).at("accepted").as_int64(), 1) << r.body;
  HttpResult again = Client().Post("/api/v1/usage/events", R"({"value":25})", headers);
  EXPECT_EQ(Json(again).at("duplicates").as_array().size(), 1u) << "the ce-id dedupes";
  headers[2] = "ce-specversion: 0.3";
  headers[3] = "ce-id: bin-2";
  HttpResult old = Client().Post("/api/v1/usage/events", R"({"value":1})", headers);
  ASSERT_EQ(old.status, 200) << old.body;
  EXPECT_EQ(Json(old).at("accepted").as_int64(), 0);
  EXPECT_EQ(Json(old).at("rejected").as_array()[0].as_object().at("reason").as_string(), "specversion must be \"1.0\"");
}

// Plans with their charge models, and a price preview that runs the invoice
// builder: the same lines and totals an invoice would have.
TEST_P(ApiConventionsTest, PlansShowTheirChargesAndPricesPreviewExactly) {
  json::object plans = Json(Client().Get("/api/v1/admin/plans", {root_}));
  EXPECT_EQ(plans.at("object").as_string(), "list");
  EXPECT_EQ(plans.at("total").as_int64(), 4);
  EXPECT_EQ(Ids(plans), (std::vector<std::string>{"starter", "growth", "scale", "enterprise"}));
  HttpResult growth = Client().Get("/api/v1/admin/plans/growth", {root_});
  ASSERT_EQ(growth.status, 200) << growth.body;
  json::object plan = Json(growth);
  EXPECT_EQ(plan.at("base_fee").as_object().at("formatted").as_string(), "299.00");
  EXPECT_TRUE(plan.at("minimum_commitment").is_null());
  const auto& impressions = plan.at("metrics").as_array()[0].as_object();
  EXPECT_EQ(impressions.at("charge").as_object().at("model").as_string(), "included_then_overage");
  EXPECT_EQ(impressions.at("pricing").as_string(),
            "Ad impressions: first 10,000,000 included; then 0.50 USD per 1,000");
  EXPECT_EQ(Client().Get("/api/v1/admin/plans/platinum", {root_}).status, 404);
  std::string alice = SignIn("alice@acme.test").Bearer();
  EXPECT_EQ(Client().Get("/api/v1/admin/plans", {alice}).status, 403);

  // 2,345,678 impressions over at 0.50 / 1,000 = 1,172.839 -> 1,172.84; tax 19 % of 1,677.44 = 318.7136 -> 318.71.
  HttpResult preview =
      Client().Post("/api/v1/billing/price-preview",
                    R"({"plan":"growth","currency":"USD","tax_rate":"0.19",)"
                    R"("quantities":{"impressions":12345678,"api_calls":3000000,"data_transfer":612000000000}})",
                    {alice, "Content-Type: application/json"});
  ASSERT_EQ(preview.status, 200) << preview.body;
  json::object priced = Json(preview);
  const auto& lines = priced.at("lines").as_array();
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[1].as_object().at("description").as_string(),
            "Ad impressions over 10,000,000 included (12,345,678 used)");
  EXPECT_EQ(lines[1].as_object().at("amount").as_object().at("minor").as_int64(), 117284);
  EXPECT_EQ(priced.at("subtotal").as_object().at("minor").as_int64(), 167744);
  EXPECT_EQ(priced.at("tax").as_object().at("minor").as_int64(), 31871);
  EXPECT_EQ(priced.at("total").as_object().at("formatted").as_string(), "1996.15");
  // Mistakes name their field.
  auto param_of = [&](const std::string& body) {
    HttpResult r = Client().Post("/api/v1/billing/price-preview", body, {alice, "Content-Type: application/json"});
    EXPECT_EQ(r.status, 400) << body << ": " << r.body;
    return Param(r);
  };
  EXPECT_EQ(param_of(R"({"plan":"platinum"})"), "plan");
  EXPECT_EQ(param_of(R"({"plan":"growth","currency":"EUR"})"), "currency");
  EXPECT_EQ(param_of(R"({"plan":"growth","quantities":{"seats":3}})"), "quantities[seats]");
  EXPECT_EQ(param_of(R"({"plan":"growth","quantities":{"impressions":-3}})"), "quantities[impressions]");
  EXPECT_EQ(param_of(R"({"plan":"growth","tax_rate":"1.5"})"), "tax_rate");
  EXPECT_EQ(param_of(R"({"plan":"growth","discount":"10%"})"), "discount");
}

// Plans are rows: created, given versions, archived and migrated through the
// API by admins; mistakes name their field, down to a tier.
TEST_P(ApiConventionsTest, PlansAreCreatedVersionedArchivedAndMigratedByAdmins) {
  const std::string json_type = "Content-Type: application/json";
  auto post = [&](const std::string& path, const std::string& body, const std::string& who) {
    return Client().Post(path, body, {who, json_type});
  };
  const std::string plan_body = R"({"id":"publisher-pro","name":"Publisher Pro","currency":"USD","base_fee":"149.00",
    "limits":{"impressions":5000000,"api_calls":500000,"data_transfer":100000000000},
    "charges":{"impressions":{"model":"graduated","tiers":[
      {"up_to":1000000,"unit_price":{"amount":"0","per":1000}},
      {"up_to":10000000,"unit_price":{"amount":"0.40","per":1000}},
      {"unit_price":{"amount":"0.30","per":1000}}]}}})";
  HttpResult created = post("/api/v1/admin/plans", plan_body, root_);
  ASSERT_EQ(created.status, 201) << created.body;
  json::object plan = Json(created);
  EXPECT_EQ(plan.at("version").as_int64(), 1);
  EXPECT_FALSE(plan.at("archived").as_bool());
  ASSERT_EQ(plan.at("versions").as_array().size(), 1u);
  EXPECT_EQ(std::string(plan.at("metrics").as_array()[0].at("pricing").as_string()),
            "Ad impressions: first 1,000,000 included; 1,000,001–10,000,000 at 0.40 USD per 1,000; "
            "above 10,000,000 at 0.30 USD per 1,000");
  EXPECT_EQ(post("/api/v1/admin/plans", plan_body, root_).status, 409);

  std::string alice = SignIn("alice@acme.test").Bearer();
  EXPECT_EQ(post("/api/v1/admin/plans", plan_body, alice).status, 403);
  EXPECT_EQ(post("/api/v1/admin/plans/publisher-pro/versions", R"({"base_fee":"1.00"})", alice).status, 403);

  auto param_of = [&](const std::string& path, const std::string& body) {
    HttpResult r = post(path, body, root_);
    EXPECT_EQ(r.status, 400) << body << ": " << r.body;
    return Param(r);
  };
  EXPECT_EQ(param_of("/api/v1/admin/plans/publisher-pro/versions",
                     R"({"base_fee":"149.00","limits":{"impressions":1,"api_calls":1,"data_transfer":1},
                        "charges":{"impressions":{"model":"graduated","tiers":[
                          {"up_to":1000,"unit_price":{"amount":"0","per":1}},
                          {"up_to":5000,"unit_price":{"amount":"1","per":1}},
                          {"up_to":4000,"unit_price":{"amount":"1","per":1}},
                          {"unit_price":{"amount":"1","per":1}}]}}})"),
            "charges.impressions.tiers[2].up_to");
  EXPECT_EQ(
      param_of("/api/v1/admin/plans/publisher-pro/versions",
               R"({"base_fee":"1.00","currency":"EUR","limits":{"impressions":1,"api_calls":1,"data_transfer":1}})"),
      "currency");
  EXPECT_EQ(param_of("/api/v1/admin/plans/publisher-pro/versions", R"({"base_fee":"1.00"})"), "limits");
  EXPECT_EQ(param_of("/api/v1/admin/plans", R"({"id":"Bad Id","name":"B","currency":"USD","base_fee":"1",
                        "limits":{"impressions":1,"api_calls":1,"data_transfer":1}})"),
            "id");
  EXPECT_EQ(param_of("/api/v1/admin/plans", R"({"id":"x","name":"X","currency":"USD","base_fee":"1.001",
                        "limits":{"impressions":1,"api_calls":1,"data_transfer":1}})"),
            "base_fee");
  EXPECT_EQ(param_of("/api/v1/admin/plans", R"({"id":"x","name":"X","currency":"USD","base_fee":"1",
                        "limits":{"impressions":1,"api_calls":1,"data_transfer":1},"effective_at":"soon"})"),
            "effective_at");
  EXPECT_EQ(post("/api/v1/admin/plans/platinum/versions", R"({"base_fee":"1.00"})", root_).status, 404);

  HttpResult v2 = post("/api/v1/admin/plans/publisher-pro/versions",
                       R"({"base_fee":"179.00","limits":{"impressions":5000000,"api_calls":500000,
                           "data_transfer":100000000000}})",
                       root_);
  ASSERT_EQ(v2.status, 201) << v2.body;
  json::object versioned = Json(v2);
  EXPECT_EQ(versioned.at("version").as_int64(), 2);
  EXPECT_EQ(versioned.at("name").as_string(), "Publisher Pro") << "the name carries over";
  EXPECT_EQ(versioned.at("base_fee").at("formatted").as_string(), "179.00");
  const auto& versions = versioned.at("versions").as_array();
  ASSERT_EQ(versions.size(), 2u);
  EXPECT_FALSE(versions[0].at("current").as_bool());
  EXPECT_EQ(versions[0].at("definition").at("charges").at("impressions").at("model").as_string(), "graduated");

  // A preview of either version.
  HttpResult old_price = post("/api/v1/billing/price-preview", R"({"plan":"publisher-pro","version":1})", alice);
  ASSERT_EQ(old_price.status, 200) << old_price.body;
  EXPECT_EQ(Json(old_price).at("total").at("minor").as_int64(), 14'900);
  EXPECT_EQ(Json(post("/api/v1/billing/price-preview", R"({"plan":"publisher-pro"})", alice)).at("version").as_int64(),
            2);
  HttpResult no_version = post("/api/v1/billing/price-preview", R"({"plan":"publisher-pro","version":3})", alice);
  EXPECT_EQ(no_version.status, 400);
  EXPECT_EQ(Param(no_version), "version");

  // Subscribed on version 2, then moved back to 1 from the next period.
  ASSERT_EQ(Client()
                .Post("/api/v1/billing/subscriptions",
                      R"({"customer_id":")" + customer_a_ + R"(","plan_id":"publisher-pro"})", {root_, json_type})
                .status,
            201);
  HttpResult migrated =
      post("/api/v1/admin/plans/publisher-pro/migrate", R"({"to_version":1,"at":"period_end"})", root_);
  ASSERT_EQ(migrated.status, 200) << migrated.body;
  EXPECT_EQ(Json(migrated).at("moved").as_int64(), 1);
  EXPECT_EQ(Param(post("/api/v1/admin/plans/publisher-pro/migrate", R"({"to_version":1,"at":"now"})", root_)), "at");
  EXPECT_EQ(Param(post("/api/v1/admin/plans/publisher-pro/migrate", R"({"to_version":7})", root_)), "to_version");

  HttpResult archived = post("/api/v1/admin/plans/publisher-pro/archive", "", root_);
  ASSERT_EQ(archived.status, 200) << archived.body;
  EXPECT_TRUE(Json(archived).at("archived").as_bool());
  HttpResult refused =
      Client().Post("/api/v1/billing/subscriptions",
                    R"({"customer_id":")" + customer_b_ + R"(","plan_id":"publisher-pro"})", {root_, json_type});
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_EQ(Param(refused), "plan_id");
  // A plan priced in dollars and euros: the preview picks the prices by currency.
  HttpResult two = post("/api/v1/admin/plans", R"({"id":"duo","name":"Duo","currency":"USD","base_fee":"10.00",
    "limits":{"impressions":1000,"api_calls":1000,"data_transfer":1000},
    "prices":{"EUR":{"base_fee":"9.00","overage_prices":{"impressions":{"amount":"0.45","per":1000},
      "api_calls":{"amount":"0.09","per":1000},"data_transfer":{"amount":"0.04","per":1000000000}}}}})",
                        root_);
  ASSERT_EQ(two.status, 201) << two.body;
  EXPECT_EQ(Json(two).at("currencies").as_array().size(), 2u);
  HttpResult euros = post("/api/v1/billing/price-preview", R"({"plan":"duo","currency":"EUR"})", alice);
  ASSERT_EQ(euros.status, 200) << euros.body;
  EXPECT_EQ(Json(euros).at("total").at("formatted").as_string(), "9.00");
  EXPECT_EQ(Json(euros).at("currency").as_string(), "EUR");
  EXPECT_EQ(Param(post("/api/v1/billing/price-preview", R"({"plan":"duo","currency":"GBP"})", alice)), "currency");
  EXPECT_EQ(Param(post("/api/v1/admin/plans", R"({"id":"trio","name":"T","currency":"USD","base_fee":"1",
    "limits":{"impressions":1,"api_calls":1,"data_transfer":1},"prices":{"EUR":{"base_fee":"1"}}})",
                       root_)),
            "prices.EUR.overage_prices.impressions");
  json::object audit = Json(Client().Get("/api/v1/admin/audit?action=plan&limit=10", {root_}));
  std::vector<std::string> actions;
  for (const auto& entry : audit.at("data").as_array()) actions.emplace_back(entry.at("action").as_string());
  EXPECT_EQ(actions, (std::vector<std::string>{"plan.create", "plan.archive", "plan.migrate", "plan.version.create",
                                               "plan.create"}));
}

TEST_P(ApiConventionsTest, AdminsReadTheAuditLogByCursor) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(
        Patch("/api/v1/billing/customers/" + customer_a_, R"({"name":"Acme )" + std::to_string(i) + R"("})", root_)
            .status,
        200);
  }
  json::object first =
      Json(Client().Get("/api/v1/admin/audit?limit=2&action=customer&customer_id=" + customer_a_, {root_}));
  ASSERT_EQ(first.at("data").as_array().size(), 2u);
  EXPECT_TRUE(first.at("has_more").as_bool());
  const json::object& newest = first.at("data").as_array()[0].as_object();
  EXPECT_EQ(newest.at("action").as_string(), "customer.update");
  EXPECT_EQ(newest.at("customer_id").as_string(), customer_a_);
  EXPECT_EQ(newest.at("ip").as_string(), "127.0.0.1");
  std::vector<std::string> walked = Ids(first);
  std::string after = walked.back();
  for (int guard = 0; guard < 5; ++guard) {
    json::object page = Json(Client().Get(
        "/api/v1/admin/audit?limit=2&action=customer&customer_id=" + customer_a_ + "&starting_after=" + after,
        {root_}));
    auto ids = Ids(page);
    walked.insert(walked.end(), ids.begin(), ids.end());
    if (!page.at("has_more").as_bool()) break;
    after = ids.back();
  }
  // Five updates and the creation, newest first.
  ASSERT_EQ(walked.size(), 6u);
  EXPECT_TRUE(std::is_sorted(walked.begin(), walked.end(),
                             [](const std::string& a, const std::string& b) { return std::stoll(a) > std::stoll(b); }));
  EXPECT_EQ(Json(Client().Get("/api/v1/admin/audit?action=customer_&customer_id=" + customer_a_, {root_}))
                .at("data")
                .as_array()
                .size(),
            0u)
      << "the action prefix is literal";
  EXPECT_EQ(Client().Get("/api/v1/admin/audit", {SignIn("alice@acme.test").Bearer()}).status, 403);
  EXPECT_EQ(Param(Client().Get("/api/v1/admin/audit?starting_after=abc", {root_})), "starting_after");
}

// The official CloudEvents SDK (npm, tests/fakes) in its three HTTP modes.
TEST_P(ApiConventionsTest, CloudEventsFromTheOfficialSdk) {
  const std::string fakes = std::string(MTL_SOURCE_DIR) + "/tests/fakes";
  if (!std::filesystem::exists(fakes + "/node_modules/cloudevents")) {
    GTEST_SKIP() << "tests/fakes/node_modules is missing: run 'npm ci --prefix tests/fakes' (./scripts/test does)";
  }
  ASSERT_NO_FATAL_FAILURE(SubscribeToStarter(customer_a_));
  std::string token = root_.substr(std::string("Authorization: Bearer ").size());
  std::string at = FormatIso8601(clock().Now() - std::chrono::minutes(1));
  int64_t expected_usage = 0;
  for (const auto& [mode, events, value] :
       {std::tuple{"binary", 1, 7}, std::tuple{"structured", 1, 7}, std::tuple{"batch", 2, 15}}) {
    std::string command = "node " + fakes + "/cloudevents_send.js " + mode + " " + billingd_->base_url() + " " + token +
                          " " + customer_a_ + " " + at + " sdk-" + mode;
    std::string out;
    FILE* pipe = popen(command.c_str(), "r");
    ASSERT_NE(pipe, nullptr);
    char buffer[512];
    size_t n;
    while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
    pclose(pipe);
    ASSERT_EQ(out.substr(0, 4), "200 ") << mode << ": " << out;
    json::object result = json::parse(out.substr(4)).as_object();
    EXPECT_EQ(result.at("accepted").as_int64(), events) << mode << ": " << out;
    EXPECT_TRUE(result.at("rejected").as_array().empty()) << mode << ": " << out;
    expected_usage += value;
  }
  json::object usage = Json(Client().Get("/api/v1/billing/usage/current?customer_id=" + customer_a_, {root_}));
  EXPECT_EQ(usage.at("metrics").as_array()[0].as_object().at("usage").as_int64(), expected_usage);
}

// gzip with zlib, as an edge collector would send it.
std::string Gzip(const std::string& data) {
  z_stream stream{};
  EXPECT_EQ(deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&stream, data.size()), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&stream, Z_FINISH), Z_STREAM_END);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

// An edge collector's wire options: one event per line (application/x-ndjson)
// and gzip- or zstd-compressed bodies, alone or together; the decoded body stays within
// INGEST_MAX_BODY_BYTES, so a small compressed body cannot expand without bound.
TEST_P(ApiConventionsTest, UsageEventsAsJsonLinesGzipAndZstd) {
  ASSERT_NO_FATAL_FAILURE(SubscribeToStarter(customer_a_));
  std::string at = FormatIso8601(clock().Now() - std::chrono::minutes(1));
  auto event = [&](const std::string& id, int value) {
    return R"({"id":")" + id + R"(","customer_id":")" + customer_a_ + R"(","metric":"impressions","value":)" +
           std::to_string(value) + R"(,"timestamp":")" + at + R"("})";
  };
  auto post = [&](const std::string& body, const std::string& type, const std::string& encoding = "") {
    std::vector<std::string> headers = {root_, "Content-Type: " + type};
    if (!encoding.empty()) headers.push_back("Content-Encoding: " + encoding);
    return Client().Post("/api/v1/usage/events", body, headers);
  };
  std::string lines = event("n1", 1) + "\n\n" + event("n2", 2) + "\r\n" + event("n3", 4) + "\n";
  HttpResult ndjson = post(lines, "application/x-ndjson");
  ASSERT_EQ(ndjson.status, 200) << ndjson.body;
  EXPECT_EQ(Json(ndjson).at("accepted").as_int64(), 3);
  HttpResult gzipped =
      post(Gzip(R"({"events":[)" + event("g1", 8) + "," + event("n1", 1) + "]}"), "application/json", "gzip");
  ASSERT_EQ(gzipped.status, 200) << gzipped.body;
  EXPECT_EQ(Json(gzipped).at("accepted").as_int64(), 1);
  EXPECT_EQ(Json(gzipped).at("duplicates").as_array().size(), 1u) << "n1 was stored from the JSON Lines";
  HttpResult both = post(Gzip(event("b1", 16) + "\n" + event("b2", 32)), "application/x-ndjson", "gzip");
  ASSERT_EQ(both.status, 200) << both.body;
  EXPECT_EQ(Json(both).at("accepted").as_int64(), 2);
  json::object usage = Json(Client().Get("/api/v1/billing/usage/current?customer_id=" + customer_a_, {root_}));
  EXPECT_EQ(usage.at("metrics").as_array()[0].as_object().at("usage").as_int64(), 1 + 2 + 4 + 8 + 16 + 32)
      << "before the zstd one";

  HttpResult bad_line = post(event("x1", 1) + "\n{\"id\": \n", "application/x-ndjson");
  EXPECT_EQ(bad_line.status, 400);
  EXPECT_NE(bad_line.body.find("line 2"), std::string::npos) << bad_line.body;
  HttpResult not_gzip = post(R"({"events":[]})", "application/json", "gzip");
  EXPECT_EQ(not_gzip.status, 400);
  EXPECT_NE(not_gzip.body.find("invalid_encoding"), std::string::npos) << not_gzip.body;
  EXPECT_EQ(post(R"({"events":[]})", "application/json", "br").status, 415);
  // zstd too, with the same checks.
  std::string batch = R"({"events":[)" + event("z1", 64) + "]}";
  std::string zstd(ZSTD_compressBound(batch.size()), '\0');
  zstd.resize(ZSTD_compress(zstd.data(), zstd.size(), batch.data(), batch.size(), 3));
  HttpResult zstd_ok = post(zstd, "application/json", "zstd");
  ASSERT_EQ(zstd_ok.status, 200) << zstd_ok.body;
  EXPECT_EQ(Json(zstd_ok).at("accepted").as_int64(), 1);
  EXPECT_EQ(post(zstd.substr(0, zstd.size() / 2), "application/json", "zstd").status, 400) << "truncated";
  // A frame that does not record its decoded size (a streaming encoder's) decodes too.
  std::unique_ptr<ZSTD_CCtx, size_t (*)(ZSTD_CCtx*)> cctx(ZSTD_createCCtx(), ZSTD_freeCCtx);
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_contentSizeFlag, 0);
  std::string unsized_batch = R"({"events":[)" + event("z2", 128) + "]}";
  std::string unsized(ZSTD_compressBound(unsized_batch.size()), '\0');
  unsized.resize(
      ZSTD_compress2(cctx.get(), unsized.data(), unsized.size(), unsized_batch.data(), unsized_batch.size()));
  ASSERT_EQ(ZSTD_getFrameContentSize(unsized.data(), unsized.size()), ZSTD_CONTENTSIZE_UNKNOWN);
  HttpResult unsized_ok = post(unsized, "application/json", "zstd");
  ASSERT_EQ(unsized_ok.status, 200) << unsized_ok.body;
  EXPECT_EQ(Json(unsized_ok).at("accepted").as_int64(), 1);
  // A gzip trailer that lies about the decoded size (its last four bytes) is
  // only a hint for the buffer: the body is refused as corrupt, not trusted.
  std::string lying = Gzip(R"({"events":[)" + event("g2", 1) + "]}");
  lying.replace(lying.size() - 4, 4, "\xff\xff\xff\x7f");
  HttpResult lied = post(lying, "application/json", "gzip");
  EXPECT_EQ(lied.status, 400) << lied.body;
  EXPECT_NE(lied.body.find("invalid_encoding"), std::string::npos) << lied.body;
  std::string zstd_bomb(ZSTD_compressBound(size_t{32} << 20), '\0');
  std::string spaces(size_t{32} << 20, ' ');
  zstd_bomb.resize(ZSTD_compress(zstd_bomb.data(), zstd_bomb.size(), spaces.data(), spaces.size(), 3));
  EXPECT_EQ(post(zstd_bomb, "application/json", "zstd").status, 413);
  // 32 MiB of spaces compress to about 32 KiB; decoded they pass the 16 MiB limit.
  std::string bomb = R"({"events":[)" + std::string(size_t{32} << 20, ' ') + "]}";
  std::string compressed = Gzip(bomb);
  EXPECT_LT(compressed.size(), size_t{1} << 20);
  HttpResult refused = post(compressed, "application/json", "gzip");
  EXPECT_EQ(refused.status, 413) << refused.body;
  EXPECT_NE(refused.body.find("decoded body exceeds"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Backends, ApiConventionsTest, ::testing::ValuesIn(TestBackends()),
                         [](const auto& info) { return BackendParamName(info.param); });

}  // namespace
}  // namespace meterline::testing
