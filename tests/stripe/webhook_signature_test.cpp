// Stripe-Signature verification, case by case, and cross-checked with the
// official stripe npm package in both directions.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "auth/jwt.hpp"
#include "core/ids.hpp"
#include "stripe/webhook_signature.hpp"

namespace meterline::stripe {
namespace {

constexpr const char* kSecret = "whsec_test_5f2b0c0f4e1d4c3b9a8f7e6d";
const std::string kPayload = R"({"id":"evt_1","object":"event","type":"invoice.paid","created":1764000000})";

TimePoint At(int64_t seconds) { return TimePoint(std::chrono::seconds(seconds)); }

std::string Reason(const Status& s) { return s.ok() ? "ok" : s.error().Reason(); }

TEST(WebhookSignature, AcceptsStripesFormat) {
  std::string header = SignWebhookPayload(kPayload, kSecret, 1764000000);
  EXPECT_EQ(header.substr(0, 13), "t=1764000000,");
  EXPECT_EQ(Reason(VerifyWebhookSignature(header, kPayload, kSecret, At(1764000000))), "ok");
  EXPECT_EQ(Reason(VerifyWebhookSignature(header, kPayload, kSecret, At(1764000300))), "ok");
}

TEST(WebhookSignature, RefusesTamperingWrongSecretsAndStaleTimestamps) {
  std::string header = SignWebhookPayload(kPayload, kSecret, 1764000000);
  std::string tampered = kPayload;
  tampered[tampered.find("paid")] = 'P';
  EXPECT_EQ(Reason(VerifyWebhookSignature(header, tampered, kSecret, At(1764000000))), "signature_mismatch");
  EXPECT_EQ(Reason(VerifyWebhookSignature(header, kPayload, "whsec_other", At(1764000000))), "signature_mismatch");
  EXPECT_EQ(Reason(VerifyWebhookSignature(header, kPayload, kSecret, At(1764000301))), "signature_expired");
  EXPECT_EQ(Reason(VerifyWebhookSignature(header, kPayload, kSecret, At(1763999699))), "signature_expired");
  EXPECT_EQ(Reason(VerifyWebhookSignature(header, kPayload, kSecret, At(1764000400), std::chrono::seconds(600))), "ok");
}

TEST(WebhookSignature, AnyV1MatchesDuringSecretRotationAndOnlyV1Counts) {
  std::string good = SignWebhookPayload(kPayload, kSecret, 1764000000);
  std::string v1 = good.substr(good.find("v1=") + 3);
  std::string old = SignWebhookPayload(kPayload, "whsec_old", 1764000000);
  std::string old_v1 = old.substr(old.find("v1=") + 3);
  std::string rotating = "t=1764000000,v1=" + old_v1 + ",v1=" + v1;
  EXPECT_EQ(Reason(VerifyWebhookSignature(rotating, kPayload, kSecret, At(1764000000))), "ok");
  // The right signature under v0 (or any other scheme) is not trusted.
  EXPECT_EQ(Reason(VerifyWebhookSignature("t=1764000000,v0=" + v1, kPayload, kSecret, At(1764000000))),
            "signature_missing");
  EXPECT_EQ(
      Reason(VerifyWebhookSignature("t=1764000000,v2=" + v1 + ",v1=" + old_v1, kPayload, kSecret, At(1764000000))),
      "signature_mismatch");
  EXPECT_EQ(Reason(VerifyWebhookSignature("", kPayload, kSecret, At(1764000000))), "signature_missing");
  EXPECT_EQ(Reason(VerifyWebhookSignature("v1=" + v1, kPayload, kSecret, At(1764000000))), "signature_missing");
  EXPECT_EQ(Reason(VerifyWebhookSignature("t=abc,v1=" + v1, kPayload, kSecret, At(1764000000))), "signature_missing");
}

TEST(WebhookSignature, TimestampMustBeOneWholeNumber) {
  // A valid HMAC over "1764000000ef.{payload}": the timestamp text is signed, but it is not a number.
  std::string mac = auth::HmacSha256(kSecret, "1764000000ef." + kPayload);
  std::string hex;
  for (unsigned char c : mac) {
    hex += "0123456789abcdef"[c >> 4];
    hex += "0123456789abcdef"[c & 15];
  }
  EXPECT_EQ(Reason(VerifyWebhookSignature("t=1764000000ef,v1=" + hex, kPayload, kSecret, At(1764000000))),
            "signature_missing");
  EXPECT_EQ(Reason(VerifyWebhookSignature("t=,v1=" + hex, kPayload, kSecret, At(1764000000))), "signature_missing");
}

TEST(WebhookSignature, ExtremeTimestampsAreExpiredWithoutOverflow) {
  // now - t does not fit in 64 bits for these (UBSan found it); both are far outside the tolerance.
  for (int64_t t : {INT64_MIN, INT64_MIN + 1, INT64_MAX}) {
    std::string header = SignWebhookPayload(kPayload, kSecret, t);
    EXPECT_EQ(Reason(VerifyWebhookSignature(header, kPayload, kSecret, At(1764000000))), "signature_expired") << t;
    EXPECT_EQ(Reason(VerifyWebhookSignature(header, kPayload, kSecret, At(-1764000000))), "signature_expired") << t;
  }
  EXPECT_EQ(Reason(VerifyWebhookSignature(SignWebhookPayload(kPayload, kSecret, -1764000000), kPayload, kSecret,
                                          At(-1764000000))),
            "ok");
}

// ---- Cross-check with stripe-node (tests/fakes, installed by ./scripts/test) ----

std::string Node(const std::string& args) {
  std::string command = std::string("node ") + MTL_SOURCE_DIR + "/tests/fakes/stripe_webhook_check.js " + args;
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char buffer[512];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  pclose(pipe);
  return out;
}

class StripeNodeCrossCheck : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(std::string(MTL_SOURCE_DIR) + "/tests/fakes/node_modules/stripe")) {
      GTEST_SKIP() << "tests/fakes/node_modules is missing: run 'npm ci --prefix tests/fakes' (./scripts/test does)";
    }
    payload_file_ = "/tmp/mtl-stripe-payload-" + RandomHex(6) + ".json";
    Write(kPayload);
  }
  void TearDown() override { std::filesystem::remove(payload_file_); }
  void Write(const std::string& payload) { std::ofstream(payload_file_, std::ios::binary) << payload; }

  std::string payload_file_;
};

