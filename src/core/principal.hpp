// Principal: who is making a request, once authenticated.
#pragma once

#include <optional>

#include <string>
#include <string_view>
#include "core/clock.hpp"

namespace meterline {

enum class Role {
  kAdmin,    // platform operator: any customer, admin routes
  kMember,   // a customer's user: only that customer's data
  kService,  // a machine caller (API key) that sends usage
};

const char* RoleName(Role role);
std::optional<Role> ParseRole(std::string_view text);

struct Principal {
  enum class Kind { kUser, kApiKey };
  Kind kind = Kind::kUser;
  std::string id;       // "usr_…" or "key_…"
  std::string display;  // email or key name, for logs
  Role role = Role::kMember;
  std::string customer_id;       // "" for platform admins and platform-wide keys
  bool via_cookie = false;       // credentials came from the session cookie (CSRF applies)
  std::string session_id;        // the JWT's jti (binds the CSRF token)
  TimePoint session_expires_at;  // the JWT's exp
};

}  // namespace meterline
