#include "customers/customer_store.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cctype>

#include "core/ids.hpp"
#include "storage/bulk.hpp"

namespace meterline::customers {

namespace {

using storage::Value;

constexpr const char* kColumns = "id, name, email, country, currency, created_at, external_id, metadata";

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

Metadata ParseMetadata(std::string_view text) {
  Metadata out;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  if (ec || !v.is_object()) return out;
  for (const auto& [key, value] : v.as_object()) {
    if (value.is_string()) out[std::string(key)] = std::string(value.as_string());
  }
  return out;
}

std::string MetadataText(const Metadata& metadata) {
  boost::json::object o;
  for (const auto& [key, value] : metadata) o[key] = value;
  return boost::json::serialize(o);
}

Customer FromRow(const storage::Row& row) {
  Customer c{row.Text(0),
             row.Text(1),
             row.OptText(2).value_or(""),
             row.OptText(3).value_or(""),
             row.Text(4),
             FromUnixMillis(row.Int(5))};
  c.external_id = row.OptText(6).value_or("");
  c.metadata = ParseMetadata(row.OptText(7).value_or("{}"));
  return c;
}

Status ValidateName(const std::string& name) {
  if (name.empty() || name.size() > 200) return InvalidParam("name", "name must be 1-200 characters");
  return OkStatus();
}

Status ValidateEmail(const std::string& email) {
  if (!email.empty() && !ValidEmail(email)) return InvalidParam("email", "email is not a valid address");
  return OkStatus();
}

Status ValidateCountry(const std::string& country) {
  if (!country.empty() && !Upper(country, 2)) {
    return InvalidParam("country", "country must be an ISO 3166-1 alpha-2 code like DE");
  }
  return OkStatus();
}

Status ValidateExternalId(const std::string& external_id) {
  if (external_id.size() > kMaxExternalIdLength ||
      std::any_of(external_id.begin(), external_id.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; })) {
    return InvalidParam("external_id", "external_id must be at most " + std::to_string(kMaxExternalIdLength) +
                                           " characters without control characters");
  }
  return OkStatus();
}

// `allow_empty_values`: in a change, an empty value removes its key.
Status ValidateMetadata(const Metadata& metadata, bool allow_empty_values) {
  if (metadata.size() > kMaxMetadataKeys) {
    return InvalidParam("metadata", "metadata may have at most " + std::to_string(kMaxMetadataKeys) + " keys");
  }
  for (const auto& [key, value] : metadata) {
    if (key.empty() || key.size() > kMaxMetadataKeyLength || key.find_first_of("[]") != std::string::npos) {
      return InvalidParam("metadata", "metadata keys must be 1-" + std::to_string(kMaxMetadataKeyLength) +
                                          " characters without square brackets");
    }
    if (value.size() > kMaxMetadataValueLength || (value.empty() && !allow_empty_values)) {
      return InvalidParam("metadata[" + key + "]",
                          "metadata values must be 1-" + std::to_string(kMaxMetadataValueLength) + " characters");
    }
  }
  return OkStatus();
}

// kConflict when another customer than `self` has `external_id`.
Status CheckExternalIdFree(storage::Executor& ex, const std::string& external_id, const std::string& self) {
  if (external_id.empty()) return OkStatus();
  MTL_ASSIGN_OR_RETURN(auto taken,
                       ex.Execute("SELECT id FROM customers WHERE external_id = $1 AND id <> $2", {external_id, self}));
  if (taken.rows.empty()) return OkStatus();
  Error e(ErrorCode::kConflict, "external_id_taken",
          "another customer (" + taken.rows[0].Text(0) + ") has external_id " + external_id);
  e.param = "external_id";
  return e;
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
  MTL_RETURN_IF_ERROR(ValidateName(input.name));
  MTL_RETURN_IF_ERROR(ValidateEmail(input.email));
  MTL_RETURN_IF_ERROR(ValidateCountry(input.country));
  if (!Upper(input.currency, 3)) return InvalidParam("currency", "currency must be an ISO 4217 code like USD");
  MTL_RETURN_IF_ERROR(ValidateExternalId(input.external_id));
  MTL_RETURN_IF_ERROR(ValidateMetadata(input.metadata, false));
  Customer customer{NewId("cus"), input.name, Lower(input.email), input.country, input.currency, clock_.Now()};
  customer.external_id = input.external_id;
  customer.metadata = input.metadata;
  int64_t now = ToUnixMillis(customer.created_at);
  MTL_RETURN_IF_ERROR(db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
    MTL_RETURN_IF_ERROR(CheckExternalIdFree(tx, customer.external_id, customer.id));
    MTL_RETURN_IF_ERROR(tx.Execute(
        "INSERT INTO customers (id, name, email, country, currency, created_at, updated_at, external_id, metadata) "
        "VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8)",
        {customer.id, customer.name, Nullable(customer.email), Nullable(customer.country), customer.currency, now,
         Nullable(customer.external_id), MetadataText(customer.metadata)}));
    return audit::Record(tx, clock_, {actor, "customer.create", customer.id, {{"name", customer.name}}, origin});
  }));
  return customer;
}

