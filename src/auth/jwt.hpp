// JWT (RFC 7519) with HS256 only: the algorithm is pinned. Tokens whose header
// says anything else ("none", "HS512", "RS256"), whose signature does not
// verify, that are expired or not yet valid, or whose iss/aud differ, are
// refused. Signatures are compared in constant time.
//
// Why not libjwt (Debian libjwt 1.10)? Not timing: its jwt_verify_sha_hmac
// compares with jwt_strcmp, a constant-time loop. This codec pins the algorithm
// before any signature work, needs no library beyond OpenSSL and Boost.JSON, and
// is small enough to cross-check with python3-jwt (tests/security) and to fuzz.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/digest.hpp"
#include "core/result.hpp"

namespace meterline::auth {

struct JwtClaims {
  std::string sub;          // user id ("usr_…")
  std::string customer_id;  // "" for platform admins
  std::string role;         // "admin" | "member"
  int64_t iat = 0;          // seconds since epoch
  int64_t exp = 0;          // seconds since epoch
  int64_t nbf = 0;          // seconds since epoch; 0 = absent
  std::string iss;
  std::string aud;
  std::string jti;              // unique token id (binds the CSRF token to this session)
  int64_t session_version = 0;  // "sv": the user's session version at sign-in; 0 = absent
};

struct JwtOptions {
  std::string issuer = "meterline";
  std::string audience = "meterline-api";
  int64_t leeway_seconds = 30;  // clock skew tolerated on exp/nbf/iat
};

// Thread-safe (immutable after construction).
class JwtCodec {
 public:
  // REQUIRES: secret is at least 32 bytes.
  JwtCodec(std::string secret, JwtOptions options, const Clock& clock);

  // Signs `claims` (iss and aud are taken from the options).
  std::string Sign(const JwtClaims& claims) const;

  // Verifies and decodes. Every failure is kUnauthenticated with reason
  // "invalid_token" and a message saying what was wrong (never the secret).
  Result<JwtClaims> Verify(std::string_view token) const;

 private:
  std::string secret_;
  JwtOptions options_;
  const Clock& clock_;
};

// Base64url without padding (RFC 7515 §2).
std::string Base64UrlEncode(std::string_view bytes);
std::optional<std::string> Base64UrlDecode(std::string_view text);

// core/digest.hpp's, where the codec's users have always found them.
using meterline::ConstantTimeEquals;
using meterline::HmacSha256;

}  // namespace meterline::auth
