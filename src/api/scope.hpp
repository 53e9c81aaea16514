// Scope: which customers a caller may name. Admins may name any; members and
// customer-bound API keys only their own. A caller naming an object of another
// customer is told it does not exist (404), never that it is forbidden, so ids
// cannot be probed.
#pragma once

#include <string>

#include "core/principal.hpp"
#include "core/result.hpp"

namespace meterline::api {

inline bool CanSeeCustomer(const Principal& principal, const std::string& customer_id) {
  if (principal.role == Role::kAdmin) return true;
  if (principal.customer_id.empty()) return principal.role == Role::kService;  // platform-wide service key
  return principal.customer_id == customer_id;
}

// The 404 given for objects outside the caller's scope (same text as a real miss).
inline Error NotVisible(const std::string& what, const std::string& id) { return NotFound("no " + what + " " + id); }

}  // namespace meterline::api
