// Outgoing webhooks against a real HTTP receiver on loopback, once per
// backend: the body and its signature (checked with our Stripe-style
// verifier and with stripe-node's algorithm), fan-out by type and customer,
// order per customer through retries after 500s and timeouts, the retry
// window and endpoint disabling on a fake clock, secret rotation, refusals
// of non-public targets, and two workers (and a dead one's claim) never
// sending one event twice.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <filesystem>
#include <fstream>
#include <numeric>
#include <thread>

#include "core/ids.hpp"
#include "observability/metrics.hpp"
#include "outbox/events.hpp"
#include "stripe/webhook_signature.hpp"
#include "support/billing_services.hpp"
#include "support/webhook_receiver.hpp"
#include "webhooks/delivery_log.hpp"
#include "webhooks/delivery_worker.hpp"
#include "webhooks/endpoint_store.hpp"
#include "webhooks/target_guard.hpp"

namespace meterline::testing {
namespace {

namespace json = boost::json;

TimePoint At(const char* iso) { return *ParseIso8601(iso); }

class WebhookDeliveryTest : public ::testing::TestWithParam<storage::Backend> {
 protected:
  void SetUp() override {
    services_ = std::make_unique<BillingServices>(
        BillingServices::Options{.backend = GetParam(), .now = At("2026-11-30T12:00:00Z")});
    acme_ = services_->AddCustomer("Acme Ads", "US", "USD");
    beta_ = services_->AddCustomer("Beta Media", "US", "USD");
    endpoints_ = std::make_unique<webhooks::EndpointStore>(db(), clock(), true);
    worker_ = NewWorker();
  }

  std::unique_ptr<webhooks::DeliveryWorker> NewWorker(bool allow_private = true) {
    webhooks::DeliveryOptions options;
    options.post.allow_private = allow_private;
    options.post.total_timeout = std::chrono::milliseconds(700);
    options.post.connect_timeout = std::chrono::milliseconds(700);
    return std::make_unique<webhooks::DeliveryWorker>(db(), clock(), registries_.emplace_back(), options);
  }

  // An endpoint on the receiver: the customer's, or platform-wide for "".
  std::pair<webhooks::Endpoint, std::string> Register(const std::string& customer,
                                                      std::vector<std::string> types = {"*"},
                                                      const std::string& path = "/hooks") {
    auto made = endpoints_->Create(
        {.customer_id = customer, .url = receiver_.Url(path), .event_types = std::move(types), .actor = "test"});
    EXPECT_TRUE(made.ok()) << made.error().message;
    return made.ok() ? *made : std::pair<webhooks::Endpoint, std::string>{};
  }

  void Publish(const std::string& type, const std::string& customer, json::object payload) {
    auto done = db().Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) {
      return outbox::Publish(tx, {type, customer, std::move(payload), clock().Now()});
    });
    ASSERT_TRUE(done.ok()) << done.error().message;
  }

  webhooks::DeliveryRun Run() {
    auto run = worker_->RunOnce();
    EXPECT_TRUE(run.ok()) << run.error().message;
    return run.ok() ? *run : webhooks::DeliveryRun{};
  }

  std::string Scalar(const std::string& sql, std::vector<storage::Value> params = {}) {
    auto r = db().Execute(sql, std::move(params));
    EXPECT_TRUE(r.ok() && !r->rows.empty()) << (r.ok() ? "no row" : r.error().message);
    return r.ok() && !r->rows.empty() ? r->rows[0].OptText(0).value_or("NULL") : "";
  }

  // The sequence numbers ("n") of what the receiver got, in arrival order.
  std::vector<int64_t> Sequence(const std::string& path = "") {
    std::vector<int64_t> out;
    for (const auto& r : receiver_.Requests()) {
      if (!path.empty() && r.path != path) continue;
      out.push_back(json::parse(r.body).at("data").at("object").at("n").as_int64());
    }
    return out;
  }

  storage::Database& db() { return services_->db(); }
  FakeClock& clock() { return services_->clock(); }

  WebhookReceiver receiver_;
  std::unique_ptr<BillingServices> services_;
  std::deque<observability::Registry> registries_;
  std::unique_ptr<webhooks::EndpointStore> endpoints_;
  std::unique_ptr<webhooks::DeliveryWorker> worker_;
  std::string acme_, beta_;
};

