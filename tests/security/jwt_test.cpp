// Every way a token can be wrong is refused; tokens agree with an independent
// implementation (python3-jwt).
#include <cstdio>

#include "auth/jwt.hpp"
#include "security/security_fixture.hpp"

namespace meterline::testing {
namespace {

using auth::Base64UrlEncode;
using auth::HmacSha256;

constexpr const char* kSecret = BillingdHarness::kJwtSecret;

// A token with any header and payload, signed with HMAC-SHA256 under `key`.
std::string Forge(const std::string& header, const std::string& payload, const std::string& key = kSecret) {
  std::string input = Base64UrlEncode(header) + "." + Base64UrlEncode(payload);
  return input + "." + Base64UrlEncode(HmacSha256(key, input));
}

std::string Claims(int64_t iat, int64_t exp, const std::string& extra = "", const std::string& iss = "meterline",
                   const std::string& aud = "meterline-api") {
  return R"({"sub":"usr_x","customer_id":"","role":"admin","iat":)" + std::to_string(iat) + R"(,"exp":)" +
         std::to_string(exp) + R"(,"iss":")" + iss + R"(","aud":")" + aud + "\"" + extra + "}";
}

class JwtCodecTest : public ::testing::Test {
 protected:
  FakeClock clock_{FromUnixMillis(1'750'000'000'000)};
  auth::JwtCodec codec_{kSecret, auth::JwtOptions{}, clock_};
  int64_t now_ = 1'750'000'000;
  std::string Reason(const std::string& token) {
    auto r = codec_.Verify(token);
    return r.ok() ? "accepted" : r.error().message;
  }
};

TEST_F(JwtCodecTest, ValidTokenIsAccepted) {
  auto r = codec_.Verify(Forge(R"({"alg":"HS256","typ":"JWT"})", Claims(now_, now_ + 60)));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->sub, "usr_x");
  EXPECT_EQ(r->role, "admin");
}

TEST_F(JwtCodecTest, AlgorithmIsPinned) {
  std::string claims = Claims(now_, now_ + 60);
  // alg none with an empty signature, and with a signature.
  std::string none = Base64UrlEncode(R"({"alg":"none","typ":"JWT"})") + "." + Base64UrlEncode(claims) + ".";
  EXPECT_EQ(Reason(none), "algorithm must be HS256");
  EXPECT_EQ(Reason(Forge(R"({"alg":"none"})", claims)), "algorithm must be HS256");
  EXPECT_EQ(Reason(Forge(R"({"alg":"HS512"})", claims)), "algorithm must be HS256");
  EXPECT_EQ(Reason(Forge(R"({"alg":"RS256"})", claims)), "algorithm must be HS256");
  EXPECT_EQ(Reason(Forge(R"({"alg":"hs256"})", claims)), "algorithm must be HS256");
  EXPECT_EQ(Reason(Forge(R"({"typ":"JWT"})", claims)), "algorithm must be HS256");
}

TEST_F(JwtCodecTest, SignatureMustVerify) {
  std::string good = Forge(R"({"alg":"HS256"})", Claims(now_, now_ + 60));
  EXPECT_EQ(Reason(Forge(R"({"alg":"HS256"})", Claims(now_, now_ + 60), std::string(40, 'w'))), "bad signature");
  std::string flipped = good;
  flipped[flipped.size() - 3] = flipped[flipped.size() - 3] == 'A' ? 'B' : 'A';
  EXPECT_EQ(Reason(flipped), "bad signature");
  // A payload swapped under the old signature (privilege change) fails too.
  std::string header = good.substr(0, good.find('.'));
  std::string signature = good.substr(good.rfind('.') + 1);
  std::string swapped = header + "." + Base64UrlEncode(Claims(now_, now_ + 99999)) + "." + signature;
  EXPECT_EQ(Reason(swapped), "bad signature");
  EXPECT_NE(Reason("a.b"), "accepted");
  EXPECT_NE(Reason("a.b.c.d"), "accepted");
  EXPECT_NE(Reason(""), "accepted");
}

