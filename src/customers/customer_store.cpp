#include "customers/customer_store.hpp"

#include <algorithm>
#include <cctype>

#include "core/ids.hpp"
#include "storage/bulk.hpp"

namespace meterline::customers {

namespace {

using storage::Value;

constexpr const char* kColumns = "id, name, email, country, currency, created_at";

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

Value Nullable(const std::string& s) {
  if (s.empty()) return nullptr;
  return s;
}

bool ValidEmail(const std::string& email) {
  auto at = email.find('@');
  return email.size() <= 254 && at != std::string::npos && at > 0 && at + 1 < email.size() &&
         email.find('@', at + 1) == std::string::npos &&
         std::none_of(email.begin(), email.end(), [](unsigned char c) { return std::isspace(c) || c < 0x20; });
}

bool Upper(const std::string& c, size_t size) {
  return c.size() == size && std::all_of(c.begin(), c.end(), [](char ch) { return ch >= 'A' && ch <= 'Z'; });
}

Customer FromRow(const storage::Row& row) {
  return Customer{row.Text(0),
                  row.Text(1),
                  row.OptText(2).value_or(""),
                  row.OptText(3).value_or(""),
                  row.Text(4),
                  FromUnixMillis(row.Int(5))};
}

// id -> the text in column 1 of `sql`, for those of `ids` that exist.
Result<std::map<std::string, std::string>> TextById(storage::Executor& ex, const char* sql,
                                                    const std::vector<std::string>& ids) {
  std::map<std::string, std::string> out;
  MTL_RETURN_IF_ERROR(storage::SelectIn(
      ex, sql, {}, ids, [&](const storage::Row& row) { out[row.Text(0)] = row.OptText(1).value_or(""); }));
  return out;
}

}  // namespace

Result<Customer> CustomerStore::Create(const NewCustomer& input, const std::string& actor,
                                       const audit::Origin& origin) {
  if (input.name.empty() || input.name.size() > 200) return InvalidArgument("name must be 1-200 characters");
  if (!input.email.empty() && !ValidEmail(input.email)) return InvalidArgument("email is not a valid address");
  if (!input.country.empty() && !Upper(input.country, 2)) {
    return InvalidArgument("country must be an ISO 3166-1 alpha-2 code like DE");
  }
  if (!Upper(input.currency, 3)) return InvalidArgument("currency must be an ISO 4217 code like USD");
  Customer customer{NewId("cus"), input.name, Lower(input.email), input.country, input.currency, clock_.Now()};
  int64_t now = ToUnixMillis(customer.created_at);
  MTL_RETURN_IF_ERROR(db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
    MTL_RETURN_IF_ERROR(tx.Execute(
        "INSERT INTO customers (id, name, email, country, currency, created_at, updated_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $6)",
        {customer.id, customer.name, Nullable(customer.email), Nullable(customer.country), customer.currency, now}));
    return audit::Record(tx, clock_, {actor, "customer.create", customer.id, {{"name", customer.name}}, origin});
  }));
  return customer;
}

Result<Customer> CustomerStore::Get(const std::string& id) {
  MTL_ASSIGN_OR_RETURN(auto result,
                       db_.Execute(std::string("SELECT ") + kColumns + " FROM customers WHERE id = $1", {id}));
  if (result.rows.empty()) return NotFound("no customer " + id);
  return FromRow(result.rows[0]);
}

Result<std::vector<Customer>> CustomerStore::List(int limit, int offset) {
  MTL_ASSIGN_OR_RETURN(auto result, db_.Execute(std::string("SELECT ") + kColumns +
                                                    " FROM customers ORDER BY created_at DESC, id LIMIT $1 OFFSET $2",
                                                {int64_t{limit}, int64_t{offset}}));
  std::vector<Customer> out;
  for (const auto& row : result.rows) out.push_back(FromRow(row));
  return out;
}

Result<bool> CustomerStore::Exists(storage::Executor& ex, const std::string& id) {
  MTL_ASSIGN_OR_RETURN(auto found, ex.Execute("SELECT 1 FROM customers WHERE id = $1", {id}));
  return !found.rows.empty();
}

Result<std::map<std::string, std::string>> CustomerStore::Names(storage::Executor& ex,
                                                                const std::vector<std::string>& ids) {
  return TextById(ex, "SELECT id, name FROM customers WHERE id IN_LIST", ids);
}

Result<std::map<std::string, std::string>> CustomerStore::Countries(storage::Executor& ex,
                                                                    const std::vector<std::string>& ids) {
  return TextById(ex, "SELECT id, country FROM customers WHERE id IN_LIST", ids);
}

Status CustomerStore::LockForUpdate(storage::Transaction& tx, storage::Backend backend, const std::string& id) {
  if (backend != storage::Backend::kPostgres) return OkStatus();
  MTL_RETURN_IF_ERROR(tx.Execute("SELECT id FROM customers WHERE id = $1 FOR UPDATE", {id}));
  return OkStatus();
}

Result<CustomerStore::StripeContact> CustomerStore::StripeContactOf(const std::string& id) {
  MTL_ASSIGN_OR_RETURN(auto found,
                       db_.Execute("SELECT name, email, stripe_customer_id FROM customers WHERE id = $1", {id}));
  if (found.rows.empty()) return NotFound("no customer " + id);
  const storage::Row& row = found.rows[0];
  return StripeContact{row.Text(0), row.OptText(1).value_or(""), row.OptText(2).value_or("")};
}

Result<std::string> CustomerStore::LinkStripe(const std::string& id, const std::string& stripe_customer_id) {
  auto stored = db_.Execute(
      "UPDATE customers SET stripe_customer_id = $2, updated_at = $3 WHERE id = $1 AND stripe_customer_id IS NULL",
      {id, stripe_customer_id, ToUnixMillis(clock_.Now())});
  if (!stored.ok()) return std::move(stored).error();
  if (stored->affected_rows == 1) return stripe_customer_id;
  // Another push stored one first: use that one, as every later push will.
  MTL_ASSIGN_OR_RETURN(auto kept, db_.Execute("SELECT stripe_customer_id FROM customers WHERE id = $1", {id}));
  if (!kept.rows.empty() && !kept.rows[0].OptText(0).value_or("").empty()) return kept.rows[0].Text(0);
  return stripe_customer_id;
}

Result<std::string> CustomerStore::ForStripeCustomer(storage::Executor& ex, const std::string& stripe_customer_id) {
  if (stripe_customer_id.empty()) return std::string();
  MTL_ASSIGN_OR_RETURN(auto found,
                       ex.Execute("SELECT id FROM customers WHERE stripe_customer_id = $1", {stripe_customer_id}));
  return found.rows.empty() ? std::string() : found.rows[0].Text(0);
}

}  // namespace meterline::customers
