// CreditLedger: a customer's prepaid credits. Credits arrive as grants (an
// admin's free grant or paid top-up, or a credit note paid out as credit),
// each with an amount, a currency, an optional expiry and a priority, and are
// applied to invoices when they are finalized: to the amount due after tax,
// lower priority number first, then the one expiring first (never-expiring
// last), then the oldest. Every movement is an append-only ledger entry
// (granted, applied, expired); a grant's `remaining_minor` is kept in step
// with its entries in the same transaction. The one module that writes
// credit_grants and credit_ledger. Thread-safe (stateless); every method runs
// on the caller's executor, inside its transaction where it writes.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/paging.hpp"
#include "core/result.hpp"
#include "storage/database.hpp"

namespace meterline::credits {

enum class GrantKind { kGrant, kTopUp, kCreditNote };
const char* GrantKindName(GrantKind kind);  // "grant" | "top_up" | "credit_note"
std::optional<GrantKind> ParseGrantKind(std::string_view name);

struct Grant {
  std::string id;  // "cg_…"
  std::string customer_id;
  std::string currency;
  GrantKind kind = GrantKind::kGrant;
  int64_t amount_minor = 0;
  int64_t remaining_minor = 0;  // 0 once used up or expired
  int priority = 0;
  std::optional<TimePoint> expires_at;
  std::string credit_note_id;  // kind credit_note
  std::string description;
  std::string created_by;
  TimePoint created_at;
};

struct LedgerEntry {
  std::string id;  // "cle_…"
  std::string customer_id;
  std::string grant_id;
  std::string currency;
  std::string kind;                 // "granted" | "applied" | "expired"
  int64_t amount_minor = 0;         // + granted, - applied or expired
  int64_t balance_after_minor = 0;  // the customer's available balance in this currency after it
  std::string invoice_id;           // applied
  std::string description;
  std::string actor;
  TimePoint created_at;
};

struct NewGrant {
  std::string customer_id;
  std::string currency;
  GrantKind kind = GrantKind::kGrant;
  int64_t amount_minor = 0;
  int priority = 0;
  std::optional<TimePoint> expires_at;
  std::string credit_note_id;
  std::string description;
  std::string actor;
};

// One finalized invoice that credits may pay.
struct InvoiceToCredit {
  std::string invoice_id;
  std::string customer_id;
  std::string currency;
  int64_t amount_due_minor = 0;
};

// Limits on what a grant may be.
inline constexpr int kMaxPriority = 100;
inline constexpr size_t kMaxDescription = 500;

class CreditLedger {
 public:
  // Adds a grant and its "granted" entry. kInvalidArgument for an amount that
  // is not positive or not a multiple of the currency's smallest unit, an
  // unknown currency, a priority outside 0..kMaxPriority, an expiry not after
  // `at`, or a description that is empty or too long.
  static Result<Grant> AddGrant(storage::Executor& tx, const NewGrant& grant, TimePoint at);

  // An admin's grant or top-up in its own transaction, audited as
  // "credits.grant". kNotFound for an unknown customer; errors as AddGrant.
  static Result<Grant> GrantByAdmin(storage::Database& db, const Clock& clock, const NewGrant& grant);

  // Applies the customers' credits to these invoices (in this order), each
  // up to its amount due; writes the "applied" entries and returns what each
  // invoice got (absent: nothing). The caller lowers the invoices' amounts
  // due (InvoiceStore::ApplyCredits) in the same transaction. Grants are
  // locked first, so concurrent applications take turns.
  static Result<std::map<std::string, int64_t>> Apply(storage::Executor& tx,
                                                      const std::vector<InvoiceToCredit>& invoices,
                                                      const std::string& actor, TimePoint at);

  // Writes an "expired" entry for what is left of every grant that expired
  // by `at`, and zeroes it; how many grants expired. Balances never count an
  // expired grant whether or not this ran.
  static Result<int64_t> ExpireDue(storage::Executor& tx, TimePoint at);

  // The available balance per currency at `at` (expired grants excluded).
  static Result<std::map<std::string, int64_t>> Balances(storage::Executor& ex, const std::string& customer_id,
                                                         TimePoint at);
  // The customer's grants, newest first (at most `limit`).
  static Result<std::vector<Grant>> Grants(storage::Executor& ex, const std::string& customer_id, int64_t limit);
  // The ledger, newest first; cursors are entry ids.
  static Result<Page<LedgerEntry>> History(storage::Executor& ex, const std::string& customer_id,
                                           const PageRequest& page);
};

}  // namespace meterline::credits
