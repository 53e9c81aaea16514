// StripeClient against the fake Stripe: Stripe's form encoding, the pinned
// version, idempotency keys (replay and mismatch), retries with back-off on
// dropped connections, 429 and 5xx, Stripe-Should-Retry in both directions,
// Stripe's error object, and no secret in the logs.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/log.hpp"
#include "fake_stripe.hpp"
#include "stripe/client.hpp"
#include "support/child_process.hpp"

namespace meterline::testing {
namespace {

using stripe::FormParams;
using stripe::StripeClient;

TEST(StripeForm, EncodesNestedKeysTheWayStripeDoes) {
  EXPECT_EQ(stripe::FormEncode(
                {{"metadata[invoice_id]", "inv_1"}, {"lines[0][amount]", "100"}, {"description", "A & B = c/d"}}),
            "metadata%5Binvoice_id%5D=inv_1&lines%5B0%5D%5Bamount%5D=100&description=A%20%26%20B%20%3D%20c%2Fd");
}

TEST(StripeEndpointLabel, ReplacesIdsSoMetricsStayFew) {
  EXPECT_EQ(stripe::EndpointLabel("invoices/in_1Nv0QxL2/pay"), "invoices/{id}/pay");
  EXPECT_EQ(stripe::EndpointLabel("invoices"), "invoices");
  EXPECT_EQ(stripe::EndpointLabel("customers/cus_9s6XKzkNRiz8i3"), "customers/{id}");
  EXPECT_EQ(stripe::EndpointLabel("billing_portal/sessions"), "billing_portal/sessions");
  EXPECT_EQ(stripe::EndpointLabel("invoices/in_1/lines"), "invoices/{id}/lines");
}

class StripeClientTest : public ::testing::Test {
 protected:
  StripeClient& Client(int max_attempts = 4) {
    stripe::ClientOptions options;
    options.api_base = fake_.base_url();
    options.secret_key = "sk_test_secret_never_logged";
    options.max_attempts = max_attempts;
    options.timeout_ms = 2000;
    options.sleep = [this](std::chrono::milliseconds d) { sleeps_.push_back(d); };
    client_ = std::make_unique<StripeClient>(options);
    return *client_;
  }

  FakeStripe fake_;
  std::unique_ptr<StripeClient> client_;
  std::vector<std::chrono::milliseconds> sleeps_;
};

TEST_F(StripeClientTest, CreatesWithFormParamsPinnedVersionAndIdempotencyKey) {
  auto customer = Client().Post("customers", {{"name", "Acme Ads"}, {"metadata[meterline_customer_id]", "cus_1"}},
                                "customer-create-cus_1");
  ASSERT_TRUE(customer.ok()) << customer.error().message;
  EXPECT_EQ(customer->at("object").as_string(), "customer");
  EXPECT_EQ(customer->at("metadata").at("meterline_customer_id").as_string(), "cus_1");
  auto requests = fake_.Requests();
  ASSERT_EQ(requests.size(), 1u);
  const auto& headers = requests[0].at("headers").as_object();
  EXPECT_EQ(headers.at("Idempotency-Key").as_string(), "customer-create-cus_1");
  EXPECT_EQ(headers.at("Stripe-Version").as_string(), stripe::kStripeVersion);
  EXPECT_EQ(headers.at("Content-Type").as_string(), "application/x-www-form-urlencoded");
  EXPECT_TRUE(requests[0].at("authorized").as_bool());
  auto fetched = client_->Get("customers/" + std::string(customer->at("id").as_string()));
  ASSERT_TRUE(fetched.ok());
  EXPECT_EQ(fetched->at("name").as_string(), "Acme Ads");
}

TEST_F(StripeClientTest, TheSameKeyReplaysAndDifferentParamsAreRefused) {
  auto first = Client().Post("customers", {{"name", "Acme"}}, "key-1");
  auto again = client_->Post("customers", {{"name", "Acme"}}, "key-1");
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_EQ(first->at("id"), again->at("id"));  // one customer, not two
  auto other = client_->Post("customers", {{"name", "Other"}}, "key-1");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(other.error().Reason(), "idempotency_error");
  EXPECT_EQ(client_->Post("customers", {{"name", "x"}}, "").error().code, ErrorCode::kInvalidArgument);
}

TEST_F(StripeClientTest, RetriesDroppedConnections429And5xxWithGrowingDelays) {
  fake_.Fail("/v1/customers", 0, 1);
  fake_.Fail("/v1/customers", 429, 1);
  fake_.Fail("/v1/customers", 503, 1);
  stripe::CallStats stats;
  auto created = Client().Post("customers", {{"name", "Retry Corp"}}, "retry-1", &stats);
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_EQ(stats.attempts, 4);
  ASSERT_EQ(sleeps_.size(), 3u);
  // Full jitter in [d/2, d] with d = 500, 1000, 2000 ms.
  EXPECT_GE(sleeps_[0].count(), 250);
  EXPECT_LE(sleeps_[0].count(), 500);
  EXPECT_GE(sleeps_[2].count(), 1000);
  EXPECT_LE(sleeps_[2].count(), 2000);
}

TEST_F(StripeClientTest, EveryAttemptIsObservedForMetrics) {
  stripe::ClientOptions options;
  options.api_base = fake_.base_url();
  options.secret_key = "sk_test_observed";
  options.sleep = [](std::chrono::milliseconds) {};
  std::vector<std::string> seen;
  options.observe = [&](const char* method, const std::string& endpoint, long status, std::chrono::microseconds took) {
    EXPECT_GE(took.count(), 0);
    seen.push_back(std::string(method) + " " + endpoint + " " + std::to_string(status));
  };
  StripeClient client(options);
  fake_.Fail("/v1/customers", 500, 1);
  ASSERT_TRUE(client.Post("customers", {{"name", "Acme"}}, "observed-1").ok());
  EXPECT_FALSE(client.Get("customers/cus_missing1").ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"POST customers 500", "POST customers 200", "GET customers/{id} 404"}));
}

