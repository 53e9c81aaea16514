#include "http/middleware/feature_flag.hpp"

#include "http/error_mapping.hpp"
#include "http/router.hpp"

namespace meterline::http {

Response FeatureFlagMiddleware::Handle(Request& request, const Next& next) {
  if (request.route != nullptr && !request.route->feature.empty() && !flags_.IsEnabled(request.route->feature)) {
    return ErrorResponse(Error(ErrorCode::kNotFound, "feature_disabled",
                               "the " + request.route->feature + " feature is disabled on this server"),
                         request.request_id);
  }
  return next(request);
}

}  // namespace meterline::http
