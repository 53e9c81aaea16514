#include "http/middleware/access_log.hpp"

#include <chrono>

#include "core/clock.hpp"
#include "core/log.hpp"
#include "http/router.hpp"

namespace meterline::http {

std::string RouteLabel(const Request& request, const Response& response) {
  if (request.route != nullptr) return request.route->pattern;
  if (response.headers.Has("X-Static-File")) return "static";
  return "unmatched";
}

AccessLogMiddleware::AccessLogMiddleware(observability::Registry& registry)
    : requests_(registry.AddCounter("meterline_http_requests_total", "HTTP requests answered.",
                                    {"route", "method", "status"})),
      latency_(registry.AddHistogram("meterline_http_request_duration_seconds",
                                     "Time from reading a request to having its response.", {"route", "method"},
                                     observability::DefaultLatencyBuckets())),
      in_flight_(
          registry.AddGauge("meterline_http_requests_in_flight", "HTTP requests being handled.", {}).WithLabels({})) {}

Response AccessLogMiddleware::Handle(Request& request, const Next& next) {
  struct InFlight {
    observability::Gauge& gauge;
    explicit InFlight(observability::Gauge& g) : gauge(g) { gauge.Inc(); }
    ~InFlight() { gauge.Dec(); }
  };
  Response response = [&] {
    InFlight in_flight(in_flight_);
    return next(request);
  }();
  auto elapsed = std::chrono::steady_clock::now() - request.received_at;
  int64_t micros = std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count();

  std::string route = RouteLabel(request, response);
  response.headers.Remove("X-Static-File");
  const char* method = MethodName(request.method);
  std::string status = std::to_string(response.status);
  requests_.WithLabels({route, method, status}).Inc();
  latency_.WithLabels({route, method}).ObserveMicros(micros);

  if (log::Enabled(log::Level::kInfo)) {
    std::string line = "{\"time\":";
    log::AppendJsonString(line, FormatIso8601(SystemClock().Now()));
    line += ",\"level\":\"info\",\"msg\":\"request\",\"request_id\":";
    log::AppendJsonString(line, request.request_id);
    line += ",\"method\":\"";
    line += method;
    line += "\",\"route\":";
    log::AppendJsonString(line, route);
    line += ",\"path\":";
    log::AppendJsonString(line, request.path);
    if (request.principal) {
      line += ",\"user\":";
      log::AppendJsonString(line, request.principal->id);
    }
    line += ",\"status\":" + status + ",\"duration_us\":" + std::to_string(micros) +
            ",\"bytes\":" + std::to_string(response.body.size()) + ",\"remote\":";
    log::AppendJsonString(line, request.remote_address);
    line += '}';
    log::WriteRaw(log::Level::kInfo, line);
  }
  return response;
}

}  // namespace meterline::http
