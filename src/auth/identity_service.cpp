#include "auth/identity_service.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cctype>

#include "audit/audit_log.hpp"
#include "core/digest.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "customers/customer_store.hpp"

namespace meterline::auth {

namespace {

namespace json = boost::json;
using storage::Value;

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

Value Nullable(const std::string& s) {
  if (s.empty()) return nullptr;
  return s;
}

json::object JsonObject(std::initializer_list<std::pair<const char*, std::string>> fields) {
  json::object out;
  for (const auto& [k, v] : fields) out[k] = v;
  return out;
}

bool ValidEmail(const std::string& email) {
  auto at = email.find('@');
  return email.size() <= 254 && at != std::string::npos && at > 0 && at + 1 < email.size() &&
         email.find('@', at + 1) == std::string::npos &&
         std::none_of(email.begin(), email.end(), [](unsigned char c) { return std::isspace(c) || c < 0x20; });
}

std::optional<TimePoint> OptTime(const storage::Row& row, size_t col) {
  auto ms = row.OptInt(col);
  return ms ? std::optional<TimePoint>(FromUnixMillis(*ms)) : std::nullopt;
}

Value OptMillis(const std::optional<TimePoint>& t) { return t ? Value(ToUnixMillis(*t)) : Value(nullptr); }

ApiKey ApiKeyFromRow(const storage::Row& row) {
  ApiKey key;
  key.id = row.Text(0);
  key.name = row.Text(1);
  key.prefix = row.Text(2);
  key.role = ParseRole(row.Text(3)).value_or(Role::kService);
  key.customer_id = row.OptText(4).value_or("");
  key.created_at = FromUnixMillis(row.Int(5));
  key.last_used_at = OptTime(row, 6);
  key.revoked_at = OptTime(row, 7);
  return key;
}

constexpr const char* kUserColumns = "id, email, role, customer_id, created_at, disabled_at";

User UserFromRow(const storage::Row& row) {
  return User{row.Text(0),
              row.Text(1),
              ParseRole(row.Text(2)).value_or(Role::kMember),
              row.OptText(3).value_or(""),
              FromUnixMillis(row.Int(4)),
              OptTime(row, 5)};
}

constexpr const char* kApiKeyColumns = "id, name, prefix, role, customer_id, created_at, last_used_at, revoked_at";

// kNotFound unless `customer_id` is "" (none) or an existing customer.
Status RequireCustomer(storage::Executor& tx, const std::string& customer_id) {
  if (customer_id.empty()) return OkStatus();
  MTL_ASSIGN_OR_RETURN(auto exists, customers::CustomerStore::Exists(tx, customer_id));
  if (!exists) return NotFound("no customer " + customer_id);
  return OkStatus();
}

Error InvalidCredentials() {
  return Error(ErrorCode::kUnauthenticated, "invalid_credentials", "email or password is incorrect");
}

}  // namespace

bool LooksLikeApiKey(std::string_view bearer) { return bearer.rfind("mk_", 0) == 0; }

IdentityService::IdentityService(storage::Database& db, const Clock& clock, const PasswordHasher& hasher,
                                 const JwtCodec& jwt, const CsrfGuard& csrf, IdentityOptions options)
    : db_(db), clock_(clock), hasher_(hasher), jwt_(jwt), csrf_(csrf), options_(options) {}

Result<User> IdentityService::CreateUser(const std::string& email, const std::string& password, Role role,
                                         const std::string& customer_id, const std::string& actor,
                                         const RequestOrigin& origin) {
  if (!ValidEmail(email)) return InvalidArgument("email is not a valid address");
  if (role == Role::kService) return InvalidArgument("users are admin or member; services use API keys");
  if (role == Role::kMember && customer_id.empty()) return InvalidArgument("a member needs a customer");
  if (role == Role::kAdmin && !customer_id.empty()) return InvalidArgument("an admin belongs to no customer");
  MTL_ASSIGN_OR_RETURN(auto hash, hasher_.Hash(password));
  User user{NewId("usr"), Lower(email), role, customer_id, clock_.Now(), std::nullopt};
  MTL_RETURN_IF_ERROR(db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
    MTL_RETURN_IF_ERROR(RequireCustomer(tx, customer_id));
    auto inserted = tx.Execute(
        "INSERT INTO users (id, email, password_hash, role, customer_id, created_at, updated_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $6)",
        {user.id, user.email, hash, RoleName(role), Nullable(customer_id), ToUnixMillis(user.created_at)});
    if (!inserted.ok()) {
      if (inserted.error().code == ErrorCode::kConflict) return Conflict("a user with this email already exists");
      return std::move(inserted).error();
    }
    return audit::Record(tx, clock_,
                         {actor, "user.create", customer_id,
                          JsonObject({{"user_id", user.id}, {"email", user.email}, {"role", RoleName(role)}}), origin});
  }));
  return user;
}

