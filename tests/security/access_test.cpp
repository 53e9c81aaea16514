// Logins, roles, customer scoping, CSRF, API keys, audit, injection and timing.
#include <algorithm>
#include <chrono>
#include <thread>

#include "security/security_fixture.hpp"
#include "support/child_process.hpp"

namespace meterline::testing {
namespace {

int64_t AuditCount(BillingdHarness& b, const std::string& action) {
  auto r = b.database().db().Execute("SELECT COUNT(*) FROM billing_audit WHERE action = $1", {action});
  return r.ok() ? r->rows[0].Int(0) : -1;
}

TEST_P(SecurityTest, LoginSetsHardenedCookiesAndMeWorks) {
  HttpClient client = Client();
  HttpResult r =
      client.Post("/api/v1/auth/login", R"({"email":"Alice@Acme.test","password":")" + std::string(kPassword) + R"("})",
                  {"User-Agent: security-test"});
  ASSERT_EQ(r.status, 200) << r.body;
  std::string session_cookie, csrf_cookie;
  for (const auto& [k, v] : r.headers) {
    if (strcasecmp(k.c_str(), "set-cookie") != 0) continue;
    if (v.rfind("mtl_session=", 0) == 0) session_cookie = v;
    if (v.rfind("mtl_csrf=", 0) == 0) csrf_cookie = v;
  }
  EXPECT_NE(session_cookie.find("HttpOnly"), std::string::npos) << session_cookie;
  EXPECT_NE(session_cookie.find("SameSite=Lax"), std::string::npos);
  EXPECT_EQ(csrf_cookie.find("HttpOnly"), std::string::npos) << "the console must be able to read it";
  auto body = boost::json::parse(r.body).as_object();
  EXPECT_EQ(body.at("csrf_token").as_string(), CookieValue(r, "mtl_csrf"));
  EXPECT_EQ(body.at("user").as_object().at("customer_id").as_string(), customer_a_);
  EXPECT_EQ(r.body.find(kPassword), std::string::npos);

  SignedIn alice{CookieValue(r, "mtl_session"), CookieValue(r, "mtl_csrf")};
  HttpResult me = client.Get("/api/v1/auth/me", {alice.Cookie()});
  ASSERT_EQ(me.status, 200);
  EXPECT_NE(me.body.find("alice@acme.test"), std::string::npos);
  // The bearer form of the same token works too.
  EXPECT_EQ(client.Get("/api/v1/auth/me", {alice.Bearer()}).status, 200);
  EXPECT_GE(AuditCount(*billingd_, "auth.login"), 1);
  auto audit = billingd_->database().db().Execute(
      "SELECT ip, user_agent FROM billing_audit WHERE action = 'auth.login' ORDER BY id DESC");
  EXPECT_EQ(audit->rows.at(0).Text(0), "127.0.0.1");
  EXPECT_EQ(audit->rows.at(0).Text(1), "security-test");

  // Logout is a mutation of a cookie session: it needs the CSRF header, and
  // without it the cookies stay.
  HttpResult forged = client.Post("/api/v1/auth/logout", "", {alice.Cookie()});
  EXPECT_EQ(forged.status, 403);
  EXPECT_EQ(forged.Header("Set-Cookie"), "");
  // A cross-site form post carries no SameSite=Lax cookie: nothing to clear.
  HttpResult cookieless = client.Post("/api/v1/auth/logout", "", {});
  EXPECT_EQ(cookieless.status, 204);
  EXPECT_EQ(cookieless.Header("Set-Cookie"), "");
  HttpResult logout = client.Post("/api/v1/auth/logout", "", {alice.Cookie(), "X-CSRF-Token: " + alice.csrf});
  EXPECT_EQ(logout.status, 204);
  EXPECT_NE(logout.Header("Set-Cookie").find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(AuditCount(*billingd_, "auth.logout"), 1);
  // The token is refused from now on, as a cookie and as a bearer token,
  // although its signature and expiry are still good.
  HttpResult after = client.Get("/api/v1/auth/me", {alice.Cookie()});
  EXPECT_EQ(after.status, 401);
  EXPECT_EQ(ErrorCode(after), "session_revoked");
  EXPECT_EQ(client.Get("/api/v1/billing/invoices", {alice.Bearer()}).status, 401);
  // A stale session's cookies are cleared all the same (no CSRF to check).
  HttpResult stale = client.Post("/api/v1/auth/logout", "", {alice.Cookie()});
  EXPECT_EQ(stale.status, 204);
  EXPECT_NE(stale.Header("Set-Cookie").find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(AuditCount(*billingd_, "auth.logout"), 1);
  // Other sessions of the same user go on.
  SignedIn again = SignIn("alice@acme.test");
  EXPECT_EQ(client.Get("/api/v1/auth/me", {again.Bearer()}).status, 200);
  EXPECT_EQ(client.Post("/api/v1/auth/logout", "", {again.Bearer()}).status, 204);
  EXPECT_EQ(client.Get("/api/v1/auth/me", {again.Bearer()}).status, 401);
  // A bearer token and a cookie session in one logout: both end.
  SignedIn by_bearer = SignIn("alice@acme.test");
  SignedIn by_cookie = SignIn("alice@acme.test");
  EXPECT_EQ(
      client
          .Post("/api/v1/auth/logout", "", {by_bearer.Bearer(), by_cookie.Cookie(), "X-CSRF-Token: " + by_cookie.csrf})
          .status,
      204);
  EXPECT_EQ(client.Get("/api/v1/auth/me", {by_bearer.Bearer()}).status, 401);
  EXPECT_EQ(client.Get("/api/v1/auth/me", {by_cookie.Cookie()}).status, 401);

  // Rows go once their tokens have expired anyway.
  auth::IdentityService& identity = *billingd_->app().identity;
  ASSERT_TRUE(
      billingd_->database()
          .db()
          .Execute(
              "INSERT INTO revoked_sessions (jti, user_id, expires_at, revoked_at) VALUES ('old', 'usr_x', 1000, 1000)")
          .ok());
  auto purged = identity.PurgeRevokedSessions();
  ASSERT_TRUE(purged.ok());
  EXPECT_EQ(*purged, 1);
  EXPECT_EQ(client.Get("/api/v1/auth/me", {alice.Bearer()}).status, 401) << "unexpired revocations stay";
}

TEST_P(SecurityTest, ProductionCookiesAreSecure) {
  billingd_.reset();
  StartBillingd({{"MODE", "production"}, {"MIGRATE_ON_START", "true"}});
  SetUp2();
  HttpClient client = Client();
  HttpResult r =
      client.Post("/api/v1/auth/login", R"({"email":"alice@acme.test","password":")" + std::string(kPassword) + "\"}");
  ASSERT_EQ(r.status, 200);
  int secure = 0;
  for (const auto& [k, v] : r.headers) {
    if (strcasecmp(k.c_str(), "set-cookie") == 0 && v.find("; Secure") != std::string::npos) ++secure;
  }
  EXPECT_EQ(secure, 2);
}

TEST_P(SecurityTest, UnknownEmailAndWrongPasswordLookTheSame) {
  HttpClient client = Client();
  HttpResult unknown = client.Post("/api/v1/auth/login", R"({"email":"nobody@x.test","password":"whatever123"})");
  HttpResult wrong = client.Post("/api/v1/auth/login", R"({"email":"alice@acme.test","password":"whatever123"})");
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(ErrorCode(unknown), "invalid_credentials");
  auto strip_id = [](std::string body) { return body.substr(0, body.find("\"request_id\"")); };
  EXPECT_EQ(strip_id(unknown.body), strip_id(wrong.body));
  EXPECT_EQ(AuditCount(*billingd_, "auth.login_failed"), 2);
}

TEST_P(SecurityTest, RepeatedFailuresLockTheAccountWithBackoff) {
  HttpClient client = Client();
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(client.Post("/api/v1/auth/login", R"({"email":"bob@beta.test","password":"wrong-password"})").status,
              401);
  }
  // Now even the right password is refused for a while.
  HttpResult locked =
      client.Post("/api/v1/auth/login", R"({"email":"bob@beta.test","password":")" + std::string(kPassword) + "\"}");
  EXPECT_EQ(locked.status, 429);
  EXPECT_EQ(ErrorCode(locked), "too_many_attempts");
  EXPECT_GE(std::stoi(locked.Header("Retry-After").empty() ? "0" : locked.Header("Retry-After")), 1);
}

TEST_P(SecurityTest, LoginTimingDoesNotRevealWhichEmailsExist) {
  // Fresh server without lockout so every attempt runs the password hash,
  // at the real cost: the harness's cheap one takes too little time to measure.
  billingd_.reset();
  password_cost_ = auth::PasswordCost::kInteractive;
  StartBillingd({{"LOGIN_LOCKOUT_AFTER", "100000"}, {"RATE_LIMITS", "auth=100000/1m"}});
  auth::RequestOrigin origin{"", "test"};
  auto& identity = *billingd_->app().identity;
  auto customer = billingd_->app().customers->Create({"Timing", "", "", "USD"}, "test", origin);
  ASSERT_TRUE(identity.CreateUser("known@timing.test", kPassword, Role::kMember, customer->id, "test", origin).ok());
  HttpClient client = Client();
  auto time_login = [&](const std::string& email) {
    auto start = std::chrono::steady_clock::now();
    HttpResult r = client.Post("/api/v1/auth/login", R"({"email":")" + email + R"(","password":"wrong-password"})");
    EXPECT_EQ(r.status, 401);
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  };
  std::vector<double> known, unknown;
  for (int i = 0; i < 12; ++i) {  // interleaved, so load changes hit both alike
    known.push_back(time_login("known@timing.test"));
    unknown.push_back(time_login("unknown" + std::to_string(i) + "@timing.test"));
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  auto spread = [](std::vector<double> v) {  // interquartile range: the hash's own jitter
    std::sort(v.begin(), v.end());
    return v[v.size() * 3 / 4] - v[v.size() / 4];
  };
  double diff = std::abs(median(known) - median(unknown));
  double jitter = std::max({spread(known), spread(unknown), 0.1 * median(known)});
  EXPECT_LT(diff, jitter) << "known " << median(known) << " ms, unknown " << median(unknown) << " ms";
  EXPECT_GT(median(unknown), 5.0) << "the unknown-email path must spend the hash's time";
}

TEST_P(SecurityTest, MembersSeeOnlyTheirOwnCustomer) {
  SignedIn alice = SignIn("alice@acme.test");
  HttpClient client = Client();
  HttpResult own = client.Get("/api/v1/billing/customers/" + customer_a_, {alice.Cookie()});
  EXPECT_EQ(own.status, 200);
  HttpResult other = client.Get("/api/v1/billing/customers/" + customer_b_, {alice.Cookie()});
  EXPECT_EQ(other.status, 404) << "another customer's object must look missing";
  HttpResult missing = client.Get("/api/v1/billing/customers/cus_doesnotexist", {alice.Cookie()});
  EXPECT_EQ(missing.status, 404);
  auto strip_id = [](std::string body) {
    body = body.substr(0, body.find("\"request_id\""));
    return body.substr(0, body.find("no customer"));
  };
  EXPECT_EQ(strip_id(other.body), strip_id(missing.body));
  HttpResult admin_route = client.Get("/api/v1/billing/customers", {alice.Cookie()});
  EXPECT_EQ(admin_route.status, 403);
  EXPECT_EQ(ErrorCode(admin_route), "forbidden");
  EXPECT_EQ(client.Get("/api/v1/admin/api-keys", {alice.Bearer()}).status, 403);

  SignedIn root = SignIn("root@meterline.test");
  EXPECT_EQ(client.Get("/api/v1/billing/customers/" + customer_b_, {root.Cookie()}).status, 200);
  HttpResult list = client.Get("/api/v1/billing/customers?limit=10", {root.Cookie()});
  EXPECT_EQ(list.status, 200);
  EXPECT_EQ(boost::json::parse(list.body).as_object().at("data").as_array().size(), 2u);
}

TEST_P(SecurityTest, NoCredentialsIs401) {
  HttpClient client = Client();
  HttpResult r = client.Get("/api/v1/billing/customers");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(ErrorCode(r), "unauthenticated");
  EXPECT_EQ(client.Get("/api/v1/auth/me", {"Authorization: Basic dXNlcjpwYXNz"}).status, 401);
}

TEST_P(SecurityTest, CookieMutationsNeedTheCsrfToken) {
  SignedIn root = SignIn("root@meterline.test");
  SignedIn alice = SignIn("alice@acme.test");
  HttpClient client = Client();
  std::string body = R"({"name":"Gamma"})";
  HttpResult none = client.Post("/api/v1/billing/customers", body, {root.Cookie()});
  EXPECT_EQ(none.status, 403);
  EXPECT_EQ(ErrorCode(none), "csrf_failed");
  HttpResult wrong = client.Post("/api/v1/billing/customers", body, {root.Cookie(), "X-CSRF-Token: forged"});
  EXPECT_EQ(wrong.status, 403);
  // Another session's token (even a valid one) does not fit this session.
  HttpResult other_session =
      client.Post("/api/v1/billing/customers", body,
                  {"Cookie: mtl_session=" + root.session + "; mtl_csrf=" + alice.csrf, "X-CSRF-Token: " + alice.csrf});
  EXPECT_EQ(other_session.status, 403);
  HttpResult ok = client.Post("/api/v1/billing/customers", body, {root.Cookie(), "X-CSRF-Token: " + root.csrf});
  EXPECT_EQ(ok.status, 201) << ok.body;
  // Bearer requests carry no ambient credential: no CSRF token needed.
  EXPECT_EQ(client.Post("/api/v1/billing/customers", R"({"name":"Delta"})", {root.Bearer()}).status, 201);
  EXPECT_GE(AuditCount(*billingd_, "admin.POST"), 2);
}

TEST_P(SecurityTest, ApiKeysAuthenticateUntilRevoked) {
  SignedIn root = SignIn("root@meterline.test");
  HttpClient client = Client();
  HttpResult created = client.Post("/api/v1/admin/api-keys", R"({"name":"ops","role":"admin"})", {root.Bearer()});
  ASSERT_EQ(created.status, 201) << created.body;
  auto key = boost::json::parse(created.body).as_object();
  std::string secret(key.at("secret").as_string());
  std::string id(key.at("id").as_string());
  EXPECT_EQ(secret.rfind("mk_", 0), 0u);

  HttpResult listed = client.Get("/api/v1/admin/api-keys", {"Authorization: Bearer " + secret});
  ASSERT_EQ(listed.status, 200);
  EXPECT_EQ(listed.body.find(secret), std::string::npos) << "secrets are never listed";
  // Paged like every list (newest first: a later millisecond).
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_EQ(client.Post("/api/v1/admin/api-keys", R"({"name":"second"})", {root.Bearer()}).status, 201);
  EXPECT_EQ(client.Get("/api/v1/admin/api-keys?limit=101", {root.Bearer()}).status, 400);
  auto first_page = boost::json::parse(client.Get("/api/v1/admin/api-keys?limit=1", {root.Bearer()}).body).as_object();
  ASSERT_EQ(first_page.at("data").as_array().size(), 1u);
  EXPECT_EQ(first_page.at("data").as_array()[0].at("name").as_string(), "second") << "newest first";
  EXPECT_EQ(first_page.at("next_offset").as_int64(), 1);
  auto last_page =
      boost::json::parse(client.Get("/api/v1/admin/api-keys?limit=1&offset=1", {root.Bearer()}).body).as_object();
  ASSERT_EQ(last_page.at("data").as_array().size(), 1u);
  EXPECT_EQ(last_page.at("data").as_array()[0].at("name").as_string(), "ops");
  EXPECT_TRUE(last_page.at("next_offset").is_null());
  auto stored = billingd_->database().db().Execute("SELECT key_hash, last_used_at FROM api_keys WHERE id = $1", {id});
  EXPECT_NE(stored->rows.at(0).Text(0), secret) << "only a hash is stored";
  EXPECT_FALSE(stored->rows.at(0).IsNull(1)) << "last use is recorded";

  HttpResult service = client.Post("/api/v1/admin/api-keys",
                                   R"({"name":"ingest","customer_id":")" + customer_a_ + R"("})", {root.Bearer()});
  ASSERT_EQ(service.status, 201);
  std::string service_secret(boost::json::parse(service.body).as_object().at("secret").as_string());
  EXPECT_EQ(client.Get("/api/v1/admin/api-keys", {"Authorization: Bearer " + service_secret}).status, 403);
  // An admin key bound to a customer would look scoped but reach everyone.
  HttpResult bound_admin =
      client.Post("/api/v1/admin/api-keys", R"({"name":"x","role":"admin","customer_id":")" + customer_a_ + R"("})",
                  {root.Bearer()});
  EXPECT_EQ(bound_admin.status, 400) << bound_admin.body;

  EXPECT_EQ(client.Send("DELETE", "/api/v1/admin/api-keys/" + id, "", {root.Bearer()}).status, 204);
  HttpResult revoked = client.Get("/api/v1/admin/api-keys", {"Authorization: Bearer " + secret});
  EXPECT_EQ(revoked.status, 401);
  EXPECT_EQ(ErrorCode(revoked), "invalid_api_key");
  EXPECT_EQ(client.Get("/api/v1/admin/api-keys", {"Authorization: Bearer mk_made_up_key"}).status, 401);
  EXPECT_EQ(AuditCount(*billingd_, "api_key.create"), 3);
  EXPECT_EQ(AuditCount(*billingd_, "api_key.revoke"), 1);
}

TEST_P(SecurityTest, SqlMetacharactersAreJustData) {
  SignedIn root = SignIn("root@meterline.test");
  HttpClient client = Client();
  const std::string evil = "x' OR '1'='1'; DROP TABLE customers; --";
  EXPECT_EQ(client.Post("/api/v1/auth/login", R"({"email":")" + evil + R"(","password":")" + evil + "\"}").status, 401);
  EXPECT_EQ(client.Get("/api/v1/billing/customers/cus_x'%20OR%20'1'='1", {root.Bearer()}).status, 404);
  EXPECT_EQ(client.Get("/api/v1/billing/customers?limit=1;DROP%20TABLE%20customers", {root.Bearer()}).status, 400);
  HttpResult created =
      client.Post("/api/v1/billing/customers", R"({"name":"x'); DROP TABLE customers; --"})", {root.Bearer()});
  ASSERT_EQ(created.status, 201);
  std::string id(boost::json::parse(created.body).as_object().at("id").as_string());
  HttpResult read = client.Get("/api/v1/billing/customers/" + id, {root.Bearer()});
  EXPECT_NE(read.body.find("DROP TABLE customers"), std::string::npos);
  auto count = billingd_->database().db().Execute("SELECT COUNT(*) FROM customers");
  ASSERT_TRUE(count.ok()) << "the customers table must still exist";
  EXPECT_EQ(count->rows[0].Int(0), 3);
}

TEST_P(SecurityTest, CliCreatesCustomersUsersAndKeys) {
  std::map<std::string, std::string> env = {{"DATABASE_URL", billingd_->database().url()},
                                            {"JWT_SECRET", BillingdHarness::kJwtSecret},
                                            {"CONSOLE_DIR", "/nonexistent"}};
  RunResult customer = RunBillingd({"customer", "create", "--name", "CLI Corp", "--country", "FR"}, env);
  ASSERT_EQ(customer.exit_code, 0) << customer.err;
  std::string customer_id = customer.out.substr(0, customer.out.find('\n'));
  EXPECT_EQ(customer_id.rfind("cus_", 0), 0u);
  RunResult user =
      RunBillingd({"user", "create", "--email", "cli@corp.test", "--role", "member", "--customer", customer_id}, env,
                  "a-long-cli-password\n");
  ASSERT_EQ(user.exit_code, 0) << user.err;
  EXPECT_EQ(SignIn("cli@corp.test", "a-long-cli-password").session.empty(), false);
  RunResult short_password =
      RunBillingd({"user", "create", "--email", "x@corp.test", "--role", "admin"}, env, "short\n");
  EXPECT_EQ(short_password.exit_code, 1);
  EXPECT_EQ(short_password.err, "billingd: password must be at least 10 characters\n");
  RunResult key = RunBillingd({"apikey", "create", "--name", "edge", "--role", "service"}, env);
  ASSERT_EQ(key.exit_code, 0) << key.err;
  EXPECT_EQ(key.out.rfind("mk_", 0), 0u);
  RunResult list = RunBillingd({"apikey", "list"}, env);
  EXPECT_NE(list.out.find("edge"), std::string::npos);
  EXPECT_EQ(list.out.find(key.out.substr(0, key.out.size() - 1)), std::string::npos) << "list never shows secrets";
  RunResult bad = RunBillingd({"user", "create", "--email", "y@corp.test", "--role", "wizard"}, env);
  EXPECT_EQ(bad.exit_code, 2);
}

// Subscriptions: a member reads and previews its own, never another
// customer's (404); changing or canceling needs SELF_SERVICE_PLAN_CHANGES.
TEST_P(SecurityTest, MembersChangeOnlyTheirOwnSubscriptionAndOnlyWithSelfService) {
  auto& subs = *billingd_->app().subscriptions;
  auto own = subs.Create(customer_a_, "starter", clock().Now(), subscriptions::Status::kActive, "test");
  auto other = subs.Create(customer_b_, "starter", clock().Now(), subscriptions::Status::kActive, "test");
  ASSERT_TRUE(own.ok() && other.ok());
  SignedIn alice = SignIn("alice@acme.test");
  HttpClient client = Client();
  std::string base = "/api/v1/billing/subscriptions/";
  HttpResult read = client.Get(base + own->id, {alice.Bearer()});
  ASSERT_EQ(read.status, 200) << read.body;
  EXPECT_EQ(boost::json::parse(read.body).as_object().at("plan_id").as_string(), "starter");
  EXPECT_EQ(client.Get(base + other->id, {alice.Bearer()}).status, 404);

  std::string upgrade = R"({"plan":"growth"})";
  HttpResult preview = client.Post(base + own->id + "/change/preview", upgrade, {alice.Bearer()});
  ASSERT_EQ(preview.status, 200) << preview.body;
  auto parts = boost::json::parse(preview.body).as_object().at("parts").as_array();
  ASSERT_FALSE(parts.empty());
  EXPECT_EQ(parts.back().as_object().at("plan_id").as_string(), "growth");
  EXPECT_EQ(client.Post(base + other->id + "/change/preview", upgrade, {alice.Bearer()}).status, 404);
  HttpResult refused = client.Post(base + own->id + "/change", upgrade, {alice.Bearer()});
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(ErrorCode(refused), "self_service_disabled");
  EXPECT_EQ(client.Post(base + own->id + "/cancel", "{}", {alice.Bearer()}).status, 403);
  HttpResult offers = client.Get("/api/v1/billing/plans", {alice.Bearer()});
  ASSERT_EQ(offers.status, 200);
  EXPECT_EQ(boost::json::parse(offers.body).as_object().at("data").as_array().size(), 4u);

  SignedIn root = SignIn("root@meterline.test");
  HttpResult changed = client.Post(base + own->id + "/change", upgrade, {root.Bearer()});
  ASSERT_EQ(changed.status, 200) << changed.body;
  EXPECT_EQ(boost::json::parse(changed.body).as_object().at("subscription").as_object().at("plan_id").as_string(),
            "growth");
  HttpResult bad =
      client.Post(base + own->id + "/change", R"({"plan":"growth","effective":"tomorrow"})", {root.Bearer()});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(ErrorCode(bad), "invalid_request");

  // With self-service on, the member changes and cancels its own, still not another's.
  StartBillingd({{"SELF_SERVICE_PLAN_CHANGES", "true"}});
  SetUp2();
  auto& subs2 = *billingd_->app().subscriptions;
  auto own2 = subs2.Create(customer_a_, "starter", clock().Now(), subscriptions::Status::kActive, "test");
  auto other2 = subs2.Create(customer_b_, "starter", clock().Now(), subscriptions::Status::kActive, "test");
  ASSERT_TRUE(own2.ok() && other2.ok());
  SignedIn alice2 = SignIn("alice@acme.test");
  HttpClient client2 = Client();
  HttpResult mine = client2.Post(base + own2->id + "/change", upgrade, {alice2.Bearer()});
  EXPECT_EQ(mine.status, 200) << mine.body;
  EXPECT_EQ(client2.Post(base + other2->id + "/change", upgrade, {alice2.Bearer()}).status, 404);
  EXPECT_EQ(client2.Post(base + other2->id + "/cancel", "{}", {alice2.Bearer()}).status, 404);
  HttpResult cancel = client2.Post(base + own2->id + "/cancel", R"({"at":"now"})", {alice2.Bearer()});
  ASSERT_EQ(cancel.status, 200) << cancel.body;
  EXPECT_EQ(boost::json::parse(cancel.body).as_object().at("status").as_string(), "canceled");
  HttpResult again = client2.Post(base + own2->id + "/cancel", "{}", {alice2.Bearer()});
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(ErrorCode(again), "subscription_ended");
}

// Credit notes and credits: only admins issue and grant; a member reads its
// own customer's credit notes (with the PDF) and credits, never another's (404).
TEST_P(SecurityTest, MembersReadOnlyTheirOwnCreditNotesAndCredits) {
  auto& invoices = *billingd_->app().invoices;
  Period month{clock().Now() - std::chrono::hours(24 * 30), clock().Now()};
  auto draft =
      invoices.CreateDraft(customer_a_, "USD", month, {{"adjustment", "", "Setup service", 1, "120.00", 12000}});
  ASSERT_TRUE(draft.ok()) << draft.error().message;
  ASSERT_TRUE(invoices.Finalize(draft->id).ok());
  std::string path = "/api/v1/billing/invoices/" + draft->id + "/credit-notes";
  std::string body = R"({"reason":"order_change","lines":[{"line":1,"amount_minor":2000}],"memo":"Setup took a day"})";
  SignedIn alice = SignIn("alice@acme.test");
  SignedIn bob = SignIn("bob@beta.test");
  SignedIn root = SignIn("root@meterline.test");
  HttpClient client = Client();
  EXPECT_EQ(client.Post(path, body, {alice.Bearer()}).status, 403);
  HttpResult issued = client.Post(path, body, {root.Bearer()});
  ASSERT_EQ(issued.status, 201) << issued.body;
  auto note = boost::json::parse(issued.body).as_object();
  std::string id(note.at("id").as_string());
  EXPECT_EQ(note.at("total").as_object().at("minor").as_int64(), 2000);
  EXPECT_EQ(note.at("pre_payment_amount").as_object().at("minor").as_int64(), 2000);
  EXPECT_EQ(std::string(note.at("number").as_string()).rfind("CN-", 0), 0u);

  HttpResult mine = client.Get(path, {alice.Bearer()});
  ASSERT_EQ(mine.status, 200) << mine.body;
  EXPECT_EQ(boost::json::parse(mine.body).as_object().at("data").as_array().size(), 1u);
  EXPECT_EQ(client.Get(path, {bob.Bearer()}).status, 404);
  EXPECT_EQ(client.Get("/api/v1/billing/credit-notes/" + id, {alice.Bearer()}).status, 200);
  EXPECT_EQ(client.Get("/api/v1/billing/credit-notes/" + id, {bob.Bearer()}).status, 404);
  HttpResult pdf = client.Get("/api/v1/billing/credit-notes/" + id + "/pdf", {alice.Bearer()});
  ASSERT_EQ(pdf.status, 200);
  EXPECT_EQ(pdf.body.rfind("%PDF-", 0), 0u);
  EXPECT_EQ(client.Get("/api/v1/billing/credit-notes/" + id + "/pdf", {bob.Bearer()}).status, 404);
  HttpResult invoice = client.Get("/api/v1/billing/invoices/" + draft->id, {alice.Bearer()});
  EXPECT_EQ(boost::json::parse(invoice.body).as_object().at("amount_due").as_object().at("minor").as_int64(), 10000);
  // Bad input: an unknown field, a reason that is not one, too much.
  EXPECT_EQ(client.Post(path, R"({"reason":"order_change","amount":5})", {root.Bearer()}).status, 400);
  EXPECT_EQ(client.Post(path, R"({"reason":"because","amount_minor":5})", {root.Bearer()}).status, 400);
  HttpResult too_much = client.Post(path, R"({"reason":"order_change","amount_minor":10001})", {root.Bearer()});
  EXPECT_EQ(too_much.status, 400) << too_much.body;

  std::string grant = R"({"customer_id":")" + customer_a_ +
                      R"(","amount_minor":5000,"currency":"USD","description":"Goodwill","kind":"top_up"})";
  EXPECT_EQ(client.Post("/api/v1/billing/credits", grant, {alice.Bearer()}).status, 403);
  HttpResult granted = client.Post("/api/v1/billing/credits", grant, {root.Bearer()});
  ASSERT_EQ(granted.status, 201) << granted.body;
  HttpResult credits = client.Get("/api/v1/billing/credits", {alice.Bearer()});
  ASSERT_EQ(credits.status, 200) << credits.body;
  auto shown = boost::json::parse(credits.body).as_object();
  ASSERT_EQ(shown.at("balances").as_array().size(), 1u);
  EXPECT_EQ(shown.at("balances").as_array()[0].as_object().at("available").as_object().at("minor").as_int64(), 5000);
  EXPECT_EQ(shown.at("history").as_object().at("data").as_array().size(), 1u);
  EXPECT_EQ(client.Get("/api/v1/billing/credits?customer_id=" + customer_a_, {bob.Bearer()}).status, 404);
  HttpResult bobs = client.Get("/api/v1/billing/credits", {bob.Bearer()});
  ASSERT_EQ(bobs.status, 200);
  EXPECT_TRUE(boost::json::parse(bobs.body).as_object().at("balances").as_array().empty());
  EXPECT_EQ(client.Get("/api/v1/billing/credits", {root.Bearer()}).status, 400);
}

}  // namespace
}  // namespace meterline::testing
