// AuditLog: appends to billing_audit (actor, action, customer, data, IP, user agent).
// Logins, failed logins, API-key changes, admin actions and reconciliation
// findings are recorded here. Entries are never updated or deleted.
#pragma once

#include <string>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "storage/database.hpp"

namespace meterline::audit {

struct AuditEntry {
  std::string actor;        // "usr_…", "key_…", "system", or "anonymous"
  std::string action;       // dotted verb, e.g. "auth.login", "auth.login_failed", "api_key.create"
  std::string customer_id;  // "" when not about one customer
  std::string data_json = "{}";  // a JSON object with details; never secrets
  std::string ip;
  std::string user_agent;
};

// Records inside an open transaction, so the entry commits with the change it describes.
Status Record(storage::Executor& tx, const Clock& clock, const AuditEntry& entry);
// Records in its own transaction.
Status Record(storage::Database& db, const Clock& clock, const AuditEntry& entry);

}  // namespace meterline::audit
