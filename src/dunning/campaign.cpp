#include "dunning/campaign.hpp"

#include <boost/json/array.hpp>

namespace meterline::dunning {

namespace json = boost::json;

namespace {

json::value OptTime(const std::optional<TimePoint>& t) {
  return t ? json::value(FormatIso8601(*t)) : json::value(nullptr);
}

}  // namespace

json::object CampaignJson(const Campaign& c) {
  json::array log;
  for (const Attempt& a : c.log) {
    log.push_back({{"attempt", a.attempt},
                   {"attempted_at", FormatIso8601(a.at)},
                   {"outcome", a.outcome},
                   {"code", a.code},
                   {"message", a.message}});
  }
  json::array schedule;
  for (auto offset : c.retries) schedule.emplace_back(FormatIso8601(c.started_at + offset));
  json::object out{{"object", "dunning_campaign"},
                   {"id", c.id},
                   {"invoice_id", c.invoice_id},
                   {"customer_id", c.customer_id},
                   {"state", c.state},
                   {"final_action", FinalActionName(c.final_action)},
                   {"attempts_made", c.attempts},
                   {"attempts_total", c.attempts_total()},
                   {"schedule", std::move(schedule)},
                   {"next_attempt_at", OptTime(c.next_attempt_at)},
                   {"last_failure", c.last_failure.empty() ? json::value(nullptr) : json::value(c.last_failure)},
                   {"started_at", FormatIso8601(c.started_at)},
                   {"ended_at", OptTime(c.ended_at)},
                   {"attempts", std::move(log)}};
  out["subscription_id"] = c.subscription_id.empty() ? json::value(nullptr) : json::value(c.subscription_id);
  return out;
}

}  // namespace meterline::dunning
