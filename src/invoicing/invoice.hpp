// Invoice: the model of one invoice and the legal moves between its states.
// Amounts are integer minor units of `currency`; unit prices exact decimals.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/period.hpp"

namespace meterline::invoicing {

enum class InvoiceStatus { kDraft, kOpen, kPaid, kVoid, kUncollectible };

const char* StatusName(InvoiceStatus status);
std::optional<InvoiceStatus> ParseStatus(std::string_view name);

// Stripe's invoice lifecycle: draft -> open (finalize); open -> paid | void |
// uncollectible; uncollectible -> paid | void. paid and void are final.
bool CanTransition(InvoiceStatus from, InvoiceStatus to);

struct LineItem {
  std::string kind;         // "base_fee" | "overage" | "usage" | "minimum" | "adjustment"
  std::string metric;       // overage and usage lines: the catalog metric id
  std::string description;  // "Impressions over 1,000,000 included"
  int64_t quantity = 0;     // units (1 for the base fee)
  std::string unit_price;   // exact decimal, major units per unit ("0.0005")
  int64_t amount_minor = 0;
};

struct Invoice {
  std::string id;
  std::string number;  // empty while draft
  std::string customer_id;
  std::string subscription_id;
  Period period;
  InvoiceStatus status = InvoiceStatus::kDraft;
  std::string currency;
  std::vector<LineItem> lines;
  int64_t subtotal_minor = 0;
  std::string tax_rate;  // exact decimal ("0.19"); empty = no tax
  int64_t tax_minor = 0;
  int64_t total_minor = 0;
  // Still owed: total - credits_applied - pre_payment_credit - paid (>= 0).
  int64_t amount_due_minor = 0;
  int64_t amount_paid_minor = 0;
  int64_t amount_refunded_minor = 0;
  int64_t credits_applied_minor = 0;      // prepaid credits, applied when finalized
  int64_t pre_payment_credit_minor = 0;   // credit notes that lowered what is due
  int64_t post_payment_credit_minor = 0;  // credit notes after payment (refunded or credited)
  std::optional<TimePoint> due_at;
  std::string stripe_invoice_id;
  std::string hosted_invoice_url;  // Stripe's page to pay it; "" until Stripe has it finalized
  int64_t failed_payment_count = 0;
  TimePoint created_at;
  std::optional<TimePoint> finalized_at;
  std::optional<TimePoint> paid_at;
  std::optional<TimePoint> voided_at;
  TimePoint updated_at;
};

}  // namespace meterline::invoicing
