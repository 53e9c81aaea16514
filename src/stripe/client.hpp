// StripeClient: Stripe's REST API over libcurl (OpenSSL).
//
// - Base URL STRIPE_API_BASE (Stripe's by default), Authorization: Bearer
//   STRIPE_SECRET_KEY, and a pinned Stripe-Version: object shapes are those of
//   kStripeVersion (in 2025-03-31 and later invoices have total_taxes, status
//   and parent; no tax, paid, charge or top-level subscription).
// - Requests are form-encoded the way Stripe nests parameters
//   (metadata[key]=v, lines[0][amount]=…): pass them already flattened.
// - Every POST carries the Idempotency-Key the caller derives from our object
//   id and the operation, so a retry — ours, or after a crash — is the same
//   request to Stripe.
// - Retries with exponential back-off and jitter on connection errors,
//   timeouts, 429, 5xx and 409s Stripe marks retryable; Stripe-Should-Retry
//   overrides in both directions.
// - Stripe's error object becomes our Error: reason = Stripe's error code (or
//   type), message with Stripe's message and request id.
// The secret key is never logged. Thread-safe.
#pragma once

#include <boost/json/object.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace meterline::stripe {

inline constexpr const char* kStripeVersion = "2025-10-29.clover";

// Flattened form parameters, in order: {"metadata[invoice_id]", "inv_1"}.
using FormParams = std::vector<std::pair<std::string, std::string>>;

// application/x-www-form-urlencoded with Stripe's bracket keys percent-encoded.
std::string FormEncode(const FormParams& params);

struct ClientOptions {
  std::string api_base = "https://api.stripe.com";
  std::string secret_key;
  int timeout_ms = 30'000;
  int max_attempts = 4;                       // first try included
  std::chrono::milliseconds base_delay{500};  // doubled per retry, with jitter
  std::chrono::milliseconds max_delay{8'000};
  // Sleeps between retries; tests replace it to run without waiting.
  std::function<void(std::chrono::milliseconds)> sleep;
  // Told of every HTTP attempt (metrics): "POST", the endpoint with ids
  // replaced ("invoices/{id}/pay"), Stripe's status (0: no answer), the time.
  std::function<void(const char* method, const std::string& endpoint, long status, std::chrono::microseconds took)>
      observe;
};

// "invoices/in_1Nv0…/pay" -> "invoices/{id}/pay": a path as a metric label.
std::string EndpointLabel(const std::string& path);

struct CallStats {
  int attempts = 0;
};

class StripeClient {
 public:
  explicit StripeClient(ClientOptions options);
  ~StripeClient();
  StripeClient(const StripeClient&) = delete;
  StripeClient& operator=(const StripeClient&) = delete;

  // POST /v1/<path> with `params` and Idempotency-Key `idempotency_key`
  // (required: every POST is idempotent). Returns Stripe's JSON object.
  Result<boost::json::object> Post(const std::string& path, const FormParams& params,
                                   const std::string& idempotency_key, CallStats* stats = nullptr);

  // GET /v1/<path>?<query>.
  Result<boost::json::object> Get(const std::string& path, const FormParams& query = {}, CallStats* stats = nullptr);

 private:
  Result<boost::json::object> Call(const char* method, const std::string& path, const FormParams& params,
                                   const std::string& idempotency_key, CallStats* stats);
  struct Pool;
  ClientOptions options_;
  std::unique_ptr<Pool> pool_;
};

}  // namespace meterline::stripe
