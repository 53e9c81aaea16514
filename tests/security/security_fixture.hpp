// A billingd with two customers, a member of each and an admin, plus helpers
// to sign in and to send requests with cookies or bearer tokens.
#pragma once

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "support/billingd_harness.hpp"
#include "support/http_client.hpp"
#include "support/test_clock.hpp"

namespace meterline::testing {

struct SignedIn {
  std::string session;  // mtl_session cookie value (the JWT)
  std::string csrf;     // mtl_csrf cookie value
  std::string Cookie() const { return "Cookie: mtl_session=" + session + "; mtl_csrf=" + csrf; }
  std::string Bearer() const { return "Authorization: Bearer " + session; }
};

inline std::string CookieValue(const HttpResult& r, const std::string& name) {
  for (const auto& [key, value] : r.headers) {
    if (key.size() != 10 || strncasecmp(key.c_str(), "set-cookie", 10) != 0) continue;
    if (value.rfind(name + "=", 0) == 0) return value.substr(name.size() + 1, value.find(';') - name.size() - 1);
  }
  return "";
}

inline std::string ErrorCode(const HttpResult& r) {
  boost::system::error_code ec;
  auto v = boost::json::parse(r.body, ec);
  if (ec || !v.is_object() || !v.as_object().contains("error")) return "";
  return std::string(v.as_object().at("error").as_object().at("code").as_string());
}

constexpr const char* kPassword = "correct horse battery staple";

class SecurityTest : public ::testing::TestWithParam<storage::Backend> {
 protected:
  void StartBillingd(std::map<std::string, std::string> env = {}, TestDatabase* shared = nullptr) {
    billingd_ = std::make_unique<BillingdHarness>(BillingdHarness::Options{.backend = GetParam(),
                                                                           .env = std::move(env),
                                                                           .shared_database = shared,
                                                                           .fake_now = fake_now_,
                                                                           .password_cost = password_cost_});
  }

  // What billingd takes for now.
  const Clock& clock() const { return billingd_->clock(); }

  void SetUp() override {
    StartBillingd();
    SetUp2();
  }

  // Creates the customers and users on the current billingd_.
  void SetUp2() {
    auto& identity = *billingd_->app().identity;
    auth::RequestOrigin origin{"127.0.0.1", "test"};
    auto a = billingd_->app().customers->Create({"Acme Ads", "billing@acme.test", "DE", "USD"}, "test", origin);
    auto b = billingd_->app().customers->Create({"Beta Media", "", "US", "USD"}, "test", origin);
    ASSERT_TRUE(a.ok() && b.ok());
    customer_a_ = a->id;
    customer_b_ = b->id;
    ASSERT_TRUE(identity.CreateUser("alice@acme.test", kPassword, Role::kMember, customer_a_, "test", origin).ok());
    ASSERT_TRUE(identity.CreateUser("bob@beta.test", kPassword, Role::kMember, customer_b_, "test", origin).ok());
    ASSERT_TRUE(identity.CreateUser("root@meterline.test", kPassword, Role::kAdmin, "", "test", origin).ok());
  }

  HttpClient Client() { return HttpClient(billingd_->base_url()); }

  SignedIn SignIn(const std::string& email, const std::string& password = kPassword) {
    HttpClient client = Client();
    HttpResult r =
        client.Post("/api/v1/auth/login", R"({"email":")" + email + R"(","password":")" + password + R"("})");
    EXPECT_EQ(r.status, 200) << r.body;
    return SignedIn{CookieValue(r, "mtl_session"), CookieValue(r, "mtl_csrf")};
  }

  // For the next StartBillingd: set (e.g. in a fixture's constructor) to run
  // billingd on a FakeClock that starts there; unset: the system clock.
  std::optional<TimePoint> fake_now_;
  // For the next StartBillingd: unset, the harness's cheap test cost.
  std::optional<auth::PasswordCost> password_cost_;
  std::unique_ptr<BillingdHarness> billingd_;
  std::string customer_a_, customer_b_;
};

}  // namespace meterline::testing