int64_t IdentityService::LockedUntil(const std::string& normalized_email, const std::string& user_id,
                                     const RequestOrigin& origin) {
  int64_t now = ToUnixMillis(clock_.Now());
  auto locks =
      db_.Execute("SELECT key, locked_until FROM login_throttle WHERE (key = $1 OR key = $2) AND locked_until > $3",
                  {"email:" + normalized_email, "ip:" + origin.ip, now});
  if (!locks.ok()) return 0;  // throttling fails open; the password check still runs
  int64_t address_until = 0, account_until = 0;
  for (const auto& row : locks->rows) {
    (row.Text(0).rfind("ip:", 0) == 0 ? address_until : account_until) = row.Int(1);
  }
  if (address_until > 0 && !origin.ip.empty()) return address_until;
  if (account_until == 0) return 0;
  // The account is locked: not for an address its user signed in from lately.
  if (!user_id.empty() && !origin.ip.empty()) {
    auto known =
        db_.Execute("SELECT 1 FROM login_known_addresses WHERE user_id = $1 AND ip = $2 AND last_success_at > $3",
                    {user_id, origin.ip,
                     now - std::chrono::duration_cast<std::chrono::milliseconds>(options_.known_address_ttl).count()});
    if (known.ok() && !known->rows.empty()) return 0;
  }
  return account_until;
}

int64_t IdentityService::LoginRetryAfter(const std::string& email, const RequestOrigin& origin) {
  std::string normalized = Lower(email);
  auto found = db_.Execute("SELECT id FROM users WHERE email = $1", {normalized});
  std::string user_id = found.ok() && !found->rows.empty() ? found->rows[0].Text(0) : "";
  int64_t until = LockedUntil(normalized, user_id, origin);
  int64_t now = ToUnixMillis(clock_.Now());
  return until > now ? (until - now + 999) / 1000 : 0;
}

void IdentityService::RecordFailure(const std::string& throttle_key, int max_failures) {
  int64_t now = ToUnixMillis(clock_.Now());
  // Failures older than the longest lockout start a new count.
  int64_t stale_before = now - 2 * options_.lockout_max.count() * 1000;
  auto result = db_.Execute(
      "INSERT INTO login_throttle (key, failures, locked_until, updated_at) VALUES ($1, 1, 0, $2) "
      "ON CONFLICT (key) DO UPDATE SET failures = CASE WHEN login_throttle.updated_at < $3 THEN 1 "
      "ELSE login_throttle.failures + 1 END, updated_at = $2 RETURNING failures",
      {throttle_key, now, stale_before});
  if (!result.ok() || result->rows.empty()) {
    log::Warn("login throttle update failed", {{"error", result.ok() ? "no row" : result.error().message}});
    return;
  }
  int64_t failures = result->rows[0].Int(0);
  int64_t over = failures - max_failures;
  if (over < 0) return;
  int64_t lock_ms = options_.lockout_base.count() * 1000 * (int64_t{1} << std::min<int64_t>(over, 20));
  lock_ms = std::min<int64_t>(lock_ms, options_.lockout_max.count() * 1000);
  (void)db_.Execute("UPDATE login_throttle SET locked_until = $1 WHERE key = $2", {now + lock_ms, throttle_key});
}