TEST_F(StripeNodeCrossCheck, HeadersFromStripeNodeVerifyHere) {
  int64_t now = std::chrono::duration_cast<std::chrono::seconds>(SystemClock().Now().time_since_epoch()).count();
  std::string header = Node(std::string("sign ") + kSecret + " " + payload_file_);
  ASSERT_EQ(header.substr(0, 2), "t=") << header;
  EXPECT_EQ(Reason(VerifyWebhookSignature(header, kPayload, kSecret, SystemClock().Now())), "ok");
  std::string tampered = kPayload + " ";
  EXPECT_EQ(Reason(VerifyWebhookSignature(header, tampered, kSecret, SystemClock().Now())), "signature_mismatch");
  EXPECT_EQ(Reason(VerifyWebhookSignature(header, kPayload, "whsec_wrong", SystemClock().Now())), "signature_mismatch");
  std::string stale = Node(std::string("sign ") + kSecret + " " + payload_file_ + " " + std::to_string(now - 301));
  EXPECT_EQ(Reason(VerifyWebhookSignature(stale, kPayload, kSecret, SystemClock().Now())), "signature_expired");
}

TEST_F(StripeNodeCrossCheck, OurHeadersVerifyInStripeNodeAndFailThereWhenTheyShould) {
  int64_t now = std::chrono::duration_cast<std::chrono::seconds>(SystemClock().Now().time_since_epoch()).count();
  std::string header = SignWebhookPayload(kPayload, kSecret, now);
  EXPECT_EQ(Node(std::string("verify ") + kSecret + " " + payload_file_ + " '" + header + "'"), "ok");
  EXPECT_EQ(Node(std::string("verify whsec_wrong ") + payload_file_ + " '" + header + "'").substr(0, 6), "error:");
  std::string stale = SignWebhookPayload(kPayload, kSecret, now - 301);
  EXPECT_EQ(Node(std::string("verify ") + kSecret + " " + payload_file_ + " '" + stale + "'").substr(0, 6), "error:");
  Write(kPayload + " ");
  EXPECT_EQ(Node(std::string("verify ") + kSecret + " " + payload_file_ + " '" + header + "'").substr(0, 6), "error:");
}

}  // namespace
}  // namespace meterline::stripe
