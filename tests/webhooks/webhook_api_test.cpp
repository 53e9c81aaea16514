// The webhook endpoint API on a running billingd, once per backend: members
// register and see only their customer's endpoints (another's is a 404),
// admins see all and register platform-wide ones; the secret is in the
// creating answer only (a replay with its Idempotency-Key says null); bad
// URLs and event types name their field; and an event made through the API
// (an admin canceling a member's subscription) reaches the member's and the
// platform's receivers, signed, and nobody else's.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "security/security_fixture.hpp"
#include "stripe/webhook_signature.hpp"
#include "support/webhook_receiver.hpp"

namespace meterline::testing {
namespace {

namespace json = boost::json;

class WebhookApiTest : public SecurityTest {
 protected:
  void SetUp() override {
    StartBillingd({{"WEBHOOK_ALLOW_PRIVATE_TARGETS", "true"}});
    SetUp2();
    alice_ = SignIn("alice@acme.test");
    bob_ = SignIn("bob@beta.test");
    root_ = SignIn("root@meterline.test");
  }

  HttpResult As(const SignedIn& who, const std::string& method, const std::string& path, const std::string& body = "",
                std::vector<std::string> extra = {}) {
    extra.push_back(who.Cookie());
    extra.push_back("X-CSRF-Token: " + who.csrf);
    if (!body.empty()) extra.push_back("Content-Type: application/json");
    return Client().Send(method, path, body, extra);
  }

  static json::object Json(const HttpResult& r) { return json::parse(r.body).as_object(); }

  std::string Register(const SignedIn& who, const std::string& url, const std::string& events = R"(["*"])") {
    HttpResult r = As(who, "POST", "/api/v1/webhook-endpoints", R"({"url":")" + url + R"(","events":)" + events + "}");
    EXPECT_EQ(r.status, 201) << r.body;
    return r.status == 201 ? std::string(Json(r).at("id").as_string()) : "";
  }

