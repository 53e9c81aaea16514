#include "stripe/webhook_signature.hpp"

#include <charconv>
#include <vector>

#include "core/digest.hpp"

namespace meterline::stripe {

namespace {

std::string Hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

Error Unauthenticated(const char* reason, std::string message) {
  return Error(ErrorCode::kUnauthenticated, reason, std::move(message));
}

}  // namespace

Status VerifyWebhookSignature(std::string_view header, std::string_view payload, std::string_view secret, TimePoint now,
                              std::chrono::seconds tolerance) {
  if (header.empty()) return Unauthenticated("signature_missing", "no Stripe-Signature header");
  std::string_view timestamp;
  std::vector<std::string_view> v1;
  for (size_t start = 0; start <= header.size();) {
    size_t end = header.find(',', start);
    if (end == std::string_view::npos) end = header.size();
    std::string_view item = header.substr(start, end - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    size_t eq = item.find('=');
    if (eq != std::string_view::npos) {
      std::string_view key = item.substr(0, eq);
      std::string_view value = item.substr(eq + 1);
      if (key == "t") timestamp = value;
      if (key == "v1") v1.push_back(value);  // v0 and other schemes are not trusted
    }
    start = end + 1;
  }
  // The whole field must be the number: the signed payload starts with t's text, so "t=1764000000ef"
  // must not pass as 1764000000.
  int64_t t = 0;
  auto [t_end, t_error] = std::from_chars(timestamp.data(), timestamp.data() + timestamp.size(), t);
  if (timestamp.empty() || t_error != std::errc() || t_end != timestamp.data() + timestamp.size()) {
    return Unauthenticated("signature_missing", "Stripe-Signature has no timestamp");
  }
  if (v1.empty()) return Unauthenticated("signature_missing", "Stripe-Signature has no v1 signature");
  std::string expected = Hex(HmacSha256(secret, std::string(timestamp) + "." + std::string(payload)));
  bool match = false;
  for (std::string_view candidate : v1) {
    // Every candidate is compared, in constant time, so timing says nothing about which matched.
    match = ConstantTimeEquals(candidate, expected) || match;
  }
  if (!match) return Unauthenticated("signature_mismatch", "no v1 signature matches the payload");
  int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  // t is the sender's: now_s - t may not fit in 64 bits (t=-9223372036854775808), and then it is far outside.
  int64_t age = 0;
  if (__builtin_sub_overflow(now_s, t, &age) || age > tolerance.count() || age < -tolerance.count()) {
    return Unauthenticated("signature_expired", "the signature's timestamp is outside the tolerance");
  }
  return OkStatus();
}

std::string SignWebhookPayload(std::string_view payload, std::string_view secret, int64_t timestamp) {
  std::string t = std::to_string(timestamp);
  return "t=" + t + ",v1=" + Hex(HmacSha256(secret, t + "." + std::string(payload)));
}

}  // namespace meterline::stripe
