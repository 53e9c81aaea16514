// DunningPolicy: what happens after an invoice's payment fails
// (docs/dunning.md): the retries' schedule, counted from the first failure,
// and the final action once the last retry failed too. A campaign keeps the
// policy it started with, so changing the configuration never reshapes one
// under way.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace meterline::dunning {

enum class FinalAction { kMarkUncollectible, kCancelSubscription, kLeavePastDue };

const char* FinalActionName(FinalAction action);
std::optional<FinalAction> ParseFinalAction(std::string_view text);

inline constexpr size_t kMaxRetries = 10;
inline constexpr std::chrono::seconds kMaxRetryOffset{std::chrono::hours(24 * 90)};

struct DunningPolicy {
  bool enabled = true;  // DUNNING_ENABLED
  // DUNNING_RETRY_SCHEDULE: when each retry is made, after the first
  // failure; strictly increasing. The default is like Stripe's Smart
  // Retries: 4 retries over 3 weeks.
  std::vector<std::chrono::seconds> retries{std::chrono::hours(24 * 3), std::chrono::hours(24 * 7),
                                            std::chrono::hours(24 * 14), std::chrono::hours(24 * 21)};
  FinalAction final_action = FinalAction::kMarkUncollectible;  // DUNNING_FINAL_ACTION
};

// "3d,7d,14d,21d": offsets with a unit (s, m, h, d), strictly increasing,
// 1 to kMaxRetries of them, none past kMaxRetryOffset. kInvalidArgument
// naming the bad item otherwise.
Result<std::vector<std::chrono::seconds>> ParseRetrySchedule(std::string_view text);
// The same written back ("3d,7d,14d,21d"), in the largest unit that divides each.
std::string FormatRetrySchedule(const std::vector<std::chrono::seconds>& retries);

}  // namespace meterline::dunning
