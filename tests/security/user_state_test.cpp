// Sessions follow the user's current state; admins manage users (API and
// CLI); login lockout spares other accounts and known addresses; the client
// address behind trusted proxies.
#include <boost/json/parse.hpp>

#include "security/security_fixture.hpp"
#include "support/child_process.hpp"

namespace meterline::testing {
namespace {

namespace json = boost::json;

int64_t AuditCount(BillingdHarness& b, const std::string& action) {
  auto r = b.database().db().Execute("SELECT COUNT(*) FROM billing_audit WHERE action = $1", {action});
  return r.ok() ? r->rows[0].Int(0) : -1;
}

std::string UserId(BillingdHarness& b, const std::string& email) {
  auto r = b.database().db().Execute("SELECT id FROM users WHERE email = $1", {email});
  return r.ok() && !r->rows.empty() ? r->rows[0].Text(0) : "";
}

// A cookie request that changes something: the cookies and the CSRF header.
std::vector<std::string> Mutating(const SignedIn& s) {
  return {s.Cookie(), "X-CSRF-Token: " + s.csrf, "Content-Type: application/json"};
}

std::string Login(const std::string& email, const std::string& password) {
  return R"({"email":")" + email + R"(","password":")" + password + R"("})";
}

// Database changes made behind billingd's back (an operator's SQL, another
// instance) reach the very next request: nothing trusts the token's claims.
TEST_P(SecurityTest, DeletedDisabledAndDemotedUsersAreRefusedOnTheirNextRequest) {
  SignedIn root = SignIn("root@meterline.test");
  HttpClient client = Client();
  ASSERT_EQ(client.Get("/api/v1/admin/api-keys", {root.Bearer()}).status, 200);
  ASSERT_EQ(client.Get("/api/v1/admin/api-keys", {root.Cookie()}).status, 200);
  auto& db = billingd_->database().db();
  std::string root_id = UserId(*billingd_, "root@meterline.test");

  // Demoted to a member of customer A: admin routes are 403, A's data readable, B's 404.
  ASSERT_TRUE(
      db.Execute("UPDATE users SET role = 'member', customer_id = $1 WHERE id = $2", {customer_a_, root_id}).ok());
  EXPECT_EQ(client.Get("/api/v1/admin/api-keys", {root.Bearer()}).status, 403);
  EXPECT_EQ(client.Get("/api/v1/billing/customers/" + customer_a_, {root.Bearer()}).status, 200);
  EXPECT_EQ(client.Get("/api/v1/billing/customers/" + customer_b_, {root.Bearer()}).status, 404);
  HttpResult me = client.Get("/api/v1/auth/me", {root.Bearer()});
  EXPECT_NE(me.body.find("\"member\""), std::string::npos) << me.body;

  // Disabled.
  ASSERT_TRUE(
      db.Execute("UPDATE users SET role = 'admin', customer_id = NULL, disabled_at = 1 WHERE id = $1", {root_id}).ok());
  HttpResult disabled = client.Get("/api/v1/admin/api-keys", {root.Bearer()});
  EXPECT_EQ(disabled.status, 401);
  EXPECT_EQ(ErrorCode(disabled), "account_disabled");
  EXPECT_EQ(client.Get("/api/v1/admin/api-keys", {root.Cookie()}).status, 401);

  // Deleted.
  ASSERT_TRUE(db.Execute("UPDATE users SET disabled_at = NULL WHERE id = $1", {root_id}).ok());
  EXPECT_EQ(client.Get("/api/v1/admin/api-keys", {root.Bearer()}).status, 200);
  ASSERT_TRUE(db.Execute("DELETE FROM users WHERE id = $1", {root_id}).ok());
  HttpResult deleted = client.Get("/api/v1/admin/api-keys", {root.Bearer()});
  EXPECT_EQ(deleted.status, 401);
  EXPECT_EQ(ErrorCode(deleted), "session_revoked");
}

TEST_P(SecurityTest, AdminsManageUsersThroughTheApiAndEveryChangeIsAudited) {
  SignedIn root = SignIn("root@meterline.test");
  SignedIn alice = SignIn("alice@acme.test");
  SignedIn bob = SignIn("bob@beta.test");
  HttpClient client = Client();
  std::string alice_id = UserId(*billingd_, "alice@acme.test");
  std::string bob_id = UserId(*billingd_, "bob@beta.test");

  // Paged list; members may not see it.
  HttpResult page = client.Get("/api/v1/admin/users?limit=2", {root.Bearer()});
  ASSERT_EQ(page.status, 200) << page.body;
  auto listed = json::parse(page.body).as_object();
  EXPECT_EQ(listed.at("data").as_array().size(), 2u);
  EXPECT_EQ(listed.at("next_offset").as_int64(), 2);
  HttpResult last = client.Get("/api/v1/admin/users?limit=2&offset=2", {root.Bearer()});
  EXPECT_TRUE(json::parse(last.body).as_object().at("next_offset").is_null());
  EXPECT_EQ(client.Get("/api/v1/admin/users", {alice.Bearer()}).status, 403);
  EXPECT_EQ(client.Get("/api/v1/admin/users?limit=101", {root.Bearer()}).status, 400);

  // Disabling ends alice's sessions and her logins; enabling lets her sign in
  // again but does not bring the old session back.
  EXPECT_EQ(client
                .Send("PATCH", "/api/v1/admin/users/" + alice_id, R"({"disabled":true})",
                      {root.Cookie(), "Content-Type: application/json"})
                .status,
            403)
      << "a cookie mutation needs the CSRF token";
  HttpResult disable = client.Send("PATCH", "/api/v1/admin/users/" + alice_id, R"({"disabled":true})", Mutating(root));
  ASSERT_EQ(disable.status, 200) << disable.body;
  EXPECT_EQ(json::parse(disable.body).as_object().at("disabled").as_bool(), true);
  EXPECT_EQ(client.Get("/api/v1/auth/me", {alice.Bearer()}).status, 401);
  HttpResult refused = client.Post("/api/v1/auth/login", Login("alice@acme.test", kPassword));
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(ErrorCode(refused), "account_disabled");
  HttpResult wrong = client.Post("/api/v1/auth/login", Login("alice@acme.test", "not-her-password"));
  EXPECT_EQ(ErrorCode(wrong), "invalid_credentials") << "without the password, disabled looks like any failure";
  ASSERT_EQ(client.Send("PATCH", "/api/v1/admin/users/" + alice_id, R"({"disabled":false})", Mutating(root)).status,
            200);
  EXPECT_EQ(client.Get("/api/v1/auth/me", {alice.Bearer()}).status, 401);
  SignedIn alice_again = SignIn("alice@acme.test");
  EXPECT_EQ(client.Get("/api/v1/auth/me", {alice_again.Bearer()}).status, 200);

  // A new role applies to the live session at once.
  HttpResult promote = client.Send("PATCH", "/api/v1/admin/users/" + alice_id, R"({"role":"admin"})", Mutating(root));
  ASSERT_EQ(promote.status, 200) << promote.body;
  EXPECT_TRUE(json::parse(promote.body).as_object().at("customer_id").is_null());
  EXPECT_EQ(client.Get("/api/v1/admin/api-keys", {alice_again.Bearer()}).status, 200);
  HttpResult demote = client.Send("PATCH", "/api/v1/admin/users/" + alice_id,
                                  R"({"role":"member","customer_id":")" + customer_b_ + "\"}", Mutating(root));
  ASSERT_EQ(demote.status, 200) << demote.body;
  EXPECT_EQ(client.Get("/api/v1/admin/api-keys", {alice_again.Bearer()}).status, 403);
  EXPECT_EQ(client.Get("/api/v1/billing/customers/" + customer_b_, {alice_again.Bearer()}).status, 200);
  EXPECT_EQ(client.Get("/api/v1/billing/customers/" + customer_a_, {alice_again.Bearer()}).status, 404);

