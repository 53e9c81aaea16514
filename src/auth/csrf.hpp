// CSRF protection for cookie sessions (double submit, bound to the session):
// the token is HMAC-SHA256(secret, "csrf:" + session id), sent to the browser
// in a readable cookie and in the login response. A mutating request made with
// the session cookie must echo it in X-CSRF-Token; the header must equal the
// cookie and the HMAC of this session, compared in constant time. A token from
// another session, or a cookie planted by a sibling domain, does not verify.
#pragma once

#include <string>
#include <string_view>

namespace meterline::auth {

class CsrfGuard {
 public:
  // REQUIRES: secret is at least 32 bytes.
  explicit CsrfGuard(std::string secret) : secret_(std::move(secret)) {}

  std::string TokenFor(std::string_view session_id) const;
  bool Verify(std::string_view session_id, std::string_view cookie_token, std::string_view header_token) const;

 private:
  std::string secret_;
};

}  // namespace meterline::auth
