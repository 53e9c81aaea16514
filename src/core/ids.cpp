#include "core/ids.hpp"

#include <openssl/rand.h>

#include <array>
#include <stdexcept>

namespace meterline {

namespace {

void FillRandom(unsigned char* out, size_t n) {
  if (RAND_bytes(out, static_cast<int>(n)) != 1) throw std::runtime_error("RAND_bytes failed");
}

}  // namespace

std::string NewId(std::string_view prefix) {
  static constexpr char kAlphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  constexpr size_t kLength = 24;  // 24 * log2(62) ~ 143 bits
  std::array<unsigned char, kLength * 2> raw{};
  std::string id(prefix);
  id += '_';
  while (id.size() < prefix.size() + 1 + kLength) {
    FillRandom(raw.data(), raw.size());
    for (unsigned char byte : raw) {
      if (byte >= 248) continue;  // 248 = 4 * 62: reject to keep the distribution uniform
      id += kAlphabet[byte % 62];
      if (id.size() == prefix.size() + 1 + kLength) break;
    }
  }
  return id;
}

std::string RandomHex(size_t bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string raw(bytes, '\0');
  FillRandom(reinterpret_cast<unsigned char*>(raw.data()), bytes);
  std::string hex;
  hex.reserve(bytes * 2);
  for (unsigned char c : raw) {
    hex += kHex[c >> 4];
    hex += kHex[c & 15];
  }
  return hex;
}

}  // namespace meterline