  // Signed out everywhere, bob signs in again.
  ASSERT_EQ(client.Post("/api/v1/admin/users/" + bob_id + "/revoke-sessions", "", Mutating(root)).status, 204);
  HttpResult ended = client.Get("/api/v1/auth/me", {bob.Cookie()});
  EXPECT_EQ(ended.status, 401);
  EXPECT_EQ(ErrorCode(ended), "session_revoked");
  EXPECT_EQ(client.Get("/api/v1/auth/me", {SignIn("bob@beta.test").Bearer()}).status, 200);

  EXPECT_EQ(AuditCount(*billingd_, "user.update"), 4);
  EXPECT_EQ(AuditCount(*billingd_, "user.revoke_sessions"), 1);
  auto audit = billingd_->database().db().Execute(
      "SELECT actor, data FROM billing_audit WHERE action = 'user.update' ORDER BY id LIMIT 1");
  ASSERT_TRUE(audit.ok() && !audit->rows.empty());
  EXPECT_EQ(audit->rows[0].Text(0), UserId(*billingd_, "root@meterline.test"));
  auto data = json::parse(audit->rows[0].Text(1)).as_object();
  EXPECT_EQ(data.at("user_id").as_string(), alice_id);
  EXPECT_EQ(data.at("disabled").as_bool(), true);
}

TEST_P(SecurityTest, UserChangesAreValidatedAndTheLastAdminStays) {
  SignedIn root = SignIn("root@meterline.test");
  HttpClient client = Client();
  std::string root_id = UserId(*billingd_, "root@meterline.test");
  std::string alice_id = UserId(*billingd_, "alice@acme.test");
  auto patch = [&](const std::string& id, const std::string& body) {
    return client.Send("PATCH", "/api/v1/admin/users/" + id, body, {root.Bearer(), "Content-Type: application/json"});
  };
  EXPECT_EQ(patch(root_id, R"({"disabled":true})").status, 409);
  EXPECT_EQ(patch(root_id, R"({"role":"member","customer_id":")" + customer_a_ + "\"}").status, 409);
  EXPECT_EQ(patch(root_id, R"({"role":"member"})").status, 400) << "a member needs a customer";
  EXPECT_EQ(patch(alice_id, R"({"role":"admin","customer_id":")" + customer_a_ + "\"}").status, 400);
  EXPECT_EQ(patch(alice_id, R"({"customer_id":"cus_nobody"})").status, 404);
  EXPECT_EQ(patch(alice_id, R"({"role":"service"})").status, 400);
  EXPECT_EQ(patch(alice_id, R"({"disabled":"yes"})").status, 400);
  EXPECT_EQ(patch(alice_id, R"({"password":"x"})").status, 400);
  EXPECT_EQ(patch(alice_id, "{}").status, 400);
  EXPECT_EQ(patch("usr_nobody", R"({"disabled":true})").status, 404);
  EXPECT_EQ(client.Post("/api/v1/admin/users/usr_nobody/revoke-sessions", "", {root.Bearer()}).status, 404);
  // With a second admin, the first may go.
  ASSERT_EQ(patch(alice_id, R"({"role":"admin"})").status, 200);
  EXPECT_EQ(patch(root_id, R"({"disabled":true})").status, 200);
  EXPECT_EQ(client.Get("/api/v1/auth/me", {root.Bearer()}).status, 401);
}