TEST_P(WebhookDeliveryTest, ADeliveryIsAStripeShapedEventSignedWithTheEndpointSecret) {
  auto [endpoint, secret] = Register(acme_);
  EXPECT_TRUE(secret.rfind("whsec_", 0) == 0 && secret.size() == 70) << secret;
  Publish("usage.threshold_crossed", acme_, {{"metric", "impressions"}, {"threshold_percent", 90}, {"n", 1}});
  EXPECT_EQ(Run().succeeded, 1);
  ASSERT_EQ(receiver_.Count(), 1u);
  const auto got = receiver_.Requests()[0];
  EXPECT_EQ(got.path, "/hooks");
  EXPECT_EQ(got.headers.at("content-type"), "application/json");
  json::object body = json::parse(got.body).as_object();
  EXPECT_EQ(body.at("object").as_string(), "event");
  EXPECT_EQ(body.at("type").as_string(), "usage.threshold_crossed");
  EXPECT_EQ(body.at("api_version").as_string(), webhooks::kEventApiVersion);
  EXPECT_EQ(body.at("customer_id").as_string(), acme_);
  EXPECT_EQ(body.at("created").as_int64(), ToUnixMillis(clock().Now()) / 1000);
  EXPECT_EQ(body.at("data").at("object").at("threshold_percent").as_int64(), 90);
  std::string event_id(body.at("id").as_string());
  EXPECT_EQ(event_id.rfind("evt_", 0), 0u);
  EXPECT_EQ(got.headers.at("meterline-event-id"), event_id);

  // The signature: t within the tolerance of the sending time, v1 by the secret.
  std::string header = got.headers.at("meterline-signature");
  EXPECT_TRUE(stripe::VerifyWebhookSignature(header, got.body, secret, clock().Now()).ok()) << header;
  EXPECT_FALSE(stripe::VerifyWebhookSignature(header, got.body + " ", secret, clock().Now()).ok());
  EXPECT_FALSE(stripe::VerifyWebhookSignature(header, got.body, "whsec_other", clock().Now()).ok());
  EXPECT_FALSE(stripe::VerifyWebhookSignature(header, got.body, secret, clock().Now() + std::chrono::minutes(6)).ok());

  // The same by stripe-node's algorithm (constructEvent on our header's value).
  if (std::filesystem::exists(std::string(MTL_SOURCE_DIR) + "/tests/fakes/node_modules/stripe")) {
    std::string file = "/tmp/mtl-webhook-body-" + RandomHex(6) + ".json";
    std::ofstream(file, std::ios::binary) << got.body;
    std::string command = std::string("node ") + MTL_SOURCE_DIR + "/tests/fakes/stripe_webhook_check.js verify " +
                          secret + " " + file + " '" + header + "' 1000000000";  // t is the fake clock's
    std::string out;
    FILE* pipe = popen(command.c_str(), "r");
    ASSERT_NE(pipe, nullptr);
    char buffer[256];
    for (size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;) out.append(buffer, n);
    pclose(pipe);
    std::filesystem::remove(file);
    EXPECT_EQ(out, "ok");
  }

  // Recorded once, with its attempt.
  webhooks::DeliveryLog log(db(), clock());
  auto page = log.List(endpoint.id, "", {.limit = 10});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].status, "succeeded");
  EXPECT_EQ(page->items[0].event_id, event_id);
  auto one = log.Get(endpoint.id, page->items[0].id);
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->attempt_log.size(), 1u);
  EXPECT_EQ(one->attempt_log[0].status_code, 200);
  EXPECT_EQ(one->attempt_log[0].response_excerpt, "ok");
  EXPECT_EQ(Run().succeeded, 0) << "nothing twice";
}

TEST_P(WebhookDeliveryTest, EventsGoToTheEndpointsThatWantThem) {
  Register(acme_, {"invoice.finalized"}, "/acme");
  Register(beta_, {"*"}, "/beta");
  Register("", {"*"}, "/platform");
  Publish("invoice.finalized", acme_, {{"n", 1}});
  Publish("usage.threshold_crossed", acme_, {{"n", 2}});
  Publish("invoice.finalized", beta_, {{"n", 3}});
  Publish("reconciliation.alert", "", {{"n", 4}});
  auto run = Run();
  EXPECT_EQ(run.events, 4);
  EXPECT_EQ(run.succeeded, 6);
  EXPECT_EQ(Sequence("/acme"), (std::vector<int64_t>{1}));
  EXPECT_EQ(Sequence("/beta"), (std::vector<int64_t>{3}));
  EXPECT_EQ(Sequence("/platform"), (std::vector<int64_t>{1, 2, 3, 4}));
  // An endpoint made after an event does not get it.
  Register(acme_, {"*"}, "/late");
  Publish("invoice.finalized", beta_, {{"n", 5}});
  Run();
  EXPECT_TRUE(Sequence("/late").empty());
}

