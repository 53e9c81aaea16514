// Micro-benchmarks of the request path's pure parts: route matching and the
// pipeline (request id, access log + metrics, feature flag) around a trivial handler.
#include <benchmark/benchmark.h>

#include "core/log.hpp"
#include "http/middleware/access_log.hpp"
#include "http/middleware/feature_flag.hpp"
#include "http/middleware/pipeline.hpp"
#include "http/middleware/request_id.hpp"
#include "http/router.hpp"

namespace meterline::http {
namespace {

Router MakeRouter() {
  Router router;
  const char* patterns[] = {"/health",
                            "/ready",
                            "/metrics",
                            "/api/v1/meta/features",
                            "/api/v1/meta/info",
                            "/api/v1/billing/usage/current",
                            "/api/v1/billing/invoices",
                            "/api/v1/billing/invoices/:id",
                            "/api/v1/billing/invoices/:id/pdf",
                            "/api/v1/billing/reconcile",
                            "/api/v1/webhooks/stripe"};
  for (const char* p : patterns) {
    Route route;
    route.pattern = p;
    route.handler = [](Request&) -> Result<Response> { return Response::Json(200, "{}"); };
    router.Add(std::move(route));
  }
  return router;
}

void BM_RouterFind(benchmark::State& state) {
  Router router = MakeRouter();
  for (auto _ : state) {
    auto match = router.Find(Method::kGet, "/api/v1/billing/invoices/inv_4fJ9aB2cD3eF4gH5iJ6kL7mN/pdf");
    benchmark::DoNotOptimize(match.route);
  }
}
BENCHMARK(BM_RouterFind);

void BM_PipelineTrivialHandler(benchmark::State& state) {
  log::Init(log::Level::kOff);
  Router router = MakeRouter();
  observability::Registry registry;
  Pipeline pipeline(router, nullptr);
  pipeline.Use(std::make_unique<RequestIdMiddleware>());
  pipeline.Use(std::make_unique<AccessLogMiddleware>(registry));
  pipeline.Use(std::make_unique<FeatureFlagMiddleware>(FeatureFlags{}));
  for (auto _ : state) {
    Request request;
    request.path = "/api/v1/meta/features";
    Response response = pipeline.Handle(request);
    benchmark::DoNotOptimize(response.status);
  }
}
BENCHMARK(BM_PipelineTrivialHandler);

}  // namespace
}  // namespace meterline::http

BENCHMARK_MAIN();