TEST_P(SecurityTest, CliManagesUsers) {
  std::map<std::string, std::string> env = {{"DATABASE_URL", billingd_->database().url()},
                                            {"JWT_SECRET", BillingdHarness::kJwtSecret},
                                            {"CONSOLE_DIR", "/nonexistent"}};
  SignedIn bob = SignIn("bob@beta.test");
  HttpClient client = Client();
  RunResult list = RunBillingd({"user", "list"}, env);
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("bob@beta.test"), std::string::npos);
  EXPECT_NE(list.out.find("enabled"), std::string::npos);

  RunResult disable = RunBillingd({"user", "disable", "--email", "BOB@beta.test"}, env);
  ASSERT_EQ(disable.exit_code, 0) << disable.err;
  EXPECT_EQ(disable.out, "bob@beta.test: member of " + customer_b_ + ", disabled\n");
  EXPECT_EQ(client.Get("/api/v1/auth/me", {bob.Bearer()}).status, 401);
  ASSERT_EQ(RunBillingd({"user", "enable", "--email", "bob@beta.test"}, env).exit_code, 0);
  SignedIn bob_again = SignIn("bob@beta.test");

  RunResult promote =
      RunBillingd({"user", "set-role", "--id", UserId(*billingd_, "bob@beta.test"), "--role", "admin"}, env);
  ASSERT_EQ(promote.exit_code, 0) << promote.err;
  EXPECT_EQ(client.Get("/api/v1/admin/api-keys", {bob_again.Bearer()}).status, 200);
  ASSERT_EQ(RunBillingd({"user", "revoke-sessions", "--email", "bob@beta.test"}, env).exit_code, 0);
  EXPECT_EQ(client.Get("/api/v1/admin/api-keys", {bob_again.Bearer()}).status, 401);
  EXPECT_EQ(AuditCount(*billingd_, "user.update"), 3);
  EXPECT_EQ(AuditCount(*billingd_, "user.revoke_sessions"), 1);

  // Mistakes: a one-line message; 2 for the command line, 1 for what it names.
  RunResult nobody = RunBillingd({"user", "disable", "--email", "nobody@x.test"}, env);
  EXPECT_EQ(nobody.exit_code, 1);
  EXPECT_EQ(nobody.err, "billingd: no user with email nobody@x.test\n");
  EXPECT_EQ(RunBillingd({"user", "disable"}, env).exit_code, 2);
  EXPECT_EQ(RunBillingd({"user", "set-role", "--email", "bob@beta.test", "--role", "root"}, env).exit_code, 2);
  EXPECT_EQ(RunBillingd({"user", "frobnicate"}, env).exit_code, 2);
}

