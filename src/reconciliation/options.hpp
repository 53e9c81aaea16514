// Reconciliation settings: the tolerance per line and the alert threshold per
// currency (RECONCILE_TOLERANCE, RECONCILE_ALERT_THRESHOLD, ALERT_WEBHOOK_URL).
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "money/decimal.hpp"

namespace meterline::reconciliation {

struct Options {
  money::Decimal tolerance{5, 3};  // RECONCILE_TOLERANCE, 0.5 %
  // RECONCILE_ALERT_THRESHOLD ("1000", or "1000,JPY=150000"): in major units
  // of each currency, unless the currency has an amount of its own.
  money::Decimal alert_threshold{1000, 0};
  std::map<std::string, money::Decimal> alert_thresholds;  // by currency code
  std::string alert_webhook_url;                           // ALERT_WEBHOOK_URL; empty = no POST

  // The threshold for `currency` in its minor units (JPY: 0 decimals).
  int64_t AlertThresholdMinor(const std::string& currency) const;
};

// Parses RECONCILE_ALERT_THRESHOLD into options.alert_threshold{,s}:
// "1000", "1000.00", "1000,JPY=150000,EUR=900". kInvalidArgument naming the
// bad part.
Status ParseAlertThreshold(std::string_view text, Options& options);

}  // namespace meterline::reconciliation
