#include "credits/credit_ledger.hpp"

#include <algorithm>
#include <set>

#include "audit/audit_log.hpp"
#include "core/ids.hpp"
#include "money/money.hpp"
#include "storage/bulk.hpp"

namespace meterline::credits {

namespace {

using storage::Value;

constexpr const char* kGrantColumns =
    "id, customer_id, currency, kind, amount_minor, remaining_minor, priority, expires_at, credit_note_id, "
    "description, created_by, created_at";

// The order grants are used in: lower priority number, then the earliest
// expiry (never-expiring last), then the oldest.
constexpr const char* kUseOrder =
    " ORDER BY priority, CASE WHEN expires_at IS NULL THEN 1 ELSE 0 END, expires_at, created_at, id";

// Grants still usable at the instant in parameter $n (every balance's predicate).
std::string Live(int n) {
  return " remaining_minor > 0 AND (expires_at IS NULL OR expires_at > $" + std::to_string(n) + ")";
}

Grant GrantFromRow(const storage::Row& row) {
  Grant g;
  g.id = row.Text(0);
  g.customer_id = row.Text(1);
  g.currency = row.Text(2);
  g.kind = ParseGrantKind(row.Text(3)).value_or(GrantKind::kGrant);
  g.amount_minor = row.Int(4);
  g.remaining_minor = row.Int(5);
  g.priority = static_cast<int>(row.Int(6));
  if (auto e = row.OptInt(7)) g.expires_at = FromUnixMillis(*e);
  g.credit_note_id = row.OptText(8).value_or("");
  g.description = row.Text(9);
  g.created_by = row.Text(10);
  g.created_at = FromUnixMillis(row.Int(11));
  return g;
}

Result<int64_t> LiveBalance(storage::Executor& ex, const std::string& customer_id, const std::string& currency,
                            TimePoint at) {
  MTL_ASSIGN_OR_RETURN(auto sum, ex.Execute(std::string("SELECT COALESCE(SUM(remaining_minor), 0) FROM credit_grants "
                                                        "WHERE customer_id = $1 AND") +
                                                Live(2) + " AND currency = $3",
                                            {customer_id, ToUnixMillis(at), currency}));
  return sum.rows.at(0).Int(0);
}

struct Entry {
  std::string customer_id, grant_id, currency, kind;
  int64_t amount = 0, balance_after = 0;
  std::string invoice_id, description, actor;
};

Status WriteEntry(storage::Executor& tx, const Entry& e, TimePoint at) {
  MTL_RETURN_IF_ERROR(tx.Execute(
      "INSERT INTO credit_ledger (id, customer_id, grant_id, currency, kind, amount_minor, balance_after_minor, "
      "invoice_id, description, actor, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
      {NewId("cle"), e.customer_id, e.grant_id, e.currency, e.kind, e.amount, e.balance_after,
       e.invoice_id.empty() ? Value(nullptr) : Value(e.invoice_id), e.description, e.actor, ToUnixMillis(at)}));
  return OkStatus();
}

// Takes `amount` from a grant that must still hold it.
Status Take(storage::Executor& tx, const std::string& grant_id, int64_t amount) {
  MTL_ASSIGN_OR_RETURN(auto taken, tx.Execute("UPDATE credit_grants SET remaining_minor = remaining_minor - $2 "
                                              "WHERE id = $1 AND remaining_minor >= $2",
                                              {grant_id, amount}));
  if (taken.affected_rows != 1) return Conflict("credit grant " + grant_id + " changed meanwhile; retry");
  return OkStatus();
}

}  // namespace

const char* GrantKindName(GrantKind kind) {
  switch (kind) {
    case GrantKind::kGrant: return "grant";
    case GrantKind::kTopUp: return "top_up";
    case GrantKind::kCreditNote: return "credit_note";
  }
  return "grant";
}

std::optional<GrantKind> ParseGrantKind(std::string_view name) {
  for (GrantKind k : {GrantKind::kGrant, GrantKind::kTopUp, GrantKind::kCreditNote}) {
    if (name == GrantKindName(k)) return k;
  }
  return std::nullopt;
}

Result<Grant> CreditLedger::AddGrant(storage::Executor& tx, const NewGrant& g, TimePoint at) {
  auto currency = money::FindCurrency(g.currency);
  if (!currency) return InvalidArgument("currency " + g.currency + " is not one Meterline bills in");
  if (g.amount_minor <= 0) return InvalidArgument("amount_minor must be positive");
  if (g.amount_minor % currency->step != 0) {
    return InvalidArgument("amount_minor must be a multiple of " + std::to_string(currency->step) + " in " +
                           currency->code);
  }
  if (g.priority < 0 || g.priority > kMaxPriority) {
    return InvalidArgument("priority must be between 0 and " + std::to_string(kMaxPriority));
  }
  if (g.expires_at && *g.expires_at <= at) return InvalidArgument("expires_at must be in the future");
  if (g.description.empty() || g.description.size() > kMaxDescription) {
    return InvalidArgument("description must be 1 to " + std::to_string(kMaxDescription) + " bytes");
  }
  Grant out{.id = NewId("cg"),
            .customer_id = g.customer_id,
            .currency = currency->code,
            .kind = g.kind,
            .amount_minor = g.amount_minor,
            .remaining_minor = g.amount_minor,
            .priority = g.priority,
            .expires_at = g.expires_at,
            .credit_note_id = g.credit_note_id,
            .description = g.description,
            .created_by = g.actor,
            .created_at = at};
  MTL_RETURN_IF_ERROR(
      tx.Execute("INSERT INTO credit_grants (id, customer_id, currency, kind, amount_minor, remaining_minor, priority, "
                 "expires_at, credit_note_id, description, created_by, created_at) "
                 "VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8, $9, $10, $11)",
                 {out.id, out.customer_id, out.currency, std::string(GrantKindName(out.kind)), out.amount_minor,
                  int64_t{out.priority}, out.expires_at ? Value(ToUnixMillis(*out.expires_at)) : Value(nullptr),
                  out.credit_note_id.empty() ? Value(nullptr) : Value(out.credit_note_id), out.description,
                  out.created_by, ToUnixMillis(at)}));
  MTL_ASSIGN_OR_RETURN(int64_t balance, LiveBalance(tx, out.customer_id, out.currency, at));
  MTL_RETURN_IF_ERROR(WriteEntry(tx,
                                 {out.customer_id, out.id, out.currency, "granted", out.amount_minor, balance, "",
                                  out.description, out.created_by},
                                 at));
  return out;
}

Result<Grant> CreditLedger::GrantByAdmin(storage::Database& db, const Clock& clock, const NewGrant& grant) {
  Grant out;
  MTL_RETURN_IF_ERROR(db.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
    MTL_ASSIGN_OR_RETURN(auto customer, tx.Execute("SELECT 1 FROM customers WHERE id = $1", {grant.customer_id}));
    if (customer.rows.empty()) return NotFound("no customer " + grant.customer_id);
    MTL_ASSIGN_OR_RETURN(out, AddGrant(tx, grant, clock.Now()));
    return audit::Record(tx, clock,
                         {grant.actor,
                          "credits.grant",
                          out.customer_id,
                          {{"grant_id", out.id},
                           {"kind", GrantKindName(out.kind)},
                           {"amount_minor", out.amount_minor},
                           {"currency", out.currency}},
                          {}});
  }));
  return out;
}