// Five wrong passwords for one account lock that account, for strangers only:
// other accounts from the same address, and the account from an address its
// user signed in from, still sign in.
TEST_P(SecurityTest, LockoutStaysWithTheAccountAndSparesKnownAddresses) {
  StartBillingd({{"TRUSTED_PROXIES", "127.0.0.1/32"}});
  SetUp2();
  HttpClient client = Client();
  auto from = [](const std::string& ip) { return std::vector<std::string>{"X-Forwarded-For: " + ip}; };
  // Bob signs in from his office once.
  ASSERT_EQ(client.Post("/api/v1/auth/login", Login("bob@beta.test", kPassword), from("198.51.100.7")).status, 200);
  // Someone behind a shared NAT guesses bob's password.
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(
        client.Post("/api/v1/auth/login", Login("bob@beta.test", "guess-" + std::to_string(i)), from("203.0.113.9"))
            .status,
        401);
  }
  HttpResult locked = client.Post("/api/v1/auth/login", Login("bob@beta.test", kPassword), from("203.0.113.9"));
  EXPECT_EQ(locked.status, 429);
  EXPECT_EQ(ErrorCode(locked), "too_many_attempts");
  EXPECT_GE(std::stoi(locked.Header("Retry-After").empty() ? "0" : locked.Header("Retry-After")), 1);
  // Alice, behind the same NAT, is not locked out.
  EXPECT_EQ(client.Post("/api/v1/auth/login", Login("alice@acme.test", kPassword), from("203.0.113.9")).status, 200);
  // Bob, from his office, still signs in; a stranger's address does not.
  EXPECT_EQ(client.Post("/api/v1/auth/login", Login("bob@beta.test", kPassword), from("198.51.100.7")).status, 200);
  EXPECT_EQ(client.Post("/api/v1/auth/login", Login("bob@beta.test", kPassword), from("192.0.2.44")).status, 429);
}

