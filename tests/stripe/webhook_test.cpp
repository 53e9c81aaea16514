// POST /api/v1/webhooks/stripe end to end, once per backend: verified events
// are recorded once and acknowledged; replays are acknowledged as duplicates;
// bad signatures get 401 in the error schema; admins list what arrived.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "security/security_fixture.hpp"
#include "stripe/webhook_signature.hpp"

namespace meterline::testing {
namespace {

namespace json = boost::json;
constexpr const char* kWebhookSecret = "whsec_meterline_test_0123456789";

class WebhookTest : public SecurityTest {
 protected:
  void SetUp() override {
    StartBillingd({{"STRIPE_WEBHOOK_SECRET", kWebhookSecret}});
    SetUp2();
  }
  static std::string Event(const std::string& id, const std::string& type = "invoice.paid") {
    return R"({"id":")" + id + R"(","object":"event","type":")" + type +
           R"(","created":1764000000,"data":{"object":{"id":"in_1","object":"invoice"}}})";
  }
  HttpResult Deliver(const std::string& body, const std::string& secret = kWebhookSecret) {
    int64_t now = std::chrono::duration_cast<std::chrono::seconds>(clock().Now().time_since_epoch()).count();
    return Client().Post("/api/v1/webhooks/stripe", body,
                         {"Stripe-Signature: " + stripe::SignWebhookPayload(body, secret, now),
                          "Content-Type: application/json; charset=utf-8"});
  }
  int64_t Recorded() {
    return billingd_->database().db().Execute("SELECT COUNT(*) FROM stripe_webhook_events")->rows[0].Int(0);
  }
};

TEST_P(WebhookTest, AVerifiedEventIsRecordedOnceAndReplaysAreAcknowledged) {
  HttpResult first = Deliver(Event("evt_a"));
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_FALSE(json::parse(first.body).at("duplicate").as_bool());
  HttpResult replay = Deliver(Event("evt_a"));
  ASSERT_EQ(replay.status, 200) << replay.body;
  EXPECT_TRUE(json::parse(replay.body).at("duplicate").as_bool());
  EXPECT_EQ(Recorded(), 1);
  auto row = billingd_->database().db().Execute(
      "SELECT type, status, event_created FROM stripe_webhook_events WHERE stripe_event_id = 'evt_a'");
  EXPECT_EQ(row->rows[0].Text(0), "invoice.paid");
  EXPECT_EQ(row->rows[0].Text(1), "pending");
  EXPECT_EQ(row->rows[0].Int(2), 1764000000);
}

TEST_P(WebhookTest, BadSignaturesAre401AndRecordNothing) {
  HttpResult wrong = Deliver(Event("evt_b"), "whsec_not_ours");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(ErrorCode(wrong), "signature_mismatch");
  HttpResult unsigned_body =
      Client().Post("/api/v1/webhooks/stripe", Event("evt_c"), {"Content-Type: application/json"});
  EXPECT_EQ(unsigned_body.status, 401);
  EXPECT_EQ(ErrorCode(unsigned_body), "signature_missing");
  std::string body = Event("evt_d");
  std::string stale = stripe::SignWebhookPayload(
      body, kWebhookSecret,
      std::chrono::duration_cast<std::chrono::seconds>(clock().Now().time_since_epoch()).count() - 600);
  HttpResult old = Client().Post("/api/v1/webhooks/stripe", body, {"Stripe-Signature: " + stale});
  EXPECT_EQ(old.status, 401);
  EXPECT_EQ(ErrorCode(old), "signature_expired");
  EXPECT_EQ(Recorded(), 0);
}

TEST_P(WebhookTest, SignedButMalformedEventsAre400) {
  EXPECT_EQ(Deliver("not json").status, 400);
  EXPECT_EQ(Deliver(R"({"object":"event","type":"invoice.paid","created":1})").status, 400);
  EXPECT_EQ(Deliver(R"({"id":"evt_x","type":"invoice.paid","created":"yesterday"})").status, 400);
  EXPECT_EQ(Recorded(), 0);
}

TEST_P(WebhookTest, AdminsListEventsByStatusAndOthersCannot) {
  ASSERT_EQ(Deliver(Event("evt_1", "invoice.created")).status, 200);
  ASSERT_EQ(Deliver(Event("evt_2", "customer.subscription.updated")).status, 200);
  SignedIn root = SignIn("root@meterline.test");
  HttpResult list = Client().Get("/api/v1/admin/webhooks/stripe?status=pending", {root.Bearer()});
  ASSERT_EQ(list.status, 200) << list.body;
  auto events = json::parse(list.body).at("data").as_array();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].at("stripe_event_id").as_string(), "evt_2");  // newest first
  EXPECT_EQ(Client().Get("/api/v1/admin/webhooks/stripe?status=bogus", {root.Bearer()}).status, 400);
  SignedIn alice = SignIn("alice@acme.test");
  EXPECT_EQ(Client().Get("/api/v1/admin/webhooks/stripe", {alice.Bearer()}).status, 403);
}

TEST_P(WebhookTest, WithoutASecretWebhooksAreUnavailable) {
  StartBillingd({});
  HttpResult r = Deliver(Event("evt_z"));
  EXPECT_EQ(r.status, 503);
  // Configuration, not an outage: the message says what to set.
  EXPECT_NE(r.body.find("\"code\":\"not_configured\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("STRIPE_WEBHOOK_SECRET"), std::string::npos) << r.body;
}

INSTANTIATE_TEST_SUITE_P(Backends, WebhookTest, ::testing::ValuesIn(TestBackends()),
                         [](const auto& info) { return BackendParamName(info.param); });

}  // namespace
}  // namespace meterline::testing