TEST_P(WebhookDeliveryTest, ACustomersEventsArriveInOrderThroughRetries) {
  Register(acme_);
  // The first attempt fails with a 500, the second times out.
  receiver_.Script({{.status = 500, .body = "boom"}, {.status = 200, .delay = std::chrono::milliseconds(1500)}});
  for (int n = 1; n <= 3; ++n) Publish("invoice.finalized", acme_, {{"n", n}});
  Publish("invoice.finalized", beta_, {{"n", 99}});  // another customer's: no endpoint, no delivery
  auto first = Run();
  EXPECT_EQ(first.retrying, 1);
  EXPECT_EQ(first.succeeded, 0) << "events 2 and 3 wait for event 1";
  // Within a minute (30 s ± 20 %): the retry times out.
  clock().Advance(std::chrono::seconds(37));
  auto second = Run();
  EXPECT_EQ(second.retrying, 1);
  auto error = Scalar("SELECT last_error FROM webhook_deliveries ORDER BY event_id LIMIT 1");
  EXPECT_NE(error.find("imeout"), std::string::npos) << error;
  clock().Advance(std::chrono::seconds(73));  // 60 s ± 20 %
  auto third = Run();
  EXPECT_EQ(third.succeeded, 3);
  EXPECT_EQ(Sequence(), (std::vector<int64_t>{1, 1, 1, 2, 3}));
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM webhook_delivery_attempts"), "5");
  EXPECT_EQ(Scalar("SELECT attempts FROM webhook_deliveries ORDER BY event_id LIMIT 1"), "3");
  // Each retry carries the same event id.
  auto requests = receiver_.Requests();
  EXPECT_EQ(requests[0].headers.at("meterline-event-id"), requests[2].headers.at("meterline-event-id"));
}

TEST_P(WebhookDeliveryTest, FailingForThreeDaysFailsTheDeliveryAndDisablesTheEndpoint) {
  auto [endpoint, secret] = Register(acme_);
  receiver_.SetFallback({.status = 503});
  Publish("invoice.finalized", acme_, {{"n", 1}});
  EXPECT_EQ(Run().retrying, 1);
  EXPECT_NE(Scalar("SELECT failing_since FROM webhook_endpoints WHERE id = $1", {endpoint.id}), "NULL");
  clock().Advance(std::chrono::hours(71));
  EXPECT_EQ(Run().retrying, 1);
  EXPECT_EQ(Scalar("SELECT status FROM webhook_endpoints WHERE id = $1", {endpoint.id}), "enabled");
  clock().Advance(std::chrono::hours(2));
  auto last = Run();
  EXPECT_EQ(last.failed, 1);
  EXPECT_EQ(Scalar("SELECT status FROM webhook_deliveries"), "failed");
  EXPECT_EQ(Scalar("SELECT status FROM webhook_endpoints WHERE id = $1", {endpoint.id}), "disabled");
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM billing_audit WHERE action = 'webhook_endpoint.disabled'"), "1");
  // Disabled: new events are not sent to it; enabled again, they are.
  Publish("invoice.finalized", acme_, {{"n", 2}});
  Run();
  EXPECT_EQ(receiver_.Count(), 3u);
  ASSERT_TRUE(endpoints_->Enable(endpoint.id, "", "usr_admin").ok());
  receiver_.SetFallback({});
  Publish("invoice.finalized", acme_, {{"n", 3}});
  EXPECT_EQ(Run().succeeded, 1);
  // A manual redelivery of the failed one: one more attempt, marked manual.
  webhooks::DeliveryLog log(db(), clock());
  auto failed = log.List(endpoint.id, "failed", {.limit = 10});
  ASSERT_TRUE(failed.ok());
  ASSERT_EQ(failed->items.size(), 1u);
  ASSERT_TRUE(log.Redeliver(endpoint.id, failed->items[0].id, "usr_admin").ok());
  EXPECT_EQ(Run().succeeded, 1);
  auto again = log.Get(endpoint.id, failed->items[0].id);
  EXPECT_EQ(again->status, "succeeded");
  EXPECT_TRUE(again->attempt_log.front().manual);
  EXPECT_EQ(Sequence().back(), 1);
}

TEST_P(WebhookDeliveryTest, ARotatedSecretSignsBesideTheNewOneUntilItsOverlapEnds) {
  auto [endpoint, old_secret] = Register(acme_);
  auto new_secret = endpoints_->RotateSecret(endpoint.id, acme_, std::chrono::hours(24), "usr_alice");
  ASSERT_TRUE(new_secret.ok());
  EXPECT_NE(*new_secret, old_secret);
  Publish("invoice.finalized", acme_, {{"n", 1}});
  Run();
  auto got = receiver_.Requests().back();
  std::string header = got.headers.at("meterline-signature");
  EXPECT_EQ(std::count(header.begin(), header.end(), 'v'), 2) << header;
  EXPECT_TRUE(stripe::VerifyWebhookSignature(header, got.body, old_secret, clock().Now()).ok());
  EXPECT_TRUE(stripe::VerifyWebhookSignature(header, got.body, *new_secret, clock().Now()).ok());
  clock().Advance(std::chrono::hours(25));
  Publish("invoice.finalized", acme_, {{"n", 2}});
  Run();
  got = receiver_.Requests().back();
  header = got.headers.at("meterline-signature");
  EXPECT_FALSE(stripe::VerifyWebhookSignature(header, got.body, old_secret, clock().Now()).ok());
  EXPECT_TRUE(stripe::VerifyWebhookSignature(header, got.body, *new_secret, clock().Now()).ok());
  // Another customer's scope cannot rotate it.
  EXPECT_EQ(endpoints_->RotateSecret(endpoint.id, beta_, std::chrono::hours(0), "usr_bob").error().code,
            ErrorCode::kNotFound);
}

