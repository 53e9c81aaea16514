// A dunning campaign: the retries of one invoice whose payment failed
// (docs/dunning.md). States: active (retries to come) -> recovered (the
// invoice got paid, by a retry or any other way), exhausted (the last retry
// failed; the final action applied) or closed (the invoice was voided or
// marked uncollectible elsewhere). An exhausted campaign whose invoice is
// paid later becomes recovered.
#pragma once

#include <boost/json/object.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "dunning/policy.hpp"

namespace meterline::dunning {

struct Attempt {
  int attempt = 0;  // 1-based
  TimePoint at;
  std::string outcome;  // "succeeded" | "failed"
  std::string code;     // Stripe's decline or error code
  std::string message;
};

struct Campaign {
  std::string id;  // "dun_…"
  std::string invoice_id;
  std::string customer_id;
  std::string subscription_id;                // "" for an invoice outside the subscription runs
  std::string state;                          // "active" | "recovered" | "exhausted" | "closed"
  std::vector<std::chrono::seconds> retries;  // after started_at
  FinalAction final_action = FinalAction::kMarkUncollectible;
  int attempts = 0;  // retries made
  std::optional<TimePoint> next_attempt_at;
  std::string last_failure;
  TimePoint started_at;
  std::optional<TimePoint> ended_at;
  std::vector<Attempt> log;  // oldest first

  int attempts_total() const { return static_cast<int>(retries.size()); }
};

// {"object": "dunning_campaign", "id", "invoice_id", …, "attempts": [...]}:
// the API's and the dunning.* events' shape (docs/openapi.yaml DunningCampaign).
boost::json::object CampaignJson(const Campaign& campaign);

}  // namespace meterline::dunning
