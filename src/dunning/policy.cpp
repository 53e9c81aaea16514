#include "dunning/policy.hpp"

#include <charconv>

namespace meterline::dunning {

const char* FinalActionName(FinalAction action) {
  switch (action) {
    case FinalAction::kMarkUncollectible: return "mark_uncollectible";
    case FinalAction::kCancelSubscription: return "cancel_subscription";
    case FinalAction::kLeavePastDue: return "leave_past_due";
  }
  return "leave_past_due";
}

std::optional<FinalAction> ParseFinalAction(std::string_view text) {
  for (FinalAction action :
       {FinalAction::kMarkUncollectible, FinalAction::kCancelSubscription, FinalAction::kLeavePastDue}) {
    if (text == FinalActionName(action)) return action;
  }
  return std::nullopt;
}

Result<std::vector<std::chrono::seconds>> ParseRetrySchedule(std::string_view text) {
  std::vector<std::chrono::seconds> out;
  auto bad = [](std::string_view item, const std::string& why) {
    return InvalidArgument("retry '" + std::string(item.substr(0, 32)) + "' " + why);
  };
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.size() < 2) return bad(item, "must be a number and a unit (s, m, h, d), e.g. 3d");
    int64_t unit = 0;
    switch (item.back()) {
      case 's': unit = 1; break;
      case 'm': unit = 60; break;
      case 'h': unit = 3600; break;
      case 'd': unit = 86400; break;
      default: return bad(item, "must end in a unit: s, m, h or d");
    }
    int64_t n = 0;
    std::string_view digits = item.substr(0, item.size() - 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (ec != std::errc() || end != digits.data() + digits.size() || n <= 0) {
      return bad(item, "must be a positive whole number and a unit, e.g. 3d");
    }
    if (n > kMaxRetryOffset.count() / unit) return bad(item, "is more than 90 days after the first failure");
    std::chrono::seconds offset(n * unit);
    if (!out.empty() && offset <= out.back()) return bad(item, "must come after the retry before it");
    out.push_back(offset);
    if (out.size() > kMaxRetries) return InvalidArgument("at most " + std::to_string(kMaxRetries) + " retries");
  }
  if (out.empty()) return InvalidArgument("at least one retry is needed, e.g. 3d,7d,14d,21d");
  return out;
}

std::string FormatRetrySchedule(const std::vector<std::chrono::seconds>& retries) {
  std::string out;
  for (auto offset : retries) {
    int64_t s = offset.count();
    if (!out.empty()) out += ',';
    if (s % 86400 == 0) {
      out += std::to_string(s / 86400) + "d";
    } else if (s % 3600 == 0) {
      out += std::to_string(s / 3600) + "h";
    } else if (s % 60 == 0) {
      out += std::to_string(s / 60) + "m";
    } else {
      out += std::to_string(s) + "s";
    }
  }
  return out;
}

}  // namespace meterline::dunning
