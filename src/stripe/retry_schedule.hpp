// When Stripe work that failed is tried again: the outbox and webhook
// processing share one schedule. 30 s after the first failure, doubling to at
// most an hour; after kMaxAttempts the row is 'dead' for an admin. The whole
// schedule (about 4 h) stays inside Stripe's 24 h idempotency-key window, so
// every retry of a POST is still recognised by Stripe.
#pragma once

#include <algorithm>
#include <cstdint>

namespace meterline::stripe {

inline constexpr int64_t kMaxAttempts = 10;

// Milliseconds to wait after the `attempts`-th failure (1-based).
inline int64_t RetryDelayMs(int64_t attempts) {
  return std::min<int64_t>(3'600'000, int64_t{30'000} << std::clamp<int64_t>(attempts - 1, 0, 10));
}

}  // namespace meterline::stripe