Result<std::map<std::string, int64_t>> CreditLedger::Apply(storage::Executor& tx,
                                                           const std::vector<InvoiceToCredit>& invoices,
                                                           const std::string& actor, TimePoint at) {
  std::map<std::string, int64_t> applied;
  std::set<std::string> customer_set;
  for (const InvoiceToCredit& inv : invoices) {
    if (inv.amount_due_minor > 0) customer_set.insert(inv.customer_id);
  }
  if (customer_set.empty()) return applied;
  std::vector<std::string> customers(customer_set.begin(), customer_set.end());
  // Lock the live grants first (a no-op update takes PostgreSQL's row locks;
  // SQLite's writer lock is already held), then read them as they now are.
  MTL_RETURN_IF_ERROR(storage::SelectIn(
      tx,
      "UPDATE credit_grants SET remaining_minor = remaining_minor WHERE remaining_minor > 0 AND customer_id IN_LIST",
      {}, customers, [](const storage::Row&) {}));
  std::map<std::pair<std::string, std::string>, std::vector<Grant>> live;  // (customer, currency) -> in use order
  MTL_RETURN_IF_ERROR(storage::SelectIn(tx,
                                        std::string("SELECT ") + kGrantColumns + " FROM credit_grants WHERE" + Live(1) +
                                            " AND customer_id IN_LIST" + kUseOrder,
                                        {ToUnixMillis(at)}, customers, [&](const storage::Row& row) {
                                          Grant g = GrantFromRow(row);
                                          live[{g.customer_id, g.currency}].push_back(std::move(g));
                                        }));
  // SelectIn runs chunk by chunk: each chunk is in order, and a customer is in one chunk.
  for (const InvoiceToCredit& inv : invoices) {
    auto it = live.find({inv.customer_id, inv.currency});
    if (it == live.end() || inv.amount_due_minor <= 0) continue;
    int64_t balance = 0;
    for (const Grant& g : it->second) balance += g.remaining_minor;
    int64_t want = inv.amount_due_minor;
    for (Grant& g : it->second) {
      if (want == 0) break;
      int64_t take = std::min(want, g.remaining_minor);
      if (take == 0) continue;
      MTL_RETURN_IF_ERROR(Take(tx, g.id, take));
      g.remaining_minor -= take;
      want -= take;
      balance -= take;
      applied[inv.invoice_id] += take;
      MTL_RETURN_IF_ERROR(WriteEntry(
          tx, {inv.customer_id, g.id, g.currency, "applied", -take, balance, inv.invoice_id, g.description, actor},
          at));
    }
  }
  return applied;
}

