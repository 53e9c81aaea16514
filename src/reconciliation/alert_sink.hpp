// AlertSink: where a raised reconciliation alert goes, besides the log line,
// the metric and the `events` row the service writes itself. Injected into
// ReconciliationService, so tests and future channels need no network code.
#pragma once

#include <boost/json/object.hpp>

#include <memory>
#include <string>

namespace meterline::reconciliation {

class AlertSink {
 public:
  virtual ~AlertSink() = default;
  // Delivers one alert (see ReconciliationService for its fields). Must not
  // throw; a failure is the sink's to log.
  virtual void Send(const boost::json::object& alert) = 0;
};

// POSTs each alert as JSON to ALERT_WEBHOOK_URL, once, with a 5 s timeout.
// A failure is logged without the URL (it may hold a token). Thread-safe.
std::unique_ptr<AlertSink> NewWebhookAlertSink(std::string url);

}  // namespace meterline::reconciliation
