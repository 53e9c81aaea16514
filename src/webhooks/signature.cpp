#include "webhooks/signature.hpp"

#include "core/digest.hpp"

namespace meterline::webhooks {

std::string SignatureHeaderValue(std::string_view body, const std::vector<std::string>& secrets, int64_t timestamp) {
  std::string signed_payload = std::to_string(timestamp) + "." + std::string(body);
  std::string out = "t=" + std::to_string(timestamp);
  static constexpr char kHex[] = "0123456789abcdef";
  for (const std::string& secret : secrets) {
    std::string mac = HmacSha256(secret, signed_payload);
    out += ",v1=";
    for (unsigned char c : mac) {
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

}  // namespace meterline::webhooks
