// CustomerStore: the customers table, and the one module that writes it.
// Other modules ask it whether a customer exists, for names and countries,
// and for the link to Stripe's customer; they never run its SQL. Every change
// made on someone's behalf is audited. Thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "audit/audit_log.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "storage/database.hpp"

namespace meterline::customers {

using Metadata = std::map<std::string, std::string>;

struct Customer {
  std::string id;  // "cus_…"
  std::string name;
  std::string email;
  std::string country;   // ISO 3166-1 alpha-2, may be empty
  std::string currency;  // ISO 4217
  TimePoint created_at;
  std::string external_id;  // the ad platform's id for the publisher; unique, may be empty
  Metadata metadata;
};

struct NewCustomer {
  std::string name;
  std::string email;
  std::string country;
  std::string currency = "USD";
  std::string external_id;
  Metadata metadata;
};

// A change to a customer: each field set is changed. In `metadata`, a key
// with an empty value is removed (Stripe's rule); other keys are set.
// `external_id` set to "" removes it.
struct CustomerChange {
  std::optional<std::string> name, email, country, external_id;
  std::optional<Metadata> metadata;
};

// Stripe's limits on metadata: 50 keys of at most 40 characters (no square
// brackets), values of at most 500.
inline constexpr size_t kMaxMetadataKeys = 50;
inline constexpr size_t kMaxMetadataKeyLength = 40;
inline constexpr size_t kMaxMetadataValueLength = 500;
inline constexpr size_t kMaxExternalIdLength = 128;

// A filter and page of the customer list.
struct CustomerQuery {
  // Case-insensitive substring of the name, email or external id, or an exact id.
  std::string search;
  int64_t limit = 20;  // the store returns up to limit + 1 (one more tells whether there is more)
  int64_t offset = 0;
};

class CustomerStore {
 public:
  // `db` and `clock` must outlive the store.
  CustomerStore(storage::Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  // kInvalidArgument naming the bad field (name 1-200 characters, an email
  // address, ISO country and currency codes); the email is stored lower-cased.
  Result<Customer> Create(const NewCustomer& input, const std::string& actor, const audit::Origin& origin);
  // kInvalidArgument naming the bad field (as Create); kConflict "external_id_taken"
  // when another customer has the external id; kNotFound without the customer.
  Result<Customer> Update(const std::string& id, const CustomerChange& change, const std::string& actor,
                          const audit::Origin& origin);
  // kNotFound when there is no such customer.
  Result<Customer> Get(const std::string& id);
  // The customer with this external id; nullopt when none.
  Result<std::optional<Customer>> FindByExternalId(const std::string& external_id);
  // Newest first, a page at a time, optionally searched.
  Result<std::vector<Customer>> List(const CustomerQuery& query);

  // Inside the caller's transaction.
  static Result<bool> Exists(storage::Executor& ex, const std::string& id);
  // Names and countries ("" when none) of those of `ids` that exist.
  static Result<std::map<std::string, std::string>> Names(storage::Executor& ex, const std::vector<std::string>& ids);
  static Result<std::map<std::string, std::string>> Countries(storage::Executor& ex,
                                                              const std::vector<std::string>& ids);
  // Locks the customer's row until the transaction ends (PostgreSQL; SQLite's
  // write transaction excludes every other writer already): writers of one
  // customer's usage in ClickHouse take turns.
  static Status LockForUpdate(storage::Transaction& tx, storage::Backend backend, const std::string& id);

  // The Stripe customer linked to ours, "" when none.
  struct StripeContact {
    std::string name;
    std::string email;
    std::string stripe_customer_id;
  };
  Result<StripeContact> StripeContactOf(const std::string& id);
  // Links our customer to `stripe_customer_id` unless it has one already:
  // the Stripe customer it is linked to afterwards (the earlier one wins).
  Result<std::string> LinkStripe(const std::string& id, const std::string& stripe_customer_id);
  // Ours for a Stripe customer id; "" when none.
  static Result<std::string> ForStripeCustomer(storage::Executor& ex, const std::string& stripe_customer_id);

 private:
  storage::Database& db_;
  const Clock& clock_;
};

}  // namespace meterline::customers