TEST_F(JwtCodecTest, TimeClaimsAreEnforced) {
  std::string h = R"({"alg":"HS256"})";
  EXPECT_EQ(Reason(Forge(h, Claims(now_ - 7200, now_ - 3600))), "token expired");
  EXPECT_EQ(Reason(Forge(h, Claims(now_, now_ + 60, R"(,"nbf":)" + std::to_string(now_ + 600)))),
            "token not yet valid");
  EXPECT_EQ(Reason(Forge(h, Claims(now_ + 3600, now_ + 7200))), "token issued in the future");
  EXPECT_EQ(Reason(Forge(h, Claims(now_, now_ + 60, R"(,"nbf":"soon")"))), "nbf is not a number");
  // Within the 30 s leeway, clocks that disagree slightly still work.
  EXPECT_EQ(Reason(Forge(h, Claims(now_ - 60, now_ - 10))), "accepted");
}

TEST_F(JwtCodecTest, ExtremeTimeClaimsAreComparedWithoutOverflow) {
  // exp + leeway and now + leeway do not fit in 64 bits here (UBSan found the first); the claims are signed, so
  // they are compared as the numbers they are.
  std::string h = R"({"alg":"HS256"})";
  const std::string max = std::to_string(INT64_MAX), min = std::to_string(INT64_MIN);
  EXPECT_EQ(Reason(Forge(h, Claims(now_, INT64_MAX))), "accepted");
  EXPECT_EQ(Reason(Forge(h, Claims(now_, INT64_MIN))), "token expired");
  EXPECT_EQ(Reason(Forge(h, Claims(INT64_MAX, INT64_MAX))), "token issued in the future");
  EXPECT_EQ(Reason(Forge(h, Claims(INT64_MIN, now_ + 60))), "accepted");
  EXPECT_EQ(Reason(Forge(h, Claims(now_, now_ + 60, R"(,"nbf":)" + max))), "token not yet valid");
  EXPECT_EQ(Reason(Forge(h, Claims(now_, now_ + 60, R"(,"nbf":)" + min))), "accepted");
  auth::JwtCodec lenient{kSecret, auth::JwtOptions{.leeway_seconds = INT64_MAX}, clock_};
  EXPECT_TRUE(lenient.Verify(Forge(h, Claims(INT64_MAX, INT64_MAX, R"(,"nbf":)" + max))).ok());
}

TEST_F(JwtCodecTest, IssuerAndAudienceMustMatch) {
  std::string h = R"({"alg":"HS256"})";
  EXPECT_EQ(Reason(Forge(h, Claims(now_, now_ + 60, "", "someone-else"))), "wrong issuer");
  EXPECT_EQ(Reason(Forge(h, Claims(now_, now_ + 60, "", "meterline", "other-api"))), "wrong audience");
}