Result<Customer> CustomerStore::Update(const std::string& id, const CustomerChange& change, const std::string& actor,
                                       const audit::Origin& origin) {
  if (change.name) MTL_RETURN_IF_ERROR(ValidateName(*change.name));
  if (change.email) MTL_RETURN_IF_ERROR(ValidateEmail(*change.email));
  if (change.country) MTL_RETURN_IF_ERROR(ValidateCountry(*change.country));
  if (change.external_id) MTL_RETURN_IF_ERROR(ValidateExternalId(*change.external_id));
  if (change.metadata) MTL_RETURN_IF_ERROR(ValidateMetadata(*change.metadata, true));
  Customer updated;
  MTL_RETURN_IF_ERROR(db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
    MTL_ASSIGN_OR_RETURN(auto rows,
                         tx.Execute(std::string("SELECT ") + kColumns + " FROM customers WHERE id = $1", {id}));
    if (rows.rows.empty()) return NotFound("no customer " + id);
    updated = FromRow(rows.rows[0]);
    boost::json::array changed;
    if (change.name && *change.name != updated.name) {
      updated.name = *change.name;
      changed.emplace_back("name");
    }
    if (change.email && Lower(*change.email) != updated.email) {
      updated.email = Lower(*change.email);
      changed.emplace_back("email");
    }
    if (change.country && *change.country != updated.country) {
      updated.country = *change.country;
      changed.emplace_back("country");
    }
    if (change.external_id && *change.external_id != updated.external_id) {
      MTL_RETURN_IF_ERROR(CheckExternalIdFree(tx, *change.external_id, id));
      updated.external_id = *change.external_id;
      changed.emplace_back("external_id");
    }
    if (change.metadata) {
      Metadata merged = updated.metadata;
      for (const auto& [key, value] : *change.metadata) {
        if (value.empty()) {
          merged.erase(key);
        } else {
          merged[key] = value;
        }
      }
      MTL_RETURN_IF_ERROR(ValidateMetadata(merged, false));
      if (merged != updated.metadata) {
        updated.metadata = std::move(merged);
        changed.emplace_back("metadata");
      }
    }
    if (changed.empty()) return OkStatus();
    MTL_RETURN_IF_ERROR(tx.Execute(
        "UPDATE customers SET name = $2, email = $3, country = $4, external_id = $5, metadata = $6, updated_at = $7 "
        "WHERE id = $1",
        {id, updated.name, Nullable(updated.email), Nullable(updated.country), Nullable(updated.external_id),
         MetadataText(updated.metadata), ToUnixMillis(clock_.Now())}));
    return audit::Record(tx, clock_, {actor, "customer.update", id, {{"fields", std::move(changed)}}, origin});
  }));
  return updated;
}

Result<Customer> CustomerStore::Get(const std::string& id) {
  MTL_ASSIGN_OR_RETURN(auto result,
                       db_.Execute(std::string("SELECT ") + kColumns + " FROM customers WHERE id = $1", {id}));
  if (result.rows.empty()) return NotFound("no customer " + id);
  return FromRow(result.rows[0]);
}

Result<std::optional<Customer>> CustomerStore::FindByExternalId(const std::string& external_id) {
  MTL_ASSIGN_OR_RETURN(
      auto result,
      db_.Execute(std::string("SELECT ") + kColumns + " FROM customers WHERE external_id = $1", {external_id}));
  if (result.rows.empty()) return std::optional<Customer>();
  return std::optional<Customer>(FromRow(result.rows[0]));
}

Result<std::vector<Customer>> CustomerStore::List(const CustomerQuery& query) {
  // LIKE with the user's text as a literal: escape its wildcards.
  std::string pattern;
  if (!query.search.empty()) {
    pattern = "%";
    for (char c : Lower(query.search)) {
      if (c == '%' || c == '_' || c == '\\') pattern += '\\';
      pattern += c;
    }
    pattern += "%";
  }
  MTL_ASSIGN_OR_RETURN(
      auto result,
      db_.Execute(std::string("SELECT ") + kColumns +
                      " FROM customers WHERE CAST($1 AS TEXT) IS NULL OR id = $2 OR LOWER(name) LIKE $1 ESCAPE '\\' "
                      "OR LOWER(COALESCE(email, '')) LIKE $1 ESCAPE '\\' "
                      "OR LOWER(COALESCE(external_id, '')) LIKE $1 ESCAPE '\\' "
                      "ORDER BY created_at DESC, id LIMIT $3 OFFSET $4",
                  {Nullable(pattern), query.search, query.limit + 1, query.offset}));
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
