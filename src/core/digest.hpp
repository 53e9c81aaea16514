// Digests: SHA-256 as lowercase hex (migration checksums, API-key hashes, ETags).
#pragma once

#include <string>
#include <string_view>

namespace meterline {

std::string Sha256Hex(std::string_view data);

}  // namespace meterline
