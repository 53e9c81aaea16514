// AccessLog: one JSON log line per request (time, request id, method, route
// pattern, path, user, status, duration in µs, bytes, remote address) and the HTTP metrics
// (requests by route/method/status, latency histogram, in-flight gauge).
// Runs right after RequestId so it sees every response, errors included.
#pragma once

#include "http/middleware/middleware.hpp"
#include "observability/metrics.hpp"

namespace meterline::http {

class AccessLogMiddleware final : public Middleware {
 public:
  // Registers its metrics in `registry`, which must outlive this object.
  explicit AccessLogMiddleware(observability::Registry& registry);
  Response Handle(Request& request, const Next& next) override;

 private:
  observability::Family<observability::Counter>& requests_;
  observability::Family<observability::Histogram>& latency_;
  observability::Gauge& in_flight_;
};

// The route label for logs and metrics: the pattern, "static" or "unmatched"
// (never the raw path, which would make label cardinality unbounded).
std::string RouteLabel(const Request& request, const Response& response);

}  // namespace meterline::http
