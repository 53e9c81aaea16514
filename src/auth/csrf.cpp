#include "auth/csrf.hpp"

#include "auth/jwt.hpp"

namespace meterline::auth {

std::string CsrfGuard::TokenFor(std::string_view session_id) const {
  return Base64UrlEncode(HmacSha256(secret_, "csrf:" + std::string(session_id)));
}

bool CsrfGuard::Verify(std::string_view session_id, std::string_view cookie_token,
                       std::string_view header_token) const {
  if (session_id.empty() || header_token.empty()) return false;
  std::string expected = TokenFor(session_id);
  // Evaluate both comparisons so the time does not depend on which one fails.
  bool header_ok = ConstantTimeEquals(header_token, expected);
  bool cookie_ok = ConstantTimeEquals(cookie_token, expected);
  return header_ok & cookie_ok;
}

}  // namespace meterline::auth
