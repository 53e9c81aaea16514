// Public identifiers: opaque strings with a type prefix ("cus_", "inv_", "evt_").
#pragma once

#include <string>
#include <string_view>

namespace meterline {

// Returns prefix + "_" + 24 base62 characters: 8 encoding the current time in
// milliseconds (so ids sort by creation time) and 16 from a CSPRNG (OpenSSL,
// ~95 bits), e.g. NewId("cus") -> "cus_0Vx3kQ2a…". Ids are not secrets:
// authorization guards every object. Thread-safe.
std::string NewId(std::string_view prefix);

// Returns `bytes` random bytes from a CSPRNG, hex-encoded (2*bytes characters).
std::string RandomHex(size_t bytes);

}  // namespace meterline
