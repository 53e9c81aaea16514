#include "core/ids.hpp"

#include <chrono>

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
  constexpr size_t kTimeChars = 8;     // 62^8 ms ~ 6,900 years from 1970
  constexpr size_t kRandomChars = 16;  // 16 * log2(62) ~ 95 bits
  std::string id(prefix);
  id += '_';
  // Milliseconds first, fixed width, in an alphabet that sorts like ASCII: ids
  // sort by creation time, so new rows append to the end of primary-key
  // B-trees instead of landing on random pages.
  auto ms = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
  char time_part[kTimeChars];
  for (size_t i = kTimeChars; i-- > 0;) {
    time_part[i] = kAlphabet[ms % 62];
    ms /= 62;
  }
  id.append(time_part, kTimeChars);
  std::array<unsigned char, kRandomChars * 2> raw{};
  size_t want = id.size() + kRandomChars;
  while (id.size() < want) {
    FillRandom(raw.data(), raw.size());
    for (unsigned char byte : raw) {
      if (byte >= 248) continue;  // 248 = 4 * 62: reject to keep the distribution uniform
      id += kAlphabet[byte % 62];
      if (id.size() == want) break;
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
