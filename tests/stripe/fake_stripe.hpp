// FakeStripe: tests/fakes/fake_stripe.py as a child process on a free port,
// with helpers for its control endpoints.
#pragma once

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <memory>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "support/child_process.hpp"
#include "support/http_client.hpp"

namespace meterline::testing {

class FakeStripe {
 public:
  FakeStripe() {
    process_ = std::make_unique<ChildProcess>(
        "/usr/bin/python3", std::vector<std::string>{std::string(MTL_SOURCE_DIR) + "/tests/fakes/fake_stripe.py"},
        std::map<std::string, std::string>{});
    auto port = process_->WaitForListeningPort(std::chrono::seconds(10));
    if (!port) throw std::runtime_error("fake Stripe did not start: " + process_->Stderr());
    base_url_ = "http://127.0.0.1:" + std::to_string(*port);
  }

  const std::string& base_url() const { return base_url_; }

  // The next `times` requests under `path` fail with `status` (0: the
  // connection is dropped), optionally with Stripe-Should-Retry.
  void Fail(const std::string& path, int status, int times, const std::string& should_retry = "", int delay_ms = 0) {
    std::string body = R"({"path":")" + path + R"(","status":)" + std::to_string(status) + R"(,"times":)" +
                       std::to_string(times) + R"(,"delay_ms":)" + std::to_string(delay_ms) +
                       (should_retry.empty() ? "" : R"(,"should_retry":")" + should_retry + "\"") + "}";
    HttpClient(base_url_).Post("/_fake/fail", body);
  }

  // The next `times` requests under `path` (and `method`, when given) are
  // carried out, then the connection is dropped before the answer: a crash
  // between Stripe's work and ours.
  void FailAfterDoing(const std::string& path, int times, const std::string& method = "") {
    std::string body = R"({"path":")" + path + R"(","after":true,"times":)" + std::to_string(times) +
                       (method.empty() ? "" : R"(,"method":")" + method + "\"") + "}";
    HttpClient(base_url_).Post("/_fake/fail", body);
  }

  // Drops the injected failures not used up yet.
  void Heal() { HttpClient(base_url_).Post("/_fake/heal", ""); }

  // Forgets every idempotency key, as Stripe does after 24 hours.
  void ForgetIdempotencyKeys() { HttpClient(base_url_).Post("/_fake/forget_keys", ""); }

  // Stripe's invoices and customers as the fake holds them.
  boost::json::object State() { return boost::json::parse(HttpClient(base_url_).Get("/_fake/state").body).as_object(); }

  // A control endpoint of the fake with a JSON body; its JSON answer.
  boost::json::object Control(const std::string& path, const boost::json::object& body) {
    HttpResult r = HttpClient(base_url_).Post(path, boost::json::serialize(body));
    if (r.status != 200) throw std::runtime_error("fake Stripe " + path + ": " + r.body);
    return boost::json::parse(r.body).as_object();
  }

  // Where and with which secret the fake sends signed webhooks.
  void SetWebhookEndpoint(const std::string& url, const std::string& secret) {
    Control("/_fake/webhook_endpoint", {{"url", url}, {"secret", secret}});
  }

  // The events Stripe would have sent so far, oldest first.
  boost::json::array Events() {
    return boost::json::parse(HttpClient(base_url_).Get("/_fake/events").body).at("events").as_array();
  }

  // Ids of the events of `type` (all types when empty), oldest first.
  std::vector<std::string> EventIds(const std::string& type = "") {
    std::vector<std::string> ids;
    boost::json::array events = Events();
    for (const auto& e : events) {
      if (type.empty() || e.at("type").as_string() == type) ids.emplace_back(e.at("id").as_string());
    }
    return ids;
  }

  // Sends the events now, in this order, signed; the HTTP status of each.
  std::vector<int64_t> Deliver(const std::vector<std::string>& ids) {
    boost::json::array list;
    for (const auto& id : ids) list.emplace_back(id);
    boost::json::object answer = Control("/_fake/deliver", {{"ids", list}});
    std::vector<int64_t> statuses;
    for (const auto& r : answer.at("results").as_array()) statuses.push_back(r.at("status").as_int64());
    return statuses;
  }

  // Stripe's clock moves on: later events get a later `created`.
  void Advance(int seconds) { Control("/_fake/advance", {{"seconds", seconds}}); }

  // Stripe's clock reads `now` from here on, and ticks on: for a test whose
  // billingd runs on a FakeClock, so that what Stripe makes is not created
  // before (or long after) what billingd makes. Webhook signatures keep the
  // real time, as real deliveries would.
  void SetNow(TimePoint now) { Control("/_fake/clock", {{"now", ToUnixMillis(now) / 1000}}); }

  boost::json::array Requests() {
    return boost::json::parse(HttpClient(base_url_).Get("/_fake/requests").body).at("requests").as_array();
  }

 private:
  std::unique_ptr<ChildProcess> process_;
  std::string base_url_;
};

}  // namespace meterline::testing
