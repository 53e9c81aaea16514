// FeatureFlags: which product areas this server offers, from the environment
// (BILLING_ENABLED, TRANSPARENCY_ENABLED, FRAUD_DETECTION_ENABLED, AB_TESTING_ENABLED).
#pragma once

#include <string_view>

namespace meterline {

struct FeatureFlags {
  bool billing = true;           // BILLING_ENABLED: the billing API and console pages
  bool transparency = false;     // TRANSPARENCY_ENABLED
  bool fraud_detection = false;  // FRAUD_DETECTION_ENABLED
  bool ab_testing = false;       // AB_TESTING_ENABLED

  // Looks a flag up by its API name ("billing", "transparency",
  // "fraudDetection", "abTesting"); unknown names are off.
  bool IsEnabled(std::string_view name) const {
    if (name == "billing") return billing;
    if (name == "transparency") return transparency;
    if (name == "fraudDetection") return fraud_detection;
    if (name == "abTesting") return ab_testing;
    return false;
  }
};

}  // namespace meterline
