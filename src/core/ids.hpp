// Public identifiers: opaque strings with a type prefix ("cus_", "inv_", "evt_").
#pragma once

#include <string>
#include <string_view>

namespace meterline {

// Returns prefix + "_" + 24 random base62 characters from a CSPRNG (OpenSSL),
// e.g. NewId("cus") -> "cus_4fJ9...". Thread-safe.
std::string NewId(std::string_view prefix);

// Returns `bytes` random bytes from a CSPRNG, hex-encoded (2*bytes characters).
std::string RandomHex(size_t bytes);

}  // namespace meterline
