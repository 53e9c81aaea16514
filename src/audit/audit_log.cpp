#include "audit/audit_log.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <charconv>

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

Result<Page<AuditRecord>> List(storage::Executor& ex, const AuditFilter& filter, const PageRequest& page) {
  std::optional<int64_t> cursor;
  const bool reversed = !page.before.empty();
  if (page.ByCursor()) {
    const std::string& text = reversed ? page.before : page.after;
    int64_t id = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (ec != std::errc() || end != text.data() + text.size()) {
      return InvalidParam(reversed ? "ending_before" : "starting_after", "no audit entry " + text);
    }
    cursor = id;
  }
  auto text_or_null = [](const std::string& s) -> storage::Value {
    if (s.empty()) return nullptr;
    return s;
  };
  std::string sql =
      "SELECT id, actor, action, customer_id, data, ip, user_agent, created_at FROM billing_audit "
      "WHERE (CAST($1 AS TEXT) IS NULL OR customer_id = $1) "
      "AND (CAST($2 AS TEXT) IS NULL OR action = $2 OR action LIKE $3 ESCAPE '\\') "
      "AND (CAST($4 AS TEXT) IS NULL OR actor = $4)";
  std::string prefix;  // the action's sub-actions: "customer" -> "customer.%", wildcards taken literally
  for (char c : filter.action) {
    if (c == '%' || c == '_' || c == '\\') prefix += '\\';
    prefix += c;
  }
  std::vector<storage::Value> params = {text_or_null(filter.customer_id), text_or_null(filter.action), prefix + ".%",
                                        text_or_null(filter.actor)};
  if (cursor) {
    sql += reversed ? " AND id > $5" : " AND id < $5";
    params.emplace_back(*cursor);
  }
  sql += reversed ? " ORDER BY id ASC" : " ORDER BY id DESC";
  sql += " LIMIT " + std::to_string(page.limit + 1);
  if (!cursor) sql += " OFFSET " + std::to_string(page.offset);
  MTL_ASSIGN_OR_RETURN(auto rows, ex.Execute(sql, params));
  std::vector<AuditRecord> out;
  for (const auto& row : rows.rows) {
    AuditRecord r;
    r.id = row.Int(0);
    r.entry.actor = row.Text(1);
    r.entry.action = row.Text(2);
    r.entry.customer_id = row.OptText(3).value_or("");
    boost::system::error_code ec;
    boost::json::value data = boost::json::parse(row.OptText(4).value_or("{}"), ec);
    if (!ec && data.is_object()) r.entry.data = std::move(data.as_object());
    r.entry.origin = {row.OptText(5).value_or(""), row.OptText(6).value_or("")};
    r.created_at = FromUnixMillis(row.Int(7));
    out.push_back(std::move(r));
  }
  return TrimPage(std::move(out), page, reversed);
}

}  // namespace meterline::audit
