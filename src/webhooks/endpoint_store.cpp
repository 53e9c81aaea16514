#include "webhooks/endpoint_store.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>

#include "audit/audit_log.hpp"
#include "core/ids.hpp"
#include "webhooks/target_guard.hpp"

namespace meterline::webhooks {

namespace json = boost::json;

namespace {

constexpr size_t kMaxDescription = 500;

constexpr const char* kColumns =
    "SELECT id, customer_id, url, description, event_types, status, disabled_reason, failing_since, "
    "previous_secret_expires_at, created_by, created_at, updated_at FROM webhook_endpoints ";

std::optional<TimePoint> OptTime(const storage::Row& row, size_t col) {
  auto ms = row.OptInt(col);
  return ms ? std::optional<TimePoint>(FromUnixMillis(*ms)) : std::nullopt;
}

Endpoint FromRow(const storage::Row& row) {
  Endpoint e;
  e.id = row.Text(0);
  e.customer_id = row.OptText(1).value_or("");
  e.url = row.Text(2);
  e.description = row.Text(3);
  boost::system::error_code ec;
  json::value types = json::parse(row.Text(4), ec);
  if (!ec && types.is_array()) {
    for (const auto& t : types.as_array()) {
      if (t.is_string()) e.event_types.emplace_back(t.as_string());
    }
  }
  e.enabled = row.Text(5) == "enabled";
  e.disabled_reason = row.OptText(6).value_or("");
  e.failing_since = OptTime(row, 7);
  e.previous_secret_expires_at = OptTime(row, 8);
  e.created_by = row.Text(9);
  e.created_at = FromUnixMillis(row.Int(10));
  e.updated_at = FromUnixMillis(row.Int(11));
  return e;
}

// 32 random bytes, as Stripe's secrets look: "whsec_" + 64 hex characters.
std::string NewSecret() { return "whsec_" + RandomHex(32); }

// Validated, sorted and without repeats; {"*"} when it asks for every type.
Result<std::vector<std::string>> CheckEventTypes(std::vector<std::string> types) {
  if (types.empty()) return InvalidParam("events", "events must name at least one event type, or \"*\" for all");
  const auto& known = EventTypes();
  for (const std::string& type : types) {
    if (type == "*") return std::vector<std::string>{"*"};
    if (std::find(known.begin(), known.end(), type) == known.end()) {
      std::string list;
      for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
      return InvalidParam("events", "unknown event type '" + type.substr(0, 64) + "'; the types are " + list);
    }
  }
  std::sort(types.begin(), types.end());
  types.erase(std::unique(types.begin(), types.end()), types.end());
  return types;
}

std::string TypesJson(const std::vector<std::string>& types) {
  json::array out;
  for (const std::string& t : types) out.emplace_back(t);
  return json::serialize(out);
}

// The scope's WHERE clause on top of "not deleted"; $1 is the id.
std::string ScopedWhere(const Scope& scope) {
  return scope.empty() ? "WHERE id = $1 AND deleted_at IS NULL"
                       : "WHERE id = $1 AND deleted_at IS NULL AND customer_id = $2";
}

std::vector<storage::Value> ScopedParams(const std::string& id, const Scope& scope) {
  if (scope.empty()) return {id};
  return {id, scope};
}

}  // namespace

const std::vector<std::string>& EventTypes() {
  static const std::vector<std::string> kTypes = {
      "budget.forecast_exceeded", "budget.threshold_crossed", "credit_note.created",   "credits.applied",
      "dunning.closed",           "dunning.exhausted",        "dunning.recovered",     "dunning.retry_failed",
      "dunning.started",          "invoice.finalized",        "invoice.paid",          "invoice.payment_failed",
      "invoice.voided",           "reconciliation.alert",     "subscription.canceled", "subscription.trial_will_end",
      "subscription.updated",     "usage.threshold_crossed"};
  return kTypes;
}

bool Endpoint::Wants(const std::string& type) const {
  return std::find_if(event_types.begin(), event_types.end(),
                      [&](const std::string& t) { return t == "*" || t == type; }) != event_types.end();
}

Result<std::pair<Endpoint, std::string>> EndpointStore::Create(const NewEndpoint& request) {
  MTL_ASSIGN_OR_RETURN(auto url, CheckEndpointUrl(request.url, allow_private_));
  MTL_ASSIGN_OR_RETURN(auto types, CheckEventTypes(request.event_types));
  if (request.description.size() > kMaxDescription) {
    return InvalidParam("description", "description must be at most " + std::to_string(kMaxDescription) + " bytes");
  }
  TimePoint now = clock_.Now();
  std::string id = NewId("we");
  std::string secret = NewSecret();
  storage::Value customer = request.customer_id.empty() ? storage::Value(nullptr) : storage::Value(request.customer_id);
  MTL_RETURN_IF_ERROR(db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
    // Counted in the writing transaction, so two at once cannot pass the cap together.
    MTL_ASSIGN_OR_RETURN(auto count, tx.Execute("SELECT COUNT(*) FROM webhook_endpoints WHERE deleted_at IS NULL AND "
                                                "COALESCE(customer_id, '') = $1",
                                                {request.customer_id}));
    if (count.rows[0].Int(0) >= kMaxEndpoints) {
      return Error(ErrorCode::kConflict, "too_many_endpoints",
                   "at most " + std::to_string(kMaxEndpoints) +
                       " webhook endpoints per customer (and platform-wide); " + "delete one first");
    }
    int64_t at = ToUnixMillis(now);
    MTL_RETURN_IF_ERROR(
        tx.Execute("INSERT INTO webhook_endpoints (id, customer_id, url, description, event_types, secret, "
                   "created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
                   {id, customer, url, request.description, TypesJson(types), secret, request.actor, at}));
    json::array type_list;
    for (const std::string& t : types) type_list.emplace_back(t);
    return audit::Record(tx, clock_,
                         {request.actor,
                          "webhook_endpoint.create",
                          request.customer_id,
                          {{"endpoint_id", id}, {"url", url}, {"events", std::move(type_list)}},
                          {}});
  }));
  MTL_ASSIGN_OR_RETURN(auto made, Get(id, ""));
  return std::make_pair(std::move(made), std::move(secret));
}