// Runs /usr/bin/python3 (Debian's, which has python3-jwt) and returns stdout; exit status in `status`.
std::string Python(const std::string& script, int& status) {
  std::string path = ::testing::TempDir() + "/jwt_check_" + std::to_string(::getpid()) + ".py";
  FILE* f = std::fopen(path.c_str(), "w");
  std::fputs(script.c_str(), f);
  std::fclose(f);
  FILE* pipe = ::popen(("/usr/bin/python3 " + path + " 2>&1").c_str(), "r");
  std::string out;
  char buf[512];
  while (pipe && fgets(buf, sizeof buf, pipe)) out += buf;
  status = pipe ? ::pclose(pipe) : -1;
  std::remove(path.c_str());
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

TEST_F(JwtCodecTest, AgreesWithPythonJwt) {
  // Our token, checked by PyJWT with the same rules.
  auth::JwtClaims claims;
  claims.sub = "usr_cross";
  claims.role = "member";
  claims.customer_id = "cus_1";
  claims.iat = now_;
  claims.exp = now_ + 600;
  std::string ours = codec_.Sign(claims);
  int status = 0;
  std::string decoded = Python(
      "import jwt\n"
      "c = jwt.decode('" +
          ours + "', '" + kSecret +
          "', algorithms=['HS256'], audience='meterline-api', "
          "issuer='meterline', options={'verify_exp': False, 'verify_iat': False})\n"
          "print(c['sub'], c['customer_id'], c['role'])\n",
      status);
  ASSERT_EQ(status, 0) << decoded << " (is python3-jwt installed? scripts/install-deps)";
  EXPECT_EQ(decoded, "usr_cross cus_1 member");

  // PyJWT's token, checked by us.
  std::string theirs = Python(
      "import jwt\n"
      "print(jwt.encode({'sub':'usr_py','customer_id':'','role':'admin','iat':" +
          std::to_string(now_) + ",'exp':" + std::to_string(now_ + 600) +
          ",'iss':'meterline','aud':'meterline-api'}, '" + kSecret + "', algorithm='HS256'))\n",
      status);
  ASSERT_EQ(status, 0) << theirs;
  auto verified = codec_.Verify(theirs);
  ASSERT_TRUE(verified.ok()) << verified.error().message;
  EXPECT_EQ(verified->sub, "usr_py");

  // PyJWT with HS512 and with the wrong key: both refused by us.
  std::string hs512 = Python(
      "import jwt\n"
      "print(jwt.encode({'sub':'usr_py','role':'admin','iat':" +
          std::to_string(now_) + ",'exp':" + std::to_string(now_ + 600) +
          ",'iss':'meterline','aud':'meterline-api'}, '" + kSecret + "', algorithm='HS512'))\n",
      status);
  EXPECT_EQ(Reason(hs512), "algorithm must be HS256");
  std::string wrong_key = Python(
      "import jwt\n"
      "print(jwt.encode({'sub':'usr_py','role':'admin','iat':" +
          std::to_string(now_) + ",'exp':" + std::to_string(now_ + 600) +
          ",'iss':'meterline','aud':'meterline-api'}, 'x'*40, algorithm='HS256'))\n",
      status);
  EXPECT_EQ(Reason(wrong_key), "bad signature");

  // And PyJWT refuses what we refuse: a tampered token of ours.
  std::string tampered = ours.substr(0, ours.size() - 2) + (ours.back() == 'A' ? "BB" : "AA");
  Python(
      "import jwt, sys\n"
      "try:\n"
      "  jwt.decode('" +
          tampered + "', '" + kSecret +
          "', algorithms=['HS256'], audience='meterline-api', "
          "options={'verify_exp': False, 'verify_iat': False})\n"
          "  sys.exit(0)\n"
          "except jwt.InvalidSignatureError:\n"
          "  sys.exit(3)\n",
      status);
  EXPECT_EQ(WEXITSTATUS(status), 3);
  EXPECT_NE(Reason(tampered), "accepted");
}

// The same attacks over HTTP, against a running server.
TEST_P(SecurityTest, ForgedTokensAreRefusedOverHttp) {
  int64_t now = ToUnixMillis(clock().Now()) / 1000;
  std::string claims = Claims(now, now + 600);
  HttpClient client = Client();
  auto status_with = [&](const std::string& token) {
    return client.Get("/api/v1/auth/me", {"Authorization: Bearer " + token}).status;
  };
  EXPECT_EQ(status_with(Base64UrlEncode(R"({"alg":"none"})") + "." + Base64UrlEncode(claims) + "."), 401);
  EXPECT_EQ(status_with(Forge(R"({"alg":"HS512"})", claims)), 401);
  EXPECT_EQ(status_with(Forge(R"({"alg":"HS256"})", claims, std::string(40, 'z'))), 401);
  EXPECT_EQ(status_with(Forge(R"({"alg":"HS256"})", Claims(now - 7200, now - 3600))), 401);
  EXPECT_EQ(status_with(Forge(R"({"alg":"HS256"})", Claims(now, now + 600, "", "evil"))), 401);
  EXPECT_EQ(status_with(Forge(R"({"alg":"HS256"})", Claims(now, now + 600, "", "meterline", "evil"))), 401);
  HttpResult refused = client.Get("/api/v1/auth/me", {"Authorization: Bearer garbage"});
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(ErrorCode(refused), "invalid_token");
  EXPECT_EQ(refused.Header("WWW-Authenticate"), "Bearer");
}

TEST_P(SecurityTest, TamperedSessionCookieIsRefused) {
  SignedIn alice = SignIn("alice@acme.test");
  HttpClient client = Client();
  ASSERT_EQ(client.Get("/api/v1/auth/me", {alice.Cookie()}).status, 200);
  // Promote ourselves to admin in the payload, keep the signature.
  std::string header = alice.session.substr(0, alice.session.find('.'));
  std::string signature = alice.session.substr(alice.session.rfind('.') + 1);
  int64_t now = ToUnixMillis(clock().Now()) / 1000;
  std::string forged = header + "." + Base64UrlEncode(Claims(now, now + 600)) + "." + signature;
  HttpResult r = client.Get("/api/v1/auth/me", {"Cookie: mtl_session=" + forged});
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(client.Get("/api/v1/billing/customers", {"Cookie: mtl_session=" + forged}).status, 401);
}

INSTANTIATE_TEST_SUITE_P(Backends, SecurityTest, ::testing::ValuesIn(TestBackends()),
                         [](const auto& info) { return BackendParamName(info.param); });

}  // namespace
}  // namespace meterline::testing