Result<Session> IdentityService::Login(const std::string& email, const std::string& password,
                                       const RequestOrigin& origin) {
  std::string normalized = Lower(email);
  MTL_ASSIGN_OR_RETURN(
      auto found,
      db_.Execute("SELECT id, password_hash, role, customer_id, created_at, disabled_at, session_version FROM users "
                  "WHERE email = $1",
                  {normalized}));
  std::string user_id = found.rows.empty() ? "" : found.rows[0].Text(0);
  if (LockedUntil(normalized, user_id, origin) > ToUnixMillis(clock_.Now())) {
    (void)audit::Record(db_, clock_,
                        {"anonymous", "auth.login_locked", "", JsonObject({{"email", normalized}}), origin});
    return Error(ErrorCode::kRateLimited, "too_many_attempts", "too many failed logins; try again later");
  }
  bool ok = false;
  if (found.rows.empty()) {
    hasher_.VerifyAgainstDummy(password);  // same time as a real check
  } else {
    ok = hasher_.Verify(found.rows[0].Text(1), password);
  }
  if (!ok) {
    RecordFailure("email:" + normalized, options_.max_failures_before_lockout);
    if (!origin.ip.empty()) RecordFailure("ip:" + origin.ip, options_.max_address_failures_before_lockout);
    (void)audit::Record(db_, clock_,
                        {"anonymous", "auth.login_failed", "", JsonObject({{"email", normalized}}), origin});
    return InvalidCredentials();
  }
  const storage::Row& row = found.rows[0];
  User user{row.Text(0),
            normalized,
            ParseRole(row.Text(2)).value_or(Role::kMember),
            row.OptText(3).value_or(""),
            FromUnixMillis(row.Int(4)),
            OptTime(row, 5)};
  if (user.disabled_at) {
    (void)audit::Record(
        db_, clock_, {user.id, "auth.login_disabled", user.customer_id, JsonObject({{"email", normalized}}), origin});
    return Error(ErrorCode::kUnauthenticated, "account_disabled", "this account is disabled");
  }
  int64_t now_ms = ToUnixMillis(clock_.Now());
  // A success ends the account's failure count, unless it is locked now: a
  // sign-in from a known address must not hand a guesser a fresh round.
  (void)db_.Execute("DELETE FROM login_throttle WHERE key = $1 AND locked_until <= $2",
                    {"email:" + normalized, now_ms});
  if (!origin.ip.empty()) {
    (void)db_.Execute(
        "INSERT INTO login_known_addresses (user_id, ip, last_success_at) VALUES ($1, $2, $3) "
        "ON CONFLICT (user_id, ip) DO UPDATE SET last_success_at = excluded.last_success_at",
        {user.id, origin.ip, now_ms});
  }

  int64_t now_s = now_ms / 1000;
  JwtClaims claims;
  claims.sub = user.id;
  claims.customer_id = user.customer_id;
  claims.role = RoleName(user.role);
  claims.iat = now_s;
  claims.exp = now_s + options_.session_ttl.count();
  claims.jti = RandomHex(16);
  claims.session_version = row.Int(6);
  Session session{user, jwt_.Sign(claims), csrf_.TokenFor(claims.jti), FromUnixMillis(claims.exp * 1000)};
  (void)audit::Record(db_, clock_,
                      {user.id, "auth.login", user.customer_id, JsonObject({{"email", normalized}}), origin});
  return session;
}

Result<User> IdentityService::GetUser(const std::string& id) {
  MTL_ASSIGN_OR_RETURN(auto found,
                       db_.Execute(std::string("SELECT ") + kUserColumns + " FROM users WHERE id = $1", {id}));
  if (found.rows.empty()) return NotFound("no user " + id);
  return UserFromRow(found.rows[0]);
}

Result<User> IdentityService::GetUserByEmail(const std::string& email) {
  MTL_ASSIGN_OR_RETURN(
      auto found, db_.Execute(std::string("SELECT ") + kUserColumns + " FROM users WHERE email = $1", {Lower(email)}));
  if (found.rows.empty()) return NotFound("no user with email " + Lower(email));
  return UserFromRow(found.rows[0]);
}

Result<std::vector<User>> IdentityService::ListUsers(int limit, int offset) {
  MTL_ASSIGN_OR_RETURN(auto result, db_.Execute(std::string("SELECT ") + kUserColumns +
                                                    " FROM users ORDER BY created_at DESC, id LIMIT $1 OFFSET $2",
                                                {int64_t{limit}, int64_t{offset}}));
  std::vector<User> out;
  for (const auto& row : result.rows) out.push_back(UserFromRow(row));
  return out;
}

