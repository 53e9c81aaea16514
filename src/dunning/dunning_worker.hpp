// DunningWorker: runs the dunning campaigns (docs/dunning.md).
//
// Each pass first ends the campaigns whose invoice was settled meanwhile
// (CampaignStore::Settle), then claims the campaigns whose next retry is due
// with a lease (several instances never retry one invoice at once; a killed
// worker's claim runs out and another takes it up) and, for each, asks
// Stripe to pay the invoice (POST /v1/invoices/{id}/pay) with the
// Idempotency-Key "dunning-<campaign>-<attempt>": a retry of the same
// attempt after a crash or an unreachable Stripe is the same request, which
// Stripe answers the same way, never a second charge.
//
//   paid     -> the invoice is paid (Stripe's amounts), the campaign
//               recovered, the subscription active again;
//   declined -> the next retry is scheduled (dunning.retry_failed), or after
//               the last one the final action applies and the campaign is
//               exhausted (dunning.exhausted);
//   Stripe unreachable or failing -> no attempt: the same one again after
//               `error_retry`.
// Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "dunning/campaign.hpp"
#include "dunning/policy.hpp"
#include "storage/database.hpp"

namespace meterline::observability {
class Registry;
}
namespace meterline::stripe {
class StripeClient;
}
namespace meterline::subscriptions {
class SubscriptionService;
}

namespace meterline::dunning {

struct WorkerOptions {
  std::chrono::milliseconds lease{120'000};  // longer than Stripe calls with their retries take
  std::chrono::seconds error_retry{3600};    // when Stripe failed: try the same attempt again after this
  int batch = 50;                            // campaigns claimed per pass
};

struct DunningRun {
  int64_t settled = 0;    // ended because their invoice was settled meanwhile
  int64_t recovered = 0;  // a retry got the invoice paid
  int64_t declined = 0;   // a retry failed, another is scheduled
  int64_t exhausted = 0;  // the last retry failed: final action applied
  int64_t errors = 0;     // Stripe failed: the attempt waits for later
};

class DunningWorker {
 public:
  DunningWorker(storage::Database& db, const Clock& clock, stripe::StripeClient& stripe,
                subscriptions::SubscriptionService& subscriptions, observability::Registry& metrics,
                WorkerOptions options);
  ~DunningWorker();
  DunningWorker(const DunningWorker&) = delete;
  DunningWorker& operator=(const DunningWorker&) = delete;

  // Settles, then makes the due retries of one batch.
  Result<DunningRun> RunOnce();

 private:
  struct Claimed;
  Result<std::vector<Claimed>> Claim(TimePoint now);
  // One retry of a claimed campaign; adds its outcome to `run`.
  Status Retry(const Claimed& claimed, DunningRun& run);
  // The last retry failed: the final action, then the campaign exhausted.
  Status Exhaust(const Claimed& claimed, const Attempt& attempt, DunningRun& run);
  // Stripe did not give an answer: the claim is given back, the attempt waits.
  Status Postpone(const Claimed& claimed, const std::string& why, DunningRun& run);

  storage::Database& db_;
  const Clock& clock_;
  stripe::StripeClient& stripe_;
  subscriptions::SubscriptionService& subscriptions_;
  WorkerOptions options_;
  struct Metrics;
  std::unique_ptr<Metrics> metrics_;
};

}  // namespace meterline::dunning
