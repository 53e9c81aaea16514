// IdentityService: users, logins, API keys, and turning request credentials
// into a Principal (customers are customers/customer_store.hpp). Every change is audited in billing_audit.
// Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "audit/audit_log.hpp"
#include "auth/csrf.hpp"
#include "auth/jwt.hpp"
#include "auth/password.hpp"
#include "core/clock.hpp"
#include "core/principal.hpp"
#include "core/result.hpp"
#include "storage/database.hpp"

namespace meterline::auth {

struct User {
  std::string id;  // "usr_…"
  std::string email;
  Role role = Role::kMember;
  std::string customer_id;  // "" for admins
  TimePoint created_at;
  std::optional<TimePoint> disabled_at;  // set while the user may not sign in
};

// A change to a user by an admin; fields left empty stay as they are.
struct UserChange {
  std::optional<Role> role;                // admin | member
  std::optional<std::string> customer_id;  // a member's customer ("" with role admin)
  std::optional<bool> disabled;
};

struct ApiKey {
  std::string id;  // "key_…"
  std::string name;
  std::string prefix;  // the key's public beginning, "mk_ab12cd34", to recognise it
  Role role = Role::kService;
  std::string customer_id;  // "" = may act for any customer (platform service)
  TimePoint created_at;
  std::optional<TimePoint> last_used_at;
  std::optional<TimePoint> revoked_at;
};

struct CreatedApiKey {
  ApiKey key;
  std::string secret;  // the whole key: shown once, stored only as a hash
};

// Where a request came from, for the audit log and login throttling.
using RequestOrigin = audit::Origin;

struct Session {
  User user;
  std::string token;       // signed JWT for the session cookie
  std::string csrf_token;  // bound to this session
  TimePoint expires_at;
};

struct IdentityOptions {
  std::chrono::seconds session_ttl{8 * 3600};
  // Login throttling, per account: after this many consecutive failures for
  // one email, attempts from addresses its user never signed in from are
  // refused for lockout_base * 2^(extra failures), capped at lockout_max. A
  // correct password from a known address still signs in, so nobody can lock
  // a user out by guessing. Unknown emails are throttled alike.
  int max_failures_before_lockout = 5;
  // Per address, for any accounts: generous, since a NAT or an ingress puts
  // many people behind one address; the same back-off.
  int max_address_failures_before_lockout = 50;
  std::chrono::seconds lockout_base{30};
  std::chrono::seconds lockout_max{15 * 60};
  // An address stays known this long after a successful sign-in from it.
  std::chrono::hours known_address_ttl{90 * 24};
};

class IdentityService {
 public:
  // All references must outlive the service.
  IdentityService(storage::Database& db, const Clock& clock, const PasswordHasher& hasher, const JwtCodec& jwt,
                  const CsrfGuard& csrf, IdentityOptions options = {});

  // Email is case-insensitive (stored lower-cased) and unique: kConflict when taken.
  // REQUIRES: role is admin or member; members need an existing customer.
  Result<User> CreateUser(const std::string& email, const std::string& password, Role role,
                          const std::string& customer_id, const std::string& actor, const RequestOrigin& origin);

  // Checks the password. Unknown email and wrong password give the same
  // kUnauthenticated "invalid_credentials" in the same time; a disabled user
  // with the right password kUnauthenticated "account_disabled"; while the
  // address, or the account for this address, is locked out, kRateLimited
  // "too_many_attempts" (see LoginRetryAfter()).
  Result<Session> Login(const std::string& email, const std::string& password, const RequestOrigin& origin);
  // Seconds until this email may try again from this address (0 = not locked).
  int64_t LoginRetryAfter(const std::string& email, const RequestOrigin& origin);

  Result<User> GetUser(const std::string& id);
  // kNotFound when no user has this email (compared case-insensitively).
  Result<User> GetUserByEmail(const std::string& email);
  // Newest first, a page at a time.
  Result<std::vector<User>> ListUsers(int limit, int offset);
  // Applies `change` (audited as user.update). kNotFound for an unknown id;
  // kInvalidArgument for a role without its customer rule (a member needs an
  // existing customer, an admin has none); kConflict when it would leave no
  // enabled admin. Disabling ends the user's sessions.
  Result<User> UpdateUser(const std::string& id, const UserChange& change, const std::string& actor,
                          const RequestOrigin& origin);
  // Ends every session the user has now (audited as user.revoke_sessions); they
  // may sign in again. kNotFound for an unknown id.
  Status RevokeUserSessions(const std::string& id, const std::string& actor, const RequestOrigin& origin);

  // REQUIRES: role is service or admin. customer_id "" = platform-wide.
  Result<CreatedApiKey> CreateApiKey(const std::string& name, Role role, const std::string& customer_id,
                                     const std::string& actor, const RequestOrigin& origin);
  // kNotFound for an unknown id; revoking twice is fine.
  Status RevokeApiKey(const std::string& id, const std::string& actor, const RequestOrigin& origin);
  // Newest first, a page at a time.
  Result<std::vector<ApiKey>> ListApiKeys(int limit, int offset);

  // Credentials → Principal. `bearer` is the Authorization: Bearer value (a JWT
  // or an API key), `session_cookie` the session cookie. Returns nullopt when
  // neither is present; kUnauthenticated when what is present does not verify.
  // A session token stands for its user as the user is now: refused once the
  // user is deleted or disabled or their sessions are revoked, and carrying
  // the user's current role and customer (one indexed read per request).
  Result<std::optional<Principal>> Authenticate(std::string_view bearer, std::string_view session_cookie);

  // Signs a session out before its token expires: its jti is refused from now
  // on (kUnauthenticated "session_revoked"). Nothing to do for API keys.
  Status SignOut(const Principal& principal, const RequestOrigin& origin);
  // Forgets revoked sessions whose tokens have expired anyway; how many.
  Result<int64_t> PurgeRevokedSessions();

  const CsrfGuard& csrf() const { return csrf_; }

 private:
  Result<Principal> AuthenticateApiKey(std::string_view key);
  Result<Principal> AuthenticateJwt(std::string_view token, bool via_cookie);
  // Until when (unix ms) a login of `email` from `origin` is refused: the
  // address's lock, else the account's unless `user_id` signed in from there.
  int64_t LockedUntil(const std::string& normalized_email, const std::string& user_id, const RequestOrigin& origin);
  void RecordFailure(const std::string& throttle_key, int max_failures);

  storage::Database& db_;
  const Clock& clock_;
  const PasswordHasher& hasher_;
  const JwtCodec& jwt_;
  const CsrfGuard& csrf_;
  IdentityOptions options_;
};

// "mk_" keys are API keys; anything else in a bearer header is taken as a JWT.
bool LooksLikeApiKey(std::string_view bearer);

}  // namespace meterline::auth
