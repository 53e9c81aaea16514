// Stripe webhook signatures, exactly as Stripe specifies them
// (https://docs.stripe.com/webhooks#verify-manually):
//
//   Stripe-Signature: t=1492774577,v1=5257a869…,v1=…,v0=…
//
// The signed payload is "{t}.{raw body}"; each v1 is the hex HMAC-SHA256 of it
// keyed with the endpoint secret, used as given (the bytes of "whsec_…").
// Several v1 entries appear while a secret is being rolled; any one matching
// is enough. Only v1 counts: v0 and unknown schemes are ignored. Signatures
// are compared in constant time, and t must be within `tolerance` of now.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/result.hpp"

namespace meterline::stripe {

// OK when `header` carries a v1 signature of `payload` by `secret` made within
// `tolerance` of `now`. Otherwise kUnauthenticated with reason
// "signature_missing" (no header, no t, or no v1), "signature_expired" (t
// outside the tolerance) or "signature_mismatch".
Status VerifyWebhookSignature(std::string_view header, std::string_view payload, std::string_view secret, TimePoint now,
                              std::chrono::seconds tolerance = std::chrono::seconds(300));

// The header Stripe would send for `payload` at `timestamp` (for tests and the
// fake Stripe): "t={timestamp},v1={hex hmac}".
std::string SignWebhookPayload(std::string_view payload, std::string_view secret, int64_t timestamp);

}  // namespace meterline::stripe
