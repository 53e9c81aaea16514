#include "auth/jwt.hpp"

#include "core/digest.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <array>
#include <stdexcept>

namespace meterline::auth {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

Error Invalid(std::string message) { return Error(ErrorCode::kUnauthenticated, "invalid_token", std::move(message)); }

std::optional<std::string> StringClaim(const boost::json::object& obj, const char* name) {
  auto it = obj.find(name);
  if (it == obj.end()) return std::nullopt;
  if (!it->value().is_string()) return std::nullopt;
  return std::string(it->value().as_string());
}

std::optional<int64_t> IntClaim(const boost::json::object& obj, const char* name) {
  auto it = obj.find(name);
  if (it == obj.end()) return std::nullopt;
  if (it->value().is_int64()) return it->value().as_int64();
  if (it->value().is_uint64() && it->value().as_uint64() <= INT64_MAX) {
    return static_cast<int64_t>(it->value().as_uint64());
  }
  return std::nullopt;  // doubles and strings are not NumericDates we accept
}

// a + b exactly: the claims are the sender's, and exp = 2^63-1 plus the leeway does not fit in 64 bits.
__int128 Plus(int64_t a, int64_t b) { return static_cast<__int128>(a) + b; }

}  // namespace

std::string Base64UrlEncode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t n = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8) | uint8_t(bytes[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i + 1 == bytes.size()) {
    uint32_t n = uint8_t(bytes[i]) << 16;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
  } else if (i + 2 == bytes.size()) {
    uint32_t n = (uint8_t(bytes[i]) << 16) | (uint8_t(bytes[i + 1]) << 8);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
  }
  return out;
}

std::optional<std::string> Base64UrlDecode(std::string_view text) {
  std::array<int, 256> table;
  table.fill(-1);
  for (int i = 0; i < 64; ++i) table[static_cast<unsigned char>(kAlphabet[i])] = i;
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    int v = table[static_cast<unsigned char>(c)];
    if (v < 0) return std::nullopt;  // no padding, no standard-alphabet characters
    buffer = (buffer << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  // Leftover bits must be zero (canonical encoding), else two strings decode alike.
  if (bits > 0 && (buffer & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

JwtCodec::JwtCodec(std::string secret, JwtOptions options, const Clock& clock)
    : secret_(std::move(secret)), options_(std::move(options)), clock_(clock) {
  if (secret_.size() < 32) throw std::invalid_argument("JWT secret must be at least 32 bytes");
}

std::string JwtCodec::Sign(const JwtClaims& claims) const {
  boost::json::object payload;
  payload["sub"] = claims.sub;
  payload["customer_id"] = claims.customer_id;
  payload["role"] = claims.role;
  payload["iat"] = claims.iat;
  payload["exp"] = claims.exp;
  if (claims.nbf != 0) payload["nbf"] = claims.nbf;
  payload["iss"] = options_.issuer;
  payload["aud"] = options_.audience;
  if (!claims.jti.empty()) payload["jti"] = claims.jti;
  if (claims.session_version != 0) payload["sv"] = claims.session_version;
  std::string signing_input =
      Base64UrlEncode(R"({"alg":"HS256","typ":"JWT"})") + "." + Base64UrlEncode(boost::json::serialize(payload));
  return signing_input + "." + Base64UrlEncode(HmacSha256(secret_, signing_input));
}

Result<JwtClaims> JwtCodec::Verify(std::string_view token) const {
  if (token.size() > 8192) return Invalid("token too long");
  size_t first = token.find('.');
  size_t second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return Invalid("token is not three dot-separated parts");
  }
  std::string_view header_b64 = token.substr(0, first);
  std::string_view payload_b64 = token.substr(first + 1, second - first - 1);
  std::string_view signature_b64 = token.substr(second + 1);

  auto header_json = Base64UrlDecode(header_b64);
  if (!header_json) return Invalid("header is not base64url");
  boost::system::error_code ec;
  boost::json::value header = boost::json::parse(*header_json, ec);
  if (ec || !header.is_object()) return Invalid("header is not a JSON object");
  auto alg = StringClaim(header.as_object(), "alg");
  // Pin the algorithm before touching the signature: "none", HS384/512 and
  // asymmetric algorithms (key-confusion attacks) are refused outright.
  if (!alg || *alg != "HS256") return Invalid("algorithm must be HS256");
  if (header.as_object().contains("crit")) return Invalid("critical header parameters are not supported");

  auto signature = Base64UrlDecode(signature_b64);
  if (!signature) return Invalid("signature is not base64url");
  std::string signing_input(token.substr(0, second));
  if (!ConstantTimeEquals(HmacSha256(secret_, signing_input), *signature)) return Invalid("bad signature");

  auto payload_json = Base64UrlDecode(payload_b64);
  if (!payload_json) return Invalid("payload is not base64url");
  boost::json::value payload = boost::json::parse(*payload_json, ec);
  if (ec || !payload.is_object()) return Invalid("payload is not a JSON object");
  const auto& obj = payload.as_object();

  JwtClaims claims;
  auto sub = StringClaim(obj, "sub");
  auto role = StringClaim(obj, "role");
  auto iss = StringClaim(obj, "iss");
  auto aud = StringClaim(obj, "aud");
  auto exp = IntClaim(obj, "exp");
  auto iat = IntClaim(obj, "iat");
  if (!sub || sub->empty() || !role) return Invalid("missing sub or role");
  if (!exp || !iat) return Invalid("missing exp or iat");
  if (!iss || *iss != options_.issuer) return Invalid("wrong issuer");
  if (!aud || *aud != options_.audience) return Invalid("wrong audience");

  int64_t now = ToUnixMillis(clock_.Now()) / 1000;
  if (now >= Plus(*exp, options_.leeway_seconds)) return Invalid("token expired");
  if (*iat > Plus(now, options_.leeway_seconds)) return Invalid("token issued in the future");
  if (auto nbf = IntClaim(obj, "nbf")) {
    if (Plus(now, options_.leeway_seconds) < *nbf) return Invalid("token not yet valid");
    claims.nbf = *nbf;
  } else if (obj.contains("nbf")) {
    return Invalid("nbf is not a number");
  }
  claims.sub = *sub;
  claims.role = *role;
  claims.customer_id = StringClaim(obj, "customer_id").value_or("");
  claims.iat = *iat;
  claims.exp = *exp;
  claims.iss = *iss;
  claims.aud = *aud;
  claims.jti = StringClaim(obj, "jti").value_or("");
  claims.session_version = IntClaim(obj, "sv").value_or(0);
  return claims;
}

}  // namespace meterline::auth