TEST_P(SecurityTest, AnAddressIsLockedOnlyAfterManyFailuresForAnyAccounts) {
  StartBillingd(
      {{"TRUSTED_PROXIES", "127.0.0.1"}, {"LOGIN_ADDRESS_LOCKOUT_AFTER", "8"}, {"RATE_LIMITS", "auth=1000/1m"}});
  SetUp2();
  HttpClient client = Client();
  std::vector<std::string> nat = {"X-Forwarded-For: 203.0.113.50"};
  for (int i = 0; i < 8; ++i) {
    std::string email = "user" + std::to_string(i) + "@nowhere.test";  // different accounts each time
    EXPECT_EQ(client.Post("/api/v1/auth/login", Login(email, "wrong-password"), nat).status, 401);
  }
  HttpResult locked = client.Post("/api/v1/auth/login", Login("alice@acme.test", kPassword), nat);
  EXPECT_EQ(locked.status, 429) << "the address, not the account";
  EXPECT_EQ(
      client.Post("/api/v1/auth/login", Login("alice@acme.test", kPassword), {"X-Forwarded-For: 203.0.113.51"}).status,
      200);
}

// The rate limiter, the lockout and the audit log see the client behind a
// trusted proxy; a client cannot choose its address with a header.
TEST_P(SecurityTest, TrustedProxiesNameTheClientAndSpoofedHeadersAreIgnored) {
  HttpClient client = Client();
  // No TRUSTED_PROXIES: X-Forwarded-For from the peer is ignored.
  ASSERT_EQ(client.Post("/api/v1/auth/login", Login("alice@acme.test", "nope-nope"), {"X-Forwarded-For: 198.51.100.1"})
                .status,
            401);
  auto address = [&](const std::string& action) {
    auto r = billingd_->database().db().Execute(
        "SELECT ip FROM billing_audit WHERE action = $1 ORDER BY id DESC LIMIT 1", {action});
    return r.ok() && !r->rows.empty() ? r->rows[0].OptText(0).value_or("") : "";
  };
  EXPECT_EQ(address("auth.login_failed"), "127.0.0.1");

  StartBillingd({{"TRUSTED_PROXIES", "127.0.0.0/8, 10.0.0.0/8"}, {"RATE_LIMITS", "auth=3/1m"}});
  SetUp2();
  HttpClient proxied = Client();
  // Right-most untrusted hop: the client's own claim on the left is skipped.
  ASSERT_EQ(proxied
                .Post("/api/v1/auth/login", Login("bob@beta.test", kPassword),
                      {"X-Forwarded-For: 6.6.6.6, 198.51.100.23, 10.1.2.3"})
                .status,
            200);
  EXPECT_EQ(address("auth.login"), "198.51.100.23");
  ASSERT_EQ(proxied
                .Post("/api/v1/auth/login", Login("bob@beta.test", kPassword),
                      {"Forwarded: for=\"[2001:DB8::17]:4711\";proto=https, for=10.0.0.2"})
                .status,
            200);
  EXPECT_EQ(address("auth.login"), "2001:db8::17");
  // Each client has its own auth budget (3 a minute): a fourth from one is 429, another client is not.
  for (int i = 0; i < 2; ++i) {
    proxied.Post("/api/v1/auth/login", Login("bob@beta.test", kPassword), {"X-Forwarded-For: 198.51.100.23"});
  }
  EXPECT_EQ(
      proxied.Post("/api/v1/auth/login", Login("bob@beta.test", kPassword), {"X-Forwarded-For: 198.51.100.23"}).status,
      429);
  EXPECT_EQ(
      proxied.Post("/api/v1/auth/login", Login("bob@beta.test", kPassword), {"X-Forwarded-For: 198.51.100.24"}).status,
      200);
}

}  // namespace
}  // namespace meterline::testing
