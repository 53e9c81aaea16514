// IdentityService: customers, users, logins, API keys, and turning request
// credentials into a Principal. Every change is audited in billing_audit.
// Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "auth/csrf.hpp"
#include "auth/jwt.hpp"
#include "auth/password.hpp"
#include "core/clock.hpp"
#include "core/principal.hpp"
#include "core/result.hpp"
#include "storage/database.hpp"

namespace meterline::auth {

struct Customer {
  std::string id;  // "cus_…"
  std::string name;
  std::string email;
  std::string country;   // ISO 3166-1 alpha-2, may be empty
  std::string currency;  // ISO 4217
  int64_t created_at = 0;
};

struct NewCustomer {
  std::string name;
  std::string email;
  std::string country;
  std::string currency = "USD";
};

struct User {
  std::string id;  // "usr_…"
  std::string email;
  Role role = Role::kMember;
  std::string customer_id;  // "" for admins
  int64_t created_at = 0;
};

struct ApiKey {
  std::string id;      // "key_…"
  std::string name;
  std::string prefix;  // the key's public beginning, "mk_ab12cd34", to recognise it
  Role role = Role::kService;
  std::string customer_id;  // "" = may act for any customer (platform service)
  int64_t created_at = 0;
  std::optional<int64_t> last_used_at;
  std::optional<int64_t> revoked_at;
};

struct CreatedApiKey {
  ApiKey key;
  std::string secret;  // the whole key: shown once, stored only as a hash
};

// Where a request came from, for the audit log and login throttling.
struct RequestOrigin {
  std::string ip;
  std::string user_agent;
};

struct Session {
  User user;
  std::string token;       // signed JWT for the session cookie
  std::string csrf_token;  // bound to this session
  int64_t expires_at = 0;  // seconds since epoch
};

struct IdentityOptions {
  std::chrono::seconds session_ttl{8 * 3600};
  // Login throttling: after this many consecutive failures for one email or one
  // address, further attempts are refused for lockout_base * 2^(extra failures),
  // capped at lockout_max.
  int max_failures_before_lockout = 5;
  std::chrono::seconds lockout_base{30};
  std::chrono::seconds lockout_max{15 * 60};
};

class IdentityService {
 public:
  // All references must outlive the service.
  IdentityService(storage::Database& db, const Clock& clock, const PasswordHasher& hasher, const JwtCodec& jwt,
                  const CsrfGuard& csrf, IdentityOptions options = {});

  Result<Customer> CreateCustomer(const NewCustomer& input, const std::string& actor, const RequestOrigin& origin);
  // kNotFound when there is no such customer.
  Result<Customer> GetCustomer(const std::string& id);
  Result<std::vector<Customer>> ListCustomers(int limit, int offset);

  // Email is case-insensitive (stored lower-cased) and unique: kConflict when taken.
  // REQUIRES: role is admin or member; members need an existing customer.
  Result<User> CreateUser(const std::string& email, const std::string& password, Role role,
                          const std::string& customer_id, const std::string& actor, const RequestOrigin& origin);

  // Checks the password. Unknown email and wrong password give the same
  // kUnauthenticated "invalid_credentials" in the same time; while an email or
  // address is locked out, kRateLimited "too_many_attempts" (see RetryAfter()).
  Result<Session> Login(const std::string& email, const std::string& password, const RequestOrigin& origin);
  // Seconds until a locked-out email/address may try again (0 = not locked).
  int64_t LoginRetryAfter(const std::string& email, const RequestOrigin& origin);

  Result<User> GetUser(const std::string& id);

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
  void RecordFailure(const std::string& throttle_key);

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