Result<Page<Endpoint>> EndpointStore::List(const Scope& scope, const PageRequest& page) {
  std::string sql = std::string(kColumns) + "WHERE deleted_at IS NULL" +
                    (scope.empty() ? "" : " AND customer_id = $3") + " ORDER BY created_at, id LIMIT $1 OFFSET $2";
  std::vector<storage::Value> params = {page.limit + 1, page.offset};
  if (!scope.empty()) params.emplace_back(scope);
  MTL_ASSIGN_OR_RETURN(auto rows, db_.Execute(sql, params));
  std::vector<Endpoint> items;
  for (const auto& row : rows.rows) items.push_back(FromRow(row));
  return TrimPage(std::move(items), page);
}

Result<Endpoint> EndpointStore::Get(const std::string& id, const Scope& scope) {
  MTL_ASSIGN_OR_RETURN(auto rows, db_.Execute(std::string(kColumns) + ScopedWhere(scope), ScopedParams(id, scope)));
  if (rows.rows.empty()) return NotFound("no webhook endpoint " + id);
  return FromRow(rows.rows[0]);
}

Status EndpointStore::Delete(const std::string& id, const Scope& scope, const std::string& actor) {
  MTL_ASSIGN_OR_RETURN(auto endpoint, Get(id, scope));
  int64_t now = ToUnixMillis(clock_.Now());
  return db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
    MTL_ASSIGN_OR_RETURN(auto deleted, tx.Execute("UPDATE webhook_endpoints SET deleted_at = $2, updated_at = $2 "
                                                  "WHERE id = $1 AND deleted_at IS NULL",
                                                  {id, now}));
    if (deleted.affected_rows != 1) return NotFound("no webhook endpoint " + id);
    // What was still to be sent to it is not.
    MTL_RETURN_IF_ERROR(
        tx.Execute("UPDATE webhook_deliveries SET status = 'failed', last_error = 'endpoint deleted', "
                   "locked_until = NULL, updated_at = $2 WHERE endpoint_id = $1 AND status IN "
                   "('pending', 'processing')",
                   {id, now}));
    return audit::Record(tx, clock_,
                         {actor, "webhook_endpoint.delete", endpoint.customer_id, {{"endpoint_id", id}}, {}});
  });
}

Result<std::string> EndpointStore::RotateSecret(const std::string& id, const Scope& scope, std::chrono::hours overlap,
                                                const std::string& actor) {
  MTL_ASSIGN_OR_RETURN(auto endpoint, Get(id, scope));
  TimePoint now = clock_.Now();
  std::string secret = NewSecret();
  MTL_RETURN_IF_ERROR(db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
    MTL_ASSIGN_OR_RETURN(
        auto rotated,
        tx.Execute("UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_expires_at = $3, "
                   "secret = $2, updated_at = $4 WHERE id = $1 AND deleted_at IS NULL",
                   {id, secret, ToUnixMillis(now + overlap), ToUnixMillis(now)}));
    if (rotated.affected_rows != 1) return NotFound("no webhook endpoint " + id);
    return audit::Record(tx, clock_,
                         {actor,
                          "webhook_endpoint.rotate_secret",
                          endpoint.customer_id,
                          {{"endpoint_id", id}, {"overlap_hours", static_cast<int64_t>(overlap.count())}},
                          {}});
  }));
  return secret;
}

Result<Endpoint> EndpointStore::Enable(const std::string& id, const Scope& scope, const std::string& actor) {
  MTL_ASSIGN_OR_RETURN(auto endpoint, Get(id, scope));
  int64_t now = ToUnixMillis(clock_.Now());
  MTL_RETURN_IF_ERROR(db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
    MTL_RETURN_IF_ERROR(
        tx.Execute("UPDATE webhook_endpoints SET status = 'enabled', disabled_reason = NULL, "
                   "failing_since = NULL, updated_at = $2 WHERE id = $1 AND deleted_at IS NULL",
                   {id, now}));
    return audit::Record(tx, clock_,
                         {actor, "webhook_endpoint.enable", endpoint.customer_id, {{"endpoint_id", id}}, {}});
  }));
  return Get(id, scope);
}

Result<std::vector<std::string>> EndpointStore::SigningSecrets(storage::Executor& ex, const std::string& id,
                                                               TimePoint now) {
  MTL_ASSIGN_OR_RETURN(auto rows, ex.Execute("SELECT secret, previous_secret, previous_secret_expires_at FROM "
                                             "webhook_endpoints WHERE id = $1",
                                             {id}));
  if (rows.rows.empty()) return NotFound("no webhook endpoint " + id);
  std::vector<std::string> out = {rows.rows[0].Text(0)};
  auto previous = rows.rows[0].OptText(1);
  auto until = rows.rows[0].OptInt(2);
  if (previous && until && *until > ToUnixMillis(now)) out.push_back(*previous);
  return out;
}

}  // namespace meterline::webhooks
