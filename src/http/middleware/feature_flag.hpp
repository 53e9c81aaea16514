// FeatureFlag: a route whose `feature` is switched off does not exist: it
// answers 404 with code "feature_disabled". Runs before authentication so a
// disabled feature reveals nothing about credentials.
#pragma once

#include "core/feature_flags.hpp"
#include "http/middleware/middleware.hpp"

namespace meterline::http {

class FeatureFlagMiddleware final : public Middleware {
 public:
  explicit FeatureFlagMiddleware(FeatureFlags flags) : flags_(flags) {}
  Response Handle(Request& request, const Next& next) override;

 private:
  FeatureFlags flags_;
};

}  // namespace meterline::http
