// RegisterRoutes: the one table of every HTTP route billingd serves.
// docs/openapi.yaml must document exactly these routes (a test checks it).
#pragma once

#include "api/context.hpp"
#include "http/router.hpp"

namespace meterline::api {

// REQUIRES: `context` outlives the router.
void RegisterRoutes(http::Router& router, ApiContext& context);

}  // namespace meterline::api