TEST_P(WebhookDeliveryTest, NonPublicTargetsAreRefusedUnlessAllowed) {
  for (const char* url : {"https://127.0.0.1/hooks", "https://10.1.2.3/", "https://172.16.0.9/", "https://192.168.1.1/",
                          "https://169.254.169.254/latest/meta-data", "https://[::1]/", "https://[fd00:ec2::254]/",
                          "https://[::ffff:127.0.0.1]/", "https://[fe80::1]/", "https://100.64.0.1/",
                          "https://0.0.0.0/", "https://localhost:8443/"}) {
    auto checked = webhooks::CheckEndpointUrl(url, false);
    ASSERT_FALSE(checked.ok()) << url;
    EXPECT_EQ(checked.error().param, "url");
    EXPECT_NE(checked.error().message.find("address"), std::string::npos) << checked.error().message;
  }
  EXPECT_NE(webhooks::CheckEndpointUrl("http://127.0.0.1/", false).error().message.find("https"), std::string::npos);
  EXPECT_FALSE(webhooks::CheckEndpointUrl("https://user:pw@example.com/", false).ok());
  EXPECT_FALSE(webhooks::CheckEndpointUrl("ftp://example.com/", true).ok());
  EXPECT_FALSE(webhooks::CheckEndpointUrl("https://" + std::string(2050, 'a') + ".com/", true).ok());
  EXPECT_TRUE(webhooks::CheckEndpointUrl("http://127.0.0.1:9/", true).ok());
  webhooks::EndpointStore strict(db(), clock(), false);
  auto refused = strict.Create({.customer_id = acme_, .url = receiver_.Url(), .event_types = {"*"}, .actor = "t"});
  EXPECT_FALSE(refused.ok());

  // Registered while allowed, sent by a worker that is not: refused at connect time, never reached.
  Register(acme_);
  Publish("invoice.finalized", acme_, {{"n", 1}});
  worker_ = NewWorker(false);
  EXPECT_EQ(Run().retrying, 1);
  EXPECT_EQ(receiver_.Count(), 0u);
  EXPECT_NE(Scalar("SELECT last_error FROM webhook_deliveries").find("loopback"), std::string::npos);
}

TEST_P(WebhookDeliveryTest, TwoWorkersAndADeadOnesClaimSendEachEventOnce) {
  Register(acme_);
  Register(beta_);
  for (int n = 1; n <= 40; ++n) Publish("invoice.finalized", n % 2 ? acme_ : beta_, {{"n", n}});
  // A worker that died holding a claim: its lease has run out.
  ASSERT_TRUE(worker_->FanOut().ok());
  ASSERT_TRUE(db().Execute("UPDATE webhook_deliveries SET status = 'processing', locked_until = $1 WHERE id = "
                           "(SELECT MIN(id) FROM webhook_deliveries)",
                           {ToUnixMillis(clock().Now()) - 1})
                  .ok());
  auto other = NewWorker();
  std::atomic<int> errors{0};
  auto loop = [&](webhooks::DeliveryWorker& w) {
    for (int i = 0; i < 40; ++i) {
      if (!w.RunOnce().ok()) ++errors;
    }
  };
  std::thread a([&] { loop(*worker_); });
  std::thread b([&] { loop(*other); });
  a.join();
  b.join();
  EXPECT_EQ(errors.load(), 0);
  ASSERT_TRUE(receiver_.WaitFor(40));
  auto seen = Sequence();
  std::sort(seen.begin(), seen.end());
  std::vector<int64_t> expected(40);
  std::iota(expected.begin(), expected.end(), 1);
  EXPECT_EQ(seen, expected) << "each event exactly once";
  EXPECT_EQ(Scalar("SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'succeeded'"), "40");
  // Each customer's in order.
  std::vector<int64_t> odd, even;
  for (int64_t n : Sequence()) (n % 2 ? odd : even).push_back(n);
  EXPECT_TRUE(std::is_sorted(odd.begin(), odd.end()));
  EXPECT_TRUE(std::is_sorted(even.begin(), even.end()));
}

INSTANTIATE_TEST_SUITE_P(Backends, WebhookDeliveryTest, ::testing::ValuesIn(TestBackends()),
                         [](const auto& info) { return BackendParamName(info.param); });

}  // namespace
}  // namespace meterline::testing