Result<User> IdentityService::UpdateUser(const std::string& id, const UserChange& change, const std::string& actor,
                                         const RequestOrigin& origin) {
  if (change.role == Role::kService) return InvalidArgument("users are admin or member; services use API keys");
  User updated;
  MTL_RETURN_IF_ERROR(db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
    MTL_ASSIGN_OR_RETURN(auto found,
                         tx.Execute(std::string("SELECT ") + kUserColumns + " FROM users WHERE id = $1", {id}));
    if (found.rows.empty()) return NotFound("no user " + id);
    const User before = UserFromRow(found.rows[0]);
    updated = before;
    if (change.role) updated.role = *change.role;
    if (change.customer_id) updated.customer_id = *change.customer_id;
    // Becoming an admin drops the customer unless one is named.
    if (change.role == Role::kAdmin && !change.customer_id) updated.customer_id.clear();
    if (updated.role == Role::kMember && updated.customer_id.empty())
      return InvalidArgument("a member needs a customer");
    if (updated.role == Role::kAdmin && !updated.customer_id.empty()) {
      return InvalidArgument("an admin belongs to no customer");
    }
    if (updated.customer_id != before.customer_id) MTL_RETURN_IF_ERROR(RequireCustomer(tx, updated.customer_id));
    int64_t now = ToUnixMillis(clock_.Now());
    if (change.disabled) {
      updated.disabled_at =
          *change.disabled ? before.disabled_at.value_or(FromUnixMillis(now)) : std::optional<TimePoint>();
    }
    bool was_enabled_admin = before.role == Role::kAdmin && !before.disabled_at;
    bool is_enabled_admin = updated.role == Role::kAdmin && !updated.disabled_at;
    if (was_enabled_admin && !is_enabled_admin) {
      // Never leave the platform without an admin who can sign in.
      MTL_ASSIGN_OR_RETURN(
          auto admins,
          tx.Execute("SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled_at IS NULL AND id <> $1", {id}));
      if (admins.rows[0].Int(0) == 0) return Conflict("this is the last enabled admin; make another admin first");
    }
    bool disabling = updated.disabled_at && !before.disabled_at;
    MTL_RETURN_IF_ERROR(
        tx.Execute("UPDATE users SET role = $1, customer_id = $2, disabled_at = $3, updated_at = $4, "
                   "session_version = session_version + $5 WHERE id = $6",
                   {RoleName(updated.role), Nullable(updated.customer_id), OptMillis(updated.disabled_at), now,
                    int64_t{disabling ? 1 : 0}, id}));
    json::object data{{"user_id", id}};
    if (updated.role != before.role) data["role"] = {{"from", RoleName(before.role)}, {"to", RoleName(updated.role)}};
    if (updated.customer_id != before.customer_id) {
      data["customer_id"] = {{"from", before.customer_id}, {"to", updated.customer_id}};
    }
    if (updated.disabled_at.has_value() != before.disabled_at.has_value())
      data["disabled"] = updated.disabled_at.has_value();
    return audit::Record(tx, clock_,
                         {actor, "user.update", updated.customer_id.empty() ? before.customer_id : updated.customer_id,
                          std::move(data), origin});
  }));
  return updated;
}

Status IdentityService::RevokeUserSessions(const std::string& id, const std::string& actor,
                                           const RequestOrigin& origin) {
  return db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
    MTL_ASSIGN_OR_RETURN(auto bumped, tx.Execute("UPDATE users SET session_version = session_version + 1, updated_at = "
                                                 "$1 WHERE id = $2 RETURNING customer_id",
                                                 {ToUnixMillis(clock_.Now()), id}));
    if (bumped.rows.empty()) return NotFound("no user " + id);
    return audit::Record(
        tx, clock_,
        {actor, "user.revoke_sessions", bumped.rows[0].OptText(0).value_or(""), JsonObject({{"user_id", id}}), origin});
  });
}

