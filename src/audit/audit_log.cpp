#include "audit/audit_log.hpp"

#include <boost/json/serialize.hpp>

#include "storage/bulk.hpp"

namespace meterline::audit {

namespace {

constexpr const char* kInsert =
    "INSERT INTO billing_audit (actor, action, customer_id, data, ip, user_agent, created_at)";
constexpr size_t kColumns = 7;

void AppendParams(std::vector<storage::Value>& out, int64_t now_ms, const AuditEntry& e) {
  auto nullable = [](const std::string& s) -> storage::Value {
    if (s.empty()) return nullptr;
    return s;
  };
  out.emplace_back(e.actor);
  out.emplace_back(e.action);
  out.push_back(nullable(e.customer_id));
  out.emplace_back(boost::json::serialize(e.data));
  out.push_back(nullable(e.origin.ip));
  // User agents are client-controlled: keep them bounded.
  out.push_back(nullable(e.origin.user_agent.substr(0, 512)));
  out.emplace_back(now_ms);
}

}  // namespace

Status RecordMany(storage::Executor& tx, const Clock& clock, const std::vector<AuditEntry>& entries) {
  if (entries.empty()) return OkStatus();
  int64_t now_ms = ToUnixMillis(clock.Now());
  std::vector<storage::Value> values;
  values.reserve(entries.size() * kColumns);
  for (const AuditEntry& e : entries) AppendParams(values, now_ms, e);
  MTL_RETURN_IF_ERROR(storage::InsertRows(tx, kInsert, kColumns, values));
  return OkStatus();
}

Status Record(storage::Executor& tx, const Clock& clock, const AuditEntry& entry) {
  std::vector<storage::Value> values;
  AppendParams(values, ToUnixMillis(clock.Now()), entry);
  MTL_RETURN_IF_ERROR(tx.Execute(std::string(kInsert) + " VALUES ($1, $2, $3, $4, $5, $6, $7)", values));
  return OkStatus();
}

Status Record(storage::Database& db, const Clock& clock, const AuditEntry& entry) {
  std::vector<storage::Value> values;
  AppendParams(values, ToUnixMillis(clock.Now()), entry);
  MTL_RETURN_IF_ERROR(db.Execute(std::string(kInsert) + " VALUES ($1, $2, $3, $4, $5, $6, $7)", values));
  return OkStatus();
}

}  // namespace meterline::audit
