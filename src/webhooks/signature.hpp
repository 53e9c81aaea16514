// Meterline's webhook signatures, built like Stripe's so the same code can
// check them (docs/webhooks.md):
//
//   Meterline-Signature: t=1764460800,v1=5257a869…[,v1=…]
//
// Each v1 is the hex HMAC-SHA256 of "{t}.{raw body}" keyed with an endpoint
// secret (the bytes of "whsec_…"); while a secret is being rotated out, the
// old one signs too, so a receiver with either secret can check it.
// Receivers should refuse a t more than 5 minutes from their clock.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace meterline::webhooks {

// The header's name.
inline constexpr const char* kSignatureHeader = "Meterline-Signature";

// "t={timestamp},v1={hmac by secrets[0]},v1={hmac by secrets[1]}…".
std::string SignatureHeaderValue(std::string_view body, const std::vector<std::string>& secrets, int64_t timestamp);

}  // namespace meterline::webhooks
