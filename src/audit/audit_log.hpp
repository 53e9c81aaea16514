// AuditLog: appends to billing_audit (actor, action, customer, data, IP, user agent).
// Logins, failed logins, user and API-key changes, admin actions, invoice
// finalization, Stripe events and reconciliation findings are recorded here.
// Entries are never updated or deleted; this is the one module that writes
// the table.
#pragma once

#include <boost/json/object.hpp>

#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/paging.hpp"
#include "core/result.hpp"
#include "storage/database.hpp"

namespace meterline::audit {

// Where a request came from: the client address (as the server resolved it)
// and its user agent. Empty for the CLI and background jobs.
struct Origin {
  std::string ip;
  std::string user_agent;
};

struct AuditEntry {
  std::string actor;         // "usr_…", "key_…", "system", "cli" or "anonymous"
  std::string action;        // dotted verb, e.g. "auth.login", "auth.login_failed", "api_key.create"
  std::string customer_id;   // "" when not about one customer
  boost::json::object data;  // details; never secrets
  Origin origin;
};

// Records inside an open transaction, so the entry commits with the change it describes.
Status Record(storage::Executor& tx, const Clock& clock, const AuditEntry& entry);
// Records in its own transaction.
Status Record(storage::Database& db, const Clock& clock, const AuditEntry& entry);
// Records many in a few multi-row statements (invoice runs, reconciliation findings).
Status RecordMany(storage::Executor& tx, const Clock& clock, const std::vector<AuditEntry>& entries);

// A recorded entry, as read back.
struct AuditRecord {
  int64_t id = 0;  // increases with every entry: the list's order and its cursor
  TimePoint created_at;
  AuditEntry entry;
};

struct AuditFilter {
  std::string customer_id;  // "" = any
  std::string action;       // "" = any; "customer" matches "customer" and "customer.*"
  std::string actor;        // "" = any
};

// Newest first; cursors are entry ids (as text). kInvalidArgument for a cursor
// that is not a number.
Result<Page<AuditRecord>> List(storage::Executor& ex, const AuditFilter& filter, const PageRequest& page);

}  // namespace meterline::audit
