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

struct Customer {
  std::string id;  // "cus_…"
  std::string name;
  std::string email;
  std::string country;   // ISO 3166-1 alpha-2, may be empty
  std::string currency;  // ISO 4217
  TimePoint created_at;
};

struct NewCustomer {
  std::string name;
  std::string email;
  std::string country;
  std::string currency = "USD";
};

class CustomerStore {
 public:
  // `db` and `clock` must outlive the store.
  CustomerStore(storage::Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  // kInvalidArgument naming the bad field (name 1-200 characters, an email
  // address, ISO country and currency codes); the email is stored lower-cased.
  Result<Customer> Create(const NewCustomer& input, const std::string& actor, const audit::Origin& origin);
  // kNotFound when there is no such customer.
  Result<Customer> Get(const std::string& id);
  // Newest first, a page at a time.
  Result<std::vector<Customer>> List(int limit, int offset);

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