Result<int64_t> CreditLedger::ExpireDue(storage::Executor& tx, TimePoint at) {
  MTL_ASSIGN_OR_RETURN(auto due, tx.Execute(std::string("SELECT ") + kGrantColumns +
                                                " FROM credit_grants WHERE remaining_minor > 0 AND expires_at <= $1 "
                                                "ORDER BY expires_at, id LIMIT 1000",
                                            {ToUnixMillis(at)}));
  int64_t expired = 0;
  for (const auto& row : due.rows) {
    Grant g = GrantFromRow(row);
    MTL_RETURN_IF_ERROR(Take(tx, g.id, g.remaining_minor));
    MTL_ASSIGN_OR_RETURN(int64_t balance, LiveBalance(tx, g.customer_id, g.currency, at));
    MTL_RETURN_IF_ERROR(WriteEntry(
        tx, {g.customer_id, g.id, g.currency, "expired", -g.remaining_minor, balance, "", g.description, "system"},
        *g.expires_at));
    ++expired;
  }
  return expired;
}

Result<std::map<std::string, int64_t>> CreditLedger::Balances(storage::Executor& ex, const std::string& customer_id,
                                                              TimePoint at) {
  MTL_ASSIGN_OR_RETURN(auto rows, ex.Execute(std::string("SELECT currency, SUM(remaining_minor) FROM credit_grants "
                                                         "WHERE customer_id = $1 AND") +
                                                 Live(2) + " GROUP BY currency ORDER BY currency",
                                             {customer_id, ToUnixMillis(at)}));
  std::map<std::string, int64_t> out;
  for (const auto& row : rows.rows) out[row.Text(0)] = row.Int(1);
  return out;
}

Result<std::vector<Grant>> CreditLedger::Grants(storage::Executor& ex, const std::string& customer_id, int64_t limit) {
  MTL_ASSIGN_OR_RETURN(auto rows, ex.Execute(std::string("SELECT ") + kGrantColumns +
                                                 " FROM credit_grants WHERE customer_id = $1 "
                                                 "ORDER BY created_at DESC, id DESC LIMIT $2",
                                             {customer_id, limit}));
  std::vector<Grant> out;
  for (const auto& row : rows.rows) out.push_back(GrantFromRow(row));
  return out;
}

Result<Page<LedgerEntry>> CreditLedger::History(storage::Executor& ex, const std::string& customer_id,
                                                const PageRequest& page) {
  std::string sql =
      "SELECT id, customer_id, grant_id, currency, kind, amount_minor, balance_after_minor, invoice_id, description, "
      "actor, created_at FROM credit_ledger WHERE customer_id = $1";
  std::vector<Value> params{customer_id};
  bool reversed = !page.before.empty();
  if (page.ByCursor()) {
    const std::string& cursor = reversed ? page.before : page.after;
    MTL_ASSIGN_OR_RETURN(
        auto at, ex.Execute("SELECT seq FROM credit_ledger WHERE id = $1 AND customer_id = $2", {cursor, customer_id}));
    if (at.rows.empty()) return InvalidArgument("no ledger entry " + cursor + " for this customer");
    params.emplace_back(at.rows[0].Int(0));
    sql += reversed ? " AND seq > $2 ORDER BY seq ASC" : " AND seq < $2 ORDER BY seq DESC";
  } else {
    sql += " ORDER BY seq DESC";
  }
  params.emplace_back(page.limit + 1);
  sql += " LIMIT $" + std::to_string(params.size());
  if (!page.ByCursor()) {
    params.emplace_back(page.offset);
    sql += " OFFSET $" + std::to_string(params.size());
  }
  MTL_ASSIGN_OR_RETURN(auto rows, ex.Execute(sql, params));
  std::vector<LedgerEntry> items;
  for (const auto& row : rows.rows) {
    items.push_back({row.Text(0), row.Text(1), row.Text(2), row.Text(3), row.Text(4), row.Int(5), row.Int(6),
                     row.OptText(7).value_or(""), row.Text(8), row.Text(9), FromUnixMillis(row.Int(10))});
  }
  auto out = TrimPage(std::move(items), page, reversed);
  MTL_ASSIGN_OR_RETURN(auto count,
                       ex.Execute("SELECT COUNT(*) FROM credit_ledger WHERE customer_id = $1", {customer_id}));
  out.total = count.rows.at(0).Int(0);
  return out;
}

}  // namespace meterline::credits
