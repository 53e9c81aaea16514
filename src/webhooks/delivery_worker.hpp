// DeliveryWorker: sends the events table out to webhook endpoints
// (docs/webhooks.md).
//
//   FanOut   — each recorded event becomes one delivery per endpoint that
//              wants it (its type; its customer, or a platform-wide
//              endpoint; made before the event), in event order, once: the
//              event is marked done in the same transaction, and
//              (endpoint, event) is unique.
//   RunOnce  — due deliveries are claimed with a lease (several instances
//              never send one at once; a killed worker's claim runs out and
//              another takes it up), signed, posted, and recorded with the
//              attempt's status, latency and the answer's first bytes.
//
// Order: a delivery waits while an earlier event's delivery to the same
// endpoint and customer is pending, so each receiver sees a customer's
// events in order. Retries: exponential back-off with ±20 % jitter from
// `first_retry` up to `max_retry_delay`, for `retry_for` after the event;
// then the delivery is failed. An endpoint failing for `disable_after`
// since its last success is disabled. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "storage/database.hpp"
#include "webhooks/http_post.hpp"

namespace meterline::observability {
class Registry;
}
namespace meterline::net {
class CurlPool;
}

namespace meterline::webhooks {

struct DeliveryOptions {
  PostLimits post;
  std::chrono::seconds first_retry{30};            // WEBHOOK_RETRY_FIRST_SECONDS
  std::chrono::seconds max_retry_delay{6 * 3600};  // WEBHOOK_RETRY_MAX_SECONDS
  std::chrono::hours retry_for{72};                // WEBHOOK_RETRY_HOURS
  std::chrono::hours disable_after{72};            // WEBHOOK_DISABLE_AFTER_HOURS
  std::chrono::milliseconds lease{60'000};         // longer than one attempt can take
  int batch = 100;                                 // deliveries claimed per pass
};

// The api_version every delivered event carries: the shape of its body.
inline constexpr const char* kEventApiVersion = "2026-11-30";

struct DeliveryRun {
  int64_t events = 0;     // fanned out
  int64_t succeeded = 0;  // answered 2xx
  int64_t retrying = 0;   // failed, tried again later
  int64_t failed = 0;     // failed for good (retry window over)
};

class DeliveryWorker {
 public:
  DeliveryWorker(storage::Database& db, const Clock& clock, observability::Registry& metrics, DeliveryOptions options);
  ~DeliveryWorker();
  DeliveryWorker(const DeliveryWorker&) = delete;
  DeliveryWorker& operator=(const DeliveryWorker&) = delete;

  // Fans out up to `limit` pending events; returns how many.
  Result<int64_t> FanOut(int64_t limit = 500);
  // FanOut, then one batch of due deliveries.
  Result<DeliveryRun> RunOnce();

  // The delay before the retry that follows `failed_attempts` failures, before jitter.
  std::chrono::milliseconds RetryDelay(int64_t failed_attempts) const;
  const DeliveryOptions& options() const { return options_; }

 private:
  struct Claimed;
  // One attempt made, to be recorded.
  struct Attempt {
    const Claimed* claimed = nullptr;
    TimePoint event_at;  // when its event happened: the retry window runs from it
    TimePoint at;        // when it was sent
    PostResult result;
  };
  // Claims a batch of due deliveries, in one transaction.
  Result<std::vector<Claimed>> Claim(TimePoint now);
  // Signs and posts one claimed delivery; `secrets` keeps each endpoint's
  // signing secrets for the rest of the pass.
  Result<Attempt> Send(const Claimed& claimed, std::map<std::string, std::vector<std::string>>& secrets);
  // Records a pass's attempts (and gives back the claims it did not try), in
  // one transaction; adds to `run`.
  Status Record(const std::vector<Attempt>& attempts, const std::vector<const Claimed*>& released, DeliveryRun& run);

  storage::Database& db_;
  const Clock& clock_;
  DeliveryOptions options_;
  std::unique_ptr<net::CurlPool> pool_;
  struct Metrics;
  std::unique_ptr<Metrics> metrics_;
};

}  // namespace meterline::webhooks