  SignedIn alice_, bob_, root_;
  WebhookReceiver receiver_;
};

TEST_P(WebhookApiTest, MembersSeeOnlyTheirEndpointsAndTheSecretIsShownOnce) {
  HttpResult made = As(alice_, "POST", "/api/v1/webhook-endpoints",
                       R"({"url":")" + receiver_.Url("/alice") +
                           R"(","events":["invoice.paid","invoice.finalized"],)"
                           R"("description":"ERP"})",
                       {"Idempotency-Key: alice-endpoint-0001"});
  ASSERT_EQ(made.status, 201) << made.body;
  json::object endpoint = Json(made);
  std::string id(endpoint.at("id").as_string());
  EXPECT_EQ(endpoint.at("customer_id").as_string(), customer_a_);
  EXPECT_EQ(endpoint.at("status").as_string(), "enabled");
  EXPECT_EQ(endpoint.at("secret").as_string().subview().substr(0, 6), "whsec_");
  EXPECT_EQ(json::serialize(endpoint.at("events")), R"(["invoice.finalized","invoice.paid"])");
  // Replayed with the same key: the same endpoint, no secret.
  HttpResult replay = As(alice_, "POST", "/api/v1/webhook-endpoints",
                         R"({"url":")" + receiver_.Url("/alice") +
                             R"(","events":["invoice.paid","invoice.finalized"],)"
                             R"("description":"ERP"})",
                         {"Idempotency-Key: alice-endpoint-0001"});
  EXPECT_EQ(replay.status, 201);
  EXPECT_EQ(Json(replay).at("id").as_string(), id);
  EXPECT_TRUE(Json(replay).at("secret").is_null());
  // Reads never carry it.
  HttpResult one = As(alice_, "GET", "/api/v1/webhook-endpoints/" + id);
  ASSERT_EQ(one.status, 200);
  EXPECT_FALSE(Json(one).contains("secret"));

  std::string bobs = Register(bob_, receiver_.Url("/bob"));
  std::string platform = Register(root_, receiver_.Url("/platform"));
  EXPECT_TRUE(Json(As(root_, "GET", "/api/v1/webhook-endpoints/" + platform)).at("customer_id").is_null());
  // Alice sees hers only; Bob's is a 404 to her, for every verb.
  auto alices = Json(As(alice_, "GET", "/api/v1/webhook-endpoints")).at("data").as_array();
  ASSERT_EQ(alices.size(), 1u);
  EXPECT_EQ(alices[0].at("id").as_string(), id);
  EXPECT_EQ(As(alice_, "GET", "/api/v1/webhook-endpoints/" + bobs).status, 404);
  EXPECT_EQ(As(alice_, "GET", "/api/v1/webhook-endpoints/" + platform).status, 404);
  EXPECT_EQ(As(alice_, "DELETE", "/api/v1/webhook-endpoints/" + bobs).status, 404);
  EXPECT_EQ(As(alice_, "POST", "/api/v1/webhook-endpoints/" + bobs + "/rotate-secret", "{}").status, 404);
  EXPECT_EQ(As(alice_, "GET", "/api/v1/webhook-endpoints/" + bobs + "/deliveries").status, 404);
  EXPECT_EQ(Json(As(root_, "GET", "/api/v1/webhook-endpoints")).at("data").as_array().size(), 3u);

  // Rotation: a new secret, the old one signing for the overlap.
  HttpResult rotated =
      As(alice_, "POST", "/api/v1/webhook-endpoints/" + id + "/rotate-secret", R"({"overlap_hours":2})");
  ASSERT_EQ(rotated.status, 200) << rotated.body;
  EXPECT_NE(Json(rotated).at("secret").as_string(), endpoint.at("secret").as_string());
  EXPECT_FALSE(Json(rotated).at("previous_secret_expires_at").is_null());
  EXPECT_EQ(As(alice_, "POST", "/api/v1/webhook-endpoints/" + id + "/rotate-secret", R"({"overlap_hours":169})").status,
            400);

  // Refusals name the field.
  auto param = [&](const HttpResult& r) {
    return r.status == 400 ? std::string(Json(r).at("error").at("param").as_string())
                           : "status " + std::to_string(r.status);
  };
  EXPECT_EQ(param(As(alice_, "POST", "/api/v1/webhook-endpoints", R"({"url":"ftp://x.test/","events":["*"]})")), "url");
  EXPECT_EQ(param(As(alice_, "POST", "/api/v1/webhook-endpoints", R"({"url":"https://x.test/","events":["bogus"]})")),
            "events");
  EXPECT_EQ(param(As(alice_, "POST", "/api/v1/webhook-endpoints", R"({"url":"https://x.test/","events":[]})")),
            "events");
  EXPECT_EQ(param(As(alice_, "POST", "/api/v1/webhook-endpoints", R"({"url":"https://x.test/"})")), "events");
  EXPECT_EQ(param(As(alice_, "POST", "/api/v1/webhook-endpoints",
                     R"({"url":"https://x.test/","events":["*"],"colour":"red"})")),
            "colour");

  // Deleted: gone for everyone.
  EXPECT_EQ(As(alice_, "DELETE", "/api/v1/webhook-endpoints/" + id).status, 200);
  EXPECT_EQ(As(root_, "GET", "/api/v1/webhook-endpoints/" + id).status, 404);
  auto audited = billingd_->database().db().Execute(
      "SELECT COUNT(*) FROM billing_audit WHERE action LIKE 'webhook_endpoint.%' AND customer_id = $1", {customer_a_});
  EXPECT_EQ(audited->rows[0].Int(0), 3);  // create, rotate, delete
}

TEST_P(WebhookApiTest, AnEventMadeThroughTheApiReachesItsCustomersAndThePlatformsReceivers) {
  auto& subs = *billingd_->app().subscriptions;
  auto sub = subs.Create(customer_a_, "starter", clock().Now(), subscriptions::Status::kActive, "test");
  ASSERT_TRUE(sub.ok());
  std::string alice_endpoint = Register(alice_, receiver_.Url("/alice"), R"(["subscription.updated"])");
  Register(bob_, receiver_.Url("/bob"));
  Register(root_, receiver_.Url("/platform"));
  HttpResult secret_answer =
      As(alice_, "POST", "/api/v1/webhook-endpoints/" + alice_endpoint + "/rotate-secret", R"({"overlap_hours":0})");
  std::string secret(Json(secret_answer).at("secret").as_string());

  ASSERT_EQ(As(root_, "POST", "/api/v1/billing/subscriptions/" + sub->id + "/cancel", R"({"at":"period_end"})").status,
            200);
  auto run = billingd_->app().webhook_worker->RunOnce();
  ASSERT_TRUE(run.ok()) << run.error().message;
  EXPECT_EQ(run->succeeded, 2);
  ASSERT_TRUE(receiver_.WaitFor(2));
  std::map<std::string, WebhookReceiver::Received> by_path;
  for (const auto& r : receiver_.Requests()) by_path[r.path] = r;
  ASSERT_EQ(by_path.size(), 2u);
  ASSERT_TRUE(by_path.count("/alice") && by_path.count("/platform"));
  const auto& got = by_path.at("/alice");
  json::object event = json::parse(got.body).as_object();
  EXPECT_EQ(event.at("type").as_string(), "subscription.updated");
  EXPECT_EQ(event.at("customer_id").as_string(), customer_a_);
  EXPECT_EQ(event.at("data").at("object").at("subscription_id").as_string(), sub->id);
  EXPECT_FALSE(event.at("data").at("object").at("cancel_at").is_null());
  EXPECT_TRUE(
      stripe::VerifyWebhookSignature(got.headers.at("meterline-signature"), got.body, secret, SystemClock().Now())
          .ok());

  // Its log, through the API.
  HttpResult log = As(alice_, "GET", "/api/v1/webhook-endpoints/" + alice_endpoint + "/deliveries");
  ASSERT_EQ(log.status, 200) << log.body;
  auto deliveries = Json(log).at("data").as_array();
  ASSERT_EQ(deliveries.size(), 1u);
  EXPECT_EQ(deliveries[0].at("status").as_string(), "succeeded");
  EXPECT_EQ(deliveries[0].at("event_id").as_string(), event.at("id").as_string());
  std::string delivery(deliveries[0].at("id").as_string());
  HttpResult redo =
      As(alice_, "POST", "/api/v1/webhook-endpoints/" + alice_endpoint + "/deliveries/" + delivery + "/redeliver");
  ASSERT_EQ(redo.status, 200) << redo.body;
  EXPECT_EQ(Json(redo).at("status").as_string(), "pending");
  ASSERT_TRUE(billingd_->app().webhook_worker->RunOnce().ok());
  HttpResult one = As(alice_, "GET", "/api/v1/webhook-endpoints/" + alice_endpoint + "/deliveries/" + delivery);
  auto attempts = Json(one).at("attempt_log").as_array();
  ASSERT_EQ(attempts.size(), 2u);
  EXPECT_TRUE(attempts[0].at("manual").as_bool());
  EXPECT_EQ(attempts[0].at("status_code").as_int64(), 200);
  EXPECT_EQ(As(bob_, "GET", "/api/v1/webhook-endpoints/" + alice_endpoint + "/deliveries/" + delivery).status, 404);
}

INSTANTIATE_TEST_SUITE_P(Backends, WebhookApiTest, ::testing::ValuesIn(TestBackends()),
                         [](const auto& info) { return BackendParamName(info.param); });

}  // namespace
}  // namespace meterline::testing