TEST_F(StripeClientTest, DoctorChecksTheKeyWithOneReadOnlyCall) {
  std::string dir = ::testing::TempDir() + "/doctor_" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  std::map<std::string, std::string> env = {
      {"DATA_DIR", dir}, {"CONSOLE_DIR", "/nonexistent"}, {"STRIPE_API_BASE", fake_.base_url()}};
  ASSERT_EQ(RunBillingd({"migrate"}, env).exit_code, 0);
  env["STRIPE_SECRET_KEY"] = "sk_test_doctor_secret";
  RunResult good = RunBillingd({"doctor"}, env);
  EXPECT_NE(good.out.find("ok    stripe        STRIPE_SECRET_KEY works"), std::string::npos) << good.out;
  EXPECT_NE(good.out.find("warn  stripe        STRIPE_WEBHOOK_SECRET is not set"), std::string::npos) << good.out;
  EXPECT_EQ(good.out.find("sk_test_doctor_secret"), std::string::npos);
  auto requests = fake_.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].at("method").as_string(), "GET");
  EXPECT_EQ(requests[0].at("path").as_string(), "/v1/balance");
  env["STRIPE_SECRET_KEY"] = "rk_test_restricted_refused";  // the fake accepts sk_ keys only
  RunResult refused = RunBillingd({"doctor"}, env);
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.out.find("FAIL  stripe        STRIPE_SECRET_KEY was refused"), std::string::npos) << refused.out;
  std::filesystem::remove_all(dir);
}

TEST_F(StripeClientTest, GivesUpAfterMaxAttemptsWithStripesError) {
  fake_.Fail("/v1/invoices", 500, 10);
  stripe::CallStats stats;
  auto r = Client(3).Get("invoices/in_missing", {}, &stats);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(stats.attempts, 3);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(r.error().message.find("Injected failure"), std::string::npos);
  EXPECT_NE(r.error().message.find("[request req_"), std::string::npos);
}

TEST_F(StripeClientTest, StripeShouldRetryOverridesTheStatus) {
  fake_.Fail("/v1/customers", 503, 1, "false");
  stripe::CallStats stats;
  EXPECT_FALSE(Client().Post("customers", {{"name", "A"}}, "k-a", &stats).ok());
  EXPECT_EQ(stats.attempts, 1);
  fake_.Fail("/v1/customers", 409, 1, "true");
  auto ok = client_->Post("customers", {{"name", "B"}}, "k-b", &stats);
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(stats.attempts, 2);
  fake_.Fail("/v1/customers", 409, 1);
  EXPECT_FALSE(client_->Post("customers", {{"name", "C"}}, "k-c", &stats).ok());
  EXPECT_EQ(stats.attempts, 1);
}

TEST_F(StripeClientTest, ClientErrorsAreNotRetriedAndMapToOurCodes) {
  stripe::CallStats stats;
  auto missing = Client().Get("invoices/in_nope", {}, &stats);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(missing.error().Reason(), "resource_missing");
  EXPECT_EQ(stats.attempts, 1);
  stripe::ClientOptions no_key;
  no_key.api_base = fake_.base_url();
  EXPECT_EQ(StripeClient(no_key).Get("customers/cus_1").error().code, ErrorCode::kUnavailable);
}

TEST_F(StripeClientTest, TheSecretKeyNeverReachesTheLog) {
  fake_.Fail("/v1/customers", 500, 2);
  ::testing::internal::CaptureStderr();
  log::Init(log::Level::kDebug);
  (void)Client(2).Post("customers", {{"name", "A"}}, "k-log");
  log::Init(log::Level::kError);
  std::string logged = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(logged.find("stripe call failed"), std::string::npos) << logged;
  EXPECT_EQ(logged.find("sk_test_secret_never_logged"), std::string::npos) << logged;
}

}  // namespace
}  // namespace meterline::testing
