// JWT verification (src/auth/jwt.cpp) and its base64url.
//
// Properties:
// - base64url: decode(encode(x)) == x, and a text that decodes is the encoding of what it decodes to;
// - a token the fuzzer writes never verifies (it does not know the secret);
// - a token with any header and payload, signed with the secret, verifies only when its header says HS256
//   without "crit" and its claims are right (issuer, audience, sub, role, and the time claims compared as
//   exact numbers), and then the claims come back as they were;
// - claims we Sign verify exactly when their times are right, and come back unchanged;
// - one changed byte in a signed token makes it fail.
#include <fuzzer/FuzzedDataProvider.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>

#include "auth/jwt.hpp"
#include "fuzz/check.hpp"

namespace {

namespace json = boost::json;
using namespace meterline;

const std::string kSecret = "fuzz-secret-0123456789abcdef0123456789";

// Printable ASCII: the claims our code signs (ids, roles) are plain text.
std::string Ascii(FuzzedDataProvider& in, size_t max_length) {
  std::string text = in.ConsumeRandomLengthString(max_length);
  for (char& c : text) c = static_cast<char>(0x20 + static_cast<unsigned char>(c) % 95);
  return text;
}

void ChangeOneByte(FuzzedDataProvider& in, std::string& text) {
  size_t at = in.ConsumeIntegralInRange<size_t>(0, text.size() - 1);
  text[at] = static_cast<char>(text[at] ^ in.ConsumeIntegralInRange<int>(1, 255));
}

// Whether the time claims pass at `now` with `leeway`, in arithmetic that cannot overflow.
bool TimesValid(int64_t now, int64_t leeway, int64_t iat, int64_t exp, std::optional<int64_t> nbf) {
  __int128 late = static_cast<__int128>(now) + leeway;
  return static_cast<__int128>(now) < static_cast<__int128>(exp) + leeway && iat <= late && (!nbf || *nbf <= late);
}

std::optional<std::string> StringMember(const json::object& obj, const char* name) {
  auto it = obj.find(name);
  if (it == obj.end() || !it->value().is_string()) return std::nullopt;
  return std::string(it->value().as_string());
}

std::optional<int64_t> IntMember(const json::object& obj, const char* name) {
  auto it = obj.find(name);
  if (it == obj.end()) return std::nullopt;
  if (it->value().is_int64()) return it->value().as_int64();
  if (it->value().is_uint64() && it->value().as_uint64() <= INT64_MAX) {
    return static_cast<int64_t>(it->value().as_uint64());
  }
  return std::nullopt;
}

// A token that verified: what its header and payload say must allow it, and the claims must be its own.
void CheckAccepted(const std::string& header_json, const std::string& payload_json, const auth::JwtClaims& claims,
                   int64_t now, int64_t leeway) {
  boost::system::error_code ec;
  json::value header = json::parse(header_json, ec);
  FUZZ_CHECK(!ec && header.is_object());
  FUZZ_CHECK(StringMember(header.as_object(), "alg") == "HS256");
  FUZZ_CHECK(!header.as_object().contains("crit"));
  json::value payload = json::parse(payload_json, ec);
  FUZZ_CHECK(!ec && payload.is_object());
  const json::object& obj = payload.as_object();
  FUZZ_CHECK(StringMember(obj, "iss") == "meterline" && StringMember(obj, "aud") == "meterline-api");
  FUZZ_CHECK(!claims.sub.empty() && StringMember(obj, "sub") == claims.sub);
  FUZZ_CHECK(StringMember(obj, "role") == claims.role);
  FUZZ_CHECK(IntMember(obj, "iat") == claims.iat && IntMember(obj, "exp") == claims.exp);
  std::optional<int64_t> nbf = IntMember(obj, "nbf");
  FUZZ_CHECK(nbf.value_or(0) == claims.nbf);
  FUZZ_CHECK(TimesValid(now, leeway, claims.iat, claims.exp, nbf));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  int64_t now = in.ConsumeIntegralInRange<int64_t>(INT64_MIN / 1000, INT64_MAX / 1000);
  int64_t leeway = in.ConsumeBool() ? 30 : in.ConsumeIntegralInRange<int64_t>(0, INT64_MAX);
  FakeClock clock(FromUnixMillis(now * 1000));
  auth::JwtCodec codec(kSecret, auth::JwtOptions{.leeway_seconds = leeway}, clock);

  std::string token;
  switch (in.ConsumeIntegralInRange<int>(0, 2)) {
    case 0: {
      std::string text = in.ConsumeRemainingBytesAsString();
      FUZZ_CHECK(auth::Base64UrlDecode(auth::Base64UrlEncode(text)) == text);
      if (auto decoded = auth::Base64UrlDecode(text)) FUZZ_CHECK(auth::Base64UrlEncode(*decoded) == text);
      FUZZ_CHECK(!codec.Verify(text).ok());
      return 0;
    }
    case 1: {
      std::string header = in.ConsumeRandomLengthString(256);
      std::string payload = in.ConsumeRandomLengthString(2048);
      std::string input = auth::Base64UrlEncode(header) + "." + auth::Base64UrlEncode(payload);
      token = input + "." + auth::Base64UrlEncode(auth::HmacSha256(kSecret, input));
      auto verified = codec.Verify(token);
      if (verified.ok()) CheckAccepted(header, payload, *verified, now, leeway);
      break;
    }
    default: {
      auth::JwtClaims claims;
      claims.sub = Ascii(in, 40);
      claims.customer_id = Ascii(in, 40);
      claims.role = Ascii(in, 10);
      claims.jti = Ascii(in, 40);
      claims.iat = in.ConsumeIntegral<int64_t>();
      claims.exp = in.ConsumeIntegral<int64_t>();
      claims.nbf = in.ConsumeBool() ? 0 : in.ConsumeIntegral<int64_t>();
      token = codec.Sign(claims);
      auto verified = codec.Verify(token);
      std::optional<int64_t> nbf = claims.nbf == 0 ? std::nullopt : std::optional(claims.nbf);
      bool valid = token.size() <= 8192 && !claims.sub.empty() && TimesValid(now, leeway, claims.iat, claims.exp, nbf);
      FUZZ_CHECK(verified.ok() == valid);
      if (valid) {
        FUZZ_CHECK(verified->sub == claims.sub && verified->customer_id == claims.customer_id);
        FUZZ_CHECK(verified->role == claims.role && verified->jti == claims.jti);
        FUZZ_CHECK(verified->iat == claims.iat && verified->exp == claims.exp && verified->nbf == claims.nbf);
        FUZZ_CHECK(verified->iss == "meterline" && verified->aud == "meterline-api");
      }
      break;
    }
  }
  if (token.empty()) return 0;
  ChangeOneByte(in, token);
  FUZZ_CHECK(!codec.Verify(token).ok());
  return 0;
}
