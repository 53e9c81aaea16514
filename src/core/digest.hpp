// Digests: SHA-256 as lowercase hex (migration checksums, API-key hashes,
// ETags), HMAC-SHA256 (JWTs, CSRF tokens, Stripe's webhook signatures) and the
// constant-time comparison every secret is checked with.
#pragma once

#include <string>
#include <string_view>

namespace meterline {

std::string Sha256Hex(std::string_view data);

// HMAC-SHA256 of `data` under `key`, raw 32 bytes.
std::string HmacSha256(std::string_view key, std::string_view data);

// Constant-time equality (the length is not secret).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace meterline
