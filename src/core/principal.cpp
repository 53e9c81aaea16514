#include "core/principal.hpp"

namespace meterline {

const char* RoleName(Role role) {
  switch (role) {
    case Role::kAdmin: return "admin";
    case Role::kMember: return "member";
    case Role::kService: return "service";
  }
  return "member";
}

std::optional<Role> ParseRole(std::string_view text) {
  if (text == "admin") return Role::kAdmin;
  if (text == "member") return Role::kMember;
  if (text == "service") return Role::kService;
  return std::nullopt;
}

}  // namespace meterline
