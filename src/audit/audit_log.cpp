#include "audit/audit_log.hpp"

namespace meterline::audit {

namespace {

constexpr const char* kInsert =
    "INSERT INTO billing_audit (actor, action, customer_id, data, ip, user_agent, created_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7)";

std::vector<storage::Value> Params(const Clock& clock, const AuditEntry& e) {
  auto nullable = [](const std::string& s) -> storage::Value {
    if (s.empty()) return nullptr;
    return s;
  };
  // User agents are client-controlled: keep them bounded.
  std::string agent = e.user_agent.substr(0, 512);
  return {e.actor, e.action, nullable(e.customer_id), e.data_json, nullable(e.ip), nullable(agent),
          ToUnixMillis(clock.Now())};
}

}  // namespace

Status Record(storage::Executor& tx, const Clock& clock, const AuditEntry& entry) {
  auto result = tx.Execute(kInsert, Params(clock, entry));
  if (!result.ok()) return std::move(result).error();
  return OkStatus();
}

Status Record(storage::Database& db, const Clock& clock, const AuditEntry& entry) {
  auto result = db.Execute(kInsert, Params(clock, entry));
  if (!result.ok()) return std::move(result).error();
  return OkStatus();
}

}  // namespace meterline::audit
