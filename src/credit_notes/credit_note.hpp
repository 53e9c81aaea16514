// CreditNote: a document that takes back part or all of a finalized invoice,
// Stripe's model. What it credits is whole invoice lines, part of a line (a
// quantity at the line's unit price, or an amount) or a free amount; tax at
// the invoice's rate is credited with it (rounded half to even once, never
// more than the invoice's tax left). It first lowers what is still due on
// the invoice (pre-payment); the rest (post-payment, the invoice was paid)
// goes to the customer's prepaid credits or is refunded through Stripe.
// ComposeCreditNote is the pure rule; CreditNoteService stores and numbers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "invoicing/invoice.hpp"

namespace meterline::credit_notes {

// Stripe's reasons.
enum class Reason { kDuplicate, kFraudulent, kOrderChange, kProductUnsatisfactory };
const char* ReasonName(Reason reason);  // "duplicate" | "fraudulent" | "order_change" | "product_unsatisfactory"
std::optional<Reason> ParseReason(std::string_view name);

// Where the post-payment part goes.
enum class RefundTo { kNone, kCreditBalance, kStripeRefund };
const char* RefundToName(RefundTo to);  // "" | "credit_balance" | "stripe_refund"
std::optional<RefundTo> ParseRefundTo(std::string_view name);

struct CreditNoteLine {
  std::optional<int64_t> invoice_line;  // the invoice line's position; nullopt for a free amount
  std::string description;
  std::optional<int64_t> quantity;  // when credited by quantity
  int64_t amount_minor = 0;
};

struct CreditNote {
  std::string id;      // "cn_…"
  std::string number;  // "CN-2026-000001"
  std::string invoice_id;
  std::string customer_id;
  std::string currency;
  Reason reason = Reason::kOrderChange;
  std::string memo;
  std::vector<CreditNoteLine> lines;
  int64_t subtotal_minor = 0;
  int64_t tax_minor = 0;
  int64_t total_minor = 0;
  int64_t pre_payment_minor = 0;   // lowered the invoice's amount due
  int64_t post_payment_minor = 0;  // credited or refunded
  RefundTo refund_to = RefundTo::kNone;
  std::string credit_grant_id;  // refund_to credit_balance: the grant it became
  std::string stripe_credit_note_id;
  std::string created_by;
  TimePoint created_at;
};

// What an admin asks for: lines, an amount, or both.
struct CreditNoteRequest {
  struct Line {
    int64_t invoice_line = 0;             // position, 1..
    std::optional<int64_t> quantity;      // part of the line at its unit price
    std::optional<int64_t> amount_minor;  // part of the line as an amount
  };                                      // neither: what is left of the line
  std::vector<Line> lines;
  std::optional<int64_t> amount_minor;  // a free amount (before tax)
  std::string description;              // of the free amount; "Credit" when empty
  Reason reason = Reason::kOrderChange;
  std::string memo;
  RefundTo refund_to = RefundTo::kCreditBalance;  // for the post-payment part
};

inline constexpr size_t kMaxMemo = 1000;

// The credit note `request` makes on `invoice`, given the ones issued on it
// before (`earlier`): lines, subtotal, tax, total and its pre/post-payment
// split; id, number and dates left for the caller.
// kConflict "illegal_transition" unless the invoice is open, paid or
// uncollectible; kInvalidArgument (naming the field) for a line that does not
// exist, is not positive, is named twice, or is asked for more than is left
// to credit on it, a quantity on a line without a single unit price, an
// amount that is not positive or not a multiple of the currency's smallest
// unit, nothing asked for, or a total beyond what is left of the invoice.
Result<CreditNote> ComposeCreditNote(const invoicing::Invoice& invoice, const std::vector<CreditNote>& earlier,
                                     const CreditNoteRequest& request);

}  // namespace meterline::credit_notes
