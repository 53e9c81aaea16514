// Stripe-Signature verification (src/stripe/webhook_signature.cpp).
//
// Properties:
// - a header the fuzzer writes never verifies (it does not know the secret);
// - a header we sign at t verifies at now exactly when |now - t| <= tolerance,
//   whatever the 64-bit values, with or without other entries around it;
// - one changed byte in that header, the payload or the secret makes it fail.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <string>

#include "fuzz/check.hpp"
#include "stripe/webhook_signature.hpp"

namespace {

using meterline::TimePoint;
using meterline::stripe::SignWebhookPayload;
using meterline::stripe::VerifyWebhookSignature;

constexpr const char* kSecret = "whsec_fuzz_0123456789abcdef";

// Flips bits of one byte of `text` (the xor is never 0). REQUIRES: text is not empty.
void ChangeOneByte(FuzzedDataProvider& in, std::string& text) {
  size_t at = in.ConsumeIntegralInRange<size_t>(0, text.size() - 1);
  text[at] = static_cast<char>(text[at] ^ in.ConsumeIntegralInRange<int>(1, 255));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  TimePoint now{std::chrono::milliseconds(in.ConsumeIntegral<int64_t>())};
  std::chrono::seconds tolerance(in.ConsumeBool() ? 300 : in.ConsumeIntegralInRange<int64_t>(0, INT64_MAX));

  if (in.ConsumeBool()) {
    std::string header = in.ConsumeRandomLengthString(512);
    std::string payload = in.ConsumeRemainingBytesAsString();
    FUZZ_CHECK(!VerifyWebhookSignature(header, payload, kSecret, now, tolerance).ok());
    return 0;
  }

  int64_t t = in.ConsumeIntegral<int64_t>();
  std::string secret = in.ConsumeRandomLengthString(80);
  int decoys = in.ConsumeIntegralInRange<int>(0, 3);
  std::string payload = in.ConsumeRandomLengthString(4096);
  std::string signed_part = SignWebhookPayload(payload, secret, t);
  // Entries that must not change the outcome: v0 and unknown schemes, an old secret's v1 (rotation).
  std::string before = decoys & 1 ? "v0=" + signed_part.substr(signed_part.find("v1=") + 3) + "," : "";
  std::string after = decoys & 2 ? ",v1=" + std::string(64, '0') + ",x=y" : "";
  std::string header = before + signed_part + after;

  int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  __int128 age = static_cast<__int128>(now_s) - t;
  bool in_time = -tolerance.count() <= age && age <= tolerance.count();
  auto status = VerifyWebhookSignature(header, payload, secret, now, tolerance);
  FUZZ_CHECK(status.ok() == in_time);
  if (!status.ok()) FUZZ_CHECK(status.error().Reason() == "signature_expired");

  switch (in.ConsumeIntegralInRange<int>(0, 2)) {
    case 0:
      ChangeOneByte(in, signed_part);
      header = before + signed_part + after;
      break;
    case 1:
      if (payload.empty()) return 0;
      ChangeOneByte(in, payload);
      break;
    default:
      if (secret.empty()) return 0;
      ChangeOneByte(in, secret);
      break;
  }
  FUZZ_CHECK(!VerifyWebhookSignature(header, payload, secret, now, tolerance).ok());
  return 0;
}