Result<CreatedApiKey> IdentityService::CreateApiKey(const std::string& name, Role role, const std::string& customer_id,
                                                    const std::string& actor, const RequestOrigin& origin) {
  if (name.empty() || name.size() > 100) return InvalidArgument("name must be 1-100 characters");
  if (role == Role::kMember) return InvalidArgument("API keys have role service or admin");
  // An admin key reaches every customer; bound to one it would only look scoped.
  if (role == Role::kAdmin && !customer_id.empty()) {
    return InvalidArgument("an admin key belongs to no customer; use role service for one customer");
  }
  // "mk_<8 public>_<32 secret>": the prefix identifies the key in lists and logs.
  std::string public_part = RandomHex(4);
  std::string secret_part = RandomHex(16);  // 128 random bits
  CreatedApiKey created;
  created.secret = "mk_" + public_part + "_" + secret_part;
  created.key.id = NewId("key");
  created.key.name = name;
  created.key.prefix = "mk_" + public_part;
  created.key.role = role;
  created.key.customer_id = customer_id;
  created.key.created_at = clock_.Now();
  MTL_RETURN_IF_ERROR(db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
    MTL_RETURN_IF_ERROR(RequireCustomer(tx, customer_id));
    MTL_RETURN_IF_ERROR(
        tx.Execute("INSERT INTO api_keys (id, name, prefix, key_hash, role, customer_id, created_by, created_at) "
                   "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                   {created.key.id, name, created.key.prefix, Sha256Hex(created.secret), RoleName(role),
                    Nullable(customer_id), actor, ToUnixMillis(created.key.created_at)}));
    return audit::Record(tx, clock_,
                         {actor, "api_key.create", customer_id,
                          JsonObject({{"api_key_id", created.key.id},
                                      {"name", name},
                                      {"role", RoleName(role)},
                                      {"prefix", created.key.prefix}}),
                          origin});
  }));
  return created;
}

Status IdentityService::RevokeApiKey(const std::string& id, const std::string& actor, const RequestOrigin& origin) {
  return db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
    MTL_ASSIGN_OR_RETURN(auto found, tx.Execute("SELECT customer_id FROM api_keys WHERE id = $1", {id}));
    if (found.rows.empty()) return NotFound("no API key " + id);
    MTL_RETURN_IF_ERROR(tx.Execute("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
                                   {ToUnixMillis(clock_.Now()), id}));
    return audit::Record(
        tx, clock_,
        {actor, "api_key.revoke", found.rows[0].OptText(0).value_or(""), JsonObject({{"api_key_id", id}}), origin});
  });
}

Result<std::vector<ApiKey>> IdentityService::ListApiKeys(int limit, int offset) {
  MTL_ASSIGN_OR_RETURN(auto result, db_.Execute(std::string("SELECT ") + kApiKeyColumns +
                                                    " FROM api_keys ORDER BY created_at DESC, id LIMIT $1 OFFSET $2",
                                                {int64_t{limit}, int64_t{offset}}));
  std::vector<ApiKey> out;
  for (const auto& row : result.rows) out.push_back(ApiKeyFromRow(row));
  return out;
}

Result<std::optional<Principal>> IdentityService::Authenticate(std::string_view bearer,
                                                               std::string_view session_cookie) {
  if (!bearer.empty()) {
    MTL_ASSIGN_OR_RETURN(auto principal,
                         LooksLikeApiKey(bearer) ? AuthenticateApiKey(bearer) : AuthenticateJwt(bearer, false));
    return std::optional<Principal>(std::move(principal));
  }
  if (!session_cookie.empty()) {
    MTL_ASSIGN_OR_RETURN(auto principal, AuthenticateJwt(session_cookie, true));
    return std::optional<Principal>(std::move(principal));
  }
  return std::optional<Principal>();
}

