// DeliveryLog: what was sent to an endpoint, for people: its deliveries
// newest first, each with its attempts (status code, latency, the answer's
// first bytes), and manual redelivery of one (the same event id; the attempt
// is marked manual). Reads go through EndpointStore's scope first, so another
// customer's endpoint or delivery is a 404. Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/paging.hpp"
#include "core/result.hpp"
#include "storage/database.hpp"

namespace meterline::webhooks {

struct DeliveryAttempt {
  TimePoint at;
  int status_code = 0;  // 0: no answer
  int64_t latency_ms = 0;
  std::string response_excerpt;
  std::string error;
  bool manual = false;
};

struct Delivery {
  std::string id;  // "wd_<n>"
  std::string endpoint_id;
  std::string event_id;  // "evt_…": the id the receiver sees
  std::string event_type;
  std::string customer_id;  // "" for platform events
  std::string status;       // pending | processing | succeeded | failed
  int64_t attempts = 0;
  int last_status_code = 0;
  std::string last_error;
  std::optional<TimePoint> next_attempt_at;  // while pending
  TimePoint created_at;
  std::optional<TimePoint> delivered_at;
  std::vector<DeliveryAttempt> attempt_log;  // filled by Get, newest first
};

class DeliveryLog {
 public:
  DeliveryLog(storage::Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  // An endpoint's deliveries, newest first (offset paging); `status` "" for all.
  Result<Page<Delivery>> List(const std::string& endpoint_id, const std::string& status, const PageRequest& page);
  // One delivery of the endpoint with its last 100 attempts; kNotFound otherwise.
  Result<Delivery> Get(const std::string& endpoint_id, const std::string& delivery_id);
  // Sends it again as soon as a worker is free (once, even after its retry
  // window). kConflict "delivery_in_progress" while an attempt is running.
  Result<Delivery> Redeliver(const std::string& endpoint_id, const std::string& delivery_id, const std::string& actor);

 private:
  storage::Database& db_;
  const Clock& clock_;
};

// "wd_<n>" -> n; nullopt for anything else.
std::optional<int64_t> ParseDeliveryId(const std::string& id);

}  // namespace meterline::webhooks