Result<Principal> IdentityService::AuthenticateJwt(std::string_view token, bool via_cookie) {
  MTL_ASSIGN_OR_RETURN(auto claims, jwt_.Verify(token));
  auto role = ParseRole(claims.role);
  if (!role || *role == Role::kService) {
    return Error(ErrorCode::kUnauthenticated, "invalid_token", "token has an unknown role");
  }
  Principal p;
  p.kind = Principal::Kind::kUser;
  p.id = claims.sub;
  p.role = *role;
  p.customer_id = claims.customer_id;
  p.via_cookie = via_cookie;
  p.session_id = claims.jti;
  p.session_expires_at = FromUnixMillis(claims.exp * 1000);
  // The user as they are now: deleted, disabled, revoked or changed since
  // sign-in all count (one primary-key read, the revocation list with it).
  MTL_ASSIGN_OR_RETURN(auto current,
                       db_.Execute("SELECT role, customer_id, disabled_at, session_version, "
                                   "(SELECT COUNT(*) FROM revoked_sessions WHERE jti = $2) FROM users WHERE id = $1",
                                   {p.id, p.session_id}));
  if (current.rows.empty()) {
    return Error(ErrorCode::kUnauthenticated, "session_revoked", "the user of this session no longer exists");
  }
  const storage::Row& user = current.rows[0];
  if (user.Int(4) > 0) {
    return Error(ErrorCode::kUnauthenticated, "session_revoked", "the session was signed out; sign in again");
  }
  if (!user.IsNull(2)) return Error(ErrorCode::kUnauthenticated, "account_disabled", "this account is disabled");
  if (user.Int(3) != claims.session_version) {
    return Error(ErrorCode::kUnauthenticated, "session_revoked", "the session was ended; sign in again");
  }
  auto current_role = ParseRole(user.Text(0));
  if (!current_role) return Internal("user " + p.id + " has an unknown role");
  p.role = *current_role;
  p.customer_id = user.OptText(1).value_or("");
  return p;
}

Status IdentityService::SignOut(const Principal& principal, const RequestOrigin& origin) {
  if (principal.kind != Principal::Kind::kUser || principal.session_id.empty()) return OkStatus();
  int64_t now = ToUnixMillis(clock_.Now());
  return db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
    MTL_RETURN_IF_ERROR(
        tx.Execute("INSERT INTO revoked_sessions (jti, user_id, expires_at, revoked_at) VALUES ($1, $2, $3, $4) "
                   "ON CONFLICT (jti) DO NOTHING",
                   {principal.session_id, principal.id, ToUnixMillis(principal.session_expires_at), now}));
    return audit::Record(tx, clock_, {principal.id, "auth.logout", principal.customer_id, {}, origin});
  });
}

Result<int64_t> IdentityService::PurgeRevokedSessions() {
  // Tokens are accepted a little past exp (clock skew leeway): keep the rows
  // well beyond that.
  constexpr int64_t kMarginMs = int64_t{10} * 60 * 1000;
  MTL_ASSIGN_OR_RETURN(auto deleted, db_.Execute("DELETE FROM revoked_sessions WHERE expires_at < $1",
                                                 {ToUnixMillis(clock_.Now()) - kMarginMs}));
  return deleted.affected_rows;
}

Result<Principal> IdentityService::AuthenticateApiKey(std::string_view key) {
  if (key.size() > 128) return Error(ErrorCode::kUnauthenticated, "invalid_api_key", "API key is not valid");
  // API keys carry 128 random bits (160 with the prefix), so a fast hash is enough to store them;
  // the lookup is by that hash.
  MTL_ASSIGN_OR_RETURN(
      auto found,
      db_.Execute(std::string("SELECT ") + kApiKeyColumns + " FROM api_keys WHERE key_hash = $1", {Sha256Hex(key)}));
  if (found.rows.empty()) return Error(ErrorCode::kUnauthenticated, "invalid_api_key", "API key is not valid");
  ApiKey api_key = ApiKeyFromRow(found.rows[0]);
  if (api_key.revoked_at) return Error(ErrorCode::kUnauthenticated, "invalid_api_key", "API key was revoked");
  int64_t now = ToUnixMillis(clock_.Now());
  // Record use at most once a minute per key: the ingestion hot path must not write on every request.
  if (!api_key.last_used_at || ToUnixMillis(*api_key.last_used_at) < now - 60'000) {
    (void)db_.Execute("UPDATE api_keys SET last_used_at = $1 WHERE id = $2", {now, api_key.id});
  }
  Principal p;
  p.kind = Principal::Kind::kApiKey;
  p.id = api_key.id;
  p.display = api_key.name;
  p.role = api_key.role;
  p.customer_id = api_key.customer_id;
  return p;
}

}  // namespace meterline::auth
