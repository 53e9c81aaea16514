#include "credit_notes/credit_note.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "core/checked_math.hpp"
#include "invoicing/invoice_builder.hpp"
#include "money/money.hpp"

namespace meterline::credit_notes {

namespace {

std::string Field(size_t i, const char* name) { return "lines[" + std::to_string(i) + "]." + name; }

}  // namespace

const char* ReasonName(Reason reason) {
  switch (reason) {
    case Reason::kDuplicate: return "duplicate";
    case Reason::kFraudulent: return "fraudulent";
    case Reason::kOrderChange: return "order_change";
    case Reason::kProductUnsatisfactory: return "product_unsatisfactory";
  }
  return "order_change";
}

std::optional<Reason> ParseReason(std::string_view name) {
  for (Reason r : {Reason::kDuplicate, Reason::kFraudulent, Reason::kOrderChange, Reason::kProductUnsatisfactory}) {
    if (name == ReasonName(r)) return r;
  }
  return std::nullopt;
}

const char* RefundToName(RefundTo to) {
  switch (to) {
    case RefundTo::kNone: return "";
    case RefundTo::kCreditBalance: return "credit_balance";
    case RefundTo::kStripeRefund: return "stripe_refund";
  }
  return "";
}

std::optional<RefundTo> ParseRefundTo(std::string_view name) {
  if (name == "credit_balance") return RefundTo::kCreditBalance;
  if (name == "stripe_refund") return RefundTo::kStripeRefund;
  return std::nullopt;
}

Result<CreditNote> ComposeCreditNote(const invoicing::Invoice& invoice, const std::vector<CreditNote>& earlier,
                                     const CreditNoteRequest& request) {
  using invoicing::InvoiceStatus;
  if (invoice.status != InvoiceStatus::kOpen && invoice.status != InvoiceStatus::kPaid &&
      invoice.status != InvoiceStatus::kUncollectible) {
    return Error(ErrorCode::kConflict, "illegal_transition",
                 "invoice " + invoice.id + " is " + invoicing::StatusName(invoice.status) +
                     ": only a finalized invoice that is not void can be credited");
  }
  money::Currency currency = money::FindCurrency(invoice.currency).value_or(money::Currency{invoice.currency, 2});
  if (request.lines.empty() && !request.amount_minor) {
    return InvalidParam("lines", "give lines to credit, an amount_minor, or both");
  }
  if (request.memo.size() > kMaxMemo) return InvalidParam("memo", "memo must be at most 1000 bytes");

  // What earlier credit notes took from each line, and in all.
  std::map<int64_t, int64_t> credited;
  int64_t credited_total = 0, credited_tax = 0;
  for (const CreditNote& cn : earlier) {
    for (const CreditNoteLine& l : cn.lines) {
      if (l.invoice_line) credited[*l.invoice_line] += l.amount_minor;
    }
    credited_total += cn.total_minor;
    credited_tax += cn.tax_minor;
  }

  CreditNote out;
  out.invoice_id = invoice.id;
  out.customer_id = invoice.customer_id;
  out.currency = invoice.currency;
  out.reason = request.reason;
  out.memo = request.memo;
  std::set<int64_t> named;
  for (size_t i = 0; i < request.lines.size(); ++i) {
    const CreditNoteRequest::Line& want = request.lines[i];
    if (want.invoice_line < 1 || want.invoice_line > static_cast<int64_t>(invoice.lines.size())) {
      return InvalidParam(Field(i, "line"), "invoice " + invoice.id + " has no line " +
                                                std::to_string(want.invoice_line) + " (it has " +
                                                std::to_string(invoice.lines.size()) + ")");
    }
    if (!named.insert(want.invoice_line).second) {
      return InvalidParam(Field(i, "line"), "line " + std::to_string(want.invoice_line) + " is named twice");
    }
    const invoicing::LineItem& line = invoice.lines[static_cast<size_t>(want.invoice_line - 1)];
    int64_t left = line.amount_minor - credited[want.invoice_line];
    if (line.amount_minor <= 0) {
      return InvalidParam(Field(i, "line"), "line " + std::to_string(want.invoice_line) +
                                                " is not a charge; only positive lines can be credited");
    }
    if (left <= 0) {
      return InvalidParam(Field(i, "line"), "line " + std::to_string(want.invoice_line) + " is fully credited");
    }
    if (want.quantity && want.amount_minor) {
      return InvalidParam(Field(i, "quantity"), "give a quantity or an amount_minor for a line, not both");
    }
    CreditNoteLine cl{want.invoice_line, line.description, std::nullopt, left};
    if (want.quantity) {
      auto price = money::Decimal::Parse(line.unit_price);
      if (!price || line.quantity <= 0) {
        return InvalidParam(Field(i, "quantity"), "line " + std::to_string(want.invoice_line) +
                                                      " has no single unit price: credit an amount_minor instead");
      }
      if (*want.quantity < 1 || *want.quantity > line.quantity) {
        return InvalidParam(Field(i, "quantity"),
                            "quantity must be between 1 and " + std::to_string(line.quantity) + " (the line's)");
      }
      MTL_ASSIGN_OR_RETURN(cl.amount_minor, money::ChargeMinor({*price, 1}, *want.quantity, currency));
      cl.quantity = want.quantity;
    } else if (want.amount_minor) {
      cl.amount_minor = *want.amount_minor;
    }
    if (cl.amount_minor <= 0 || cl.amount_minor % currency.step != 0) {
      return InvalidParam(Field(i, "amount_minor"),
                          "the amount credited must be positive and a multiple of " + std::to_string(currency.step));
    }
    if (cl.amount_minor > left) {
      return InvalidParam(Field(i, want.quantity ? "quantity" : "amount_minor"),
                          "line " + std::to_string(want.invoice_line) + " has " + std::to_string(left) +
                              " minor units left to credit, not " + std::to_string(cl.amount_minor));
    }
    out.lines.push_back(std::move(cl));
  }
  if (request.amount_minor) {
    if (*request.amount_minor <= 0 || *request.amount_minor % currency.step != 0) {
      return InvalidParam("amount_minor",
                          "amount_minor must be positive and a multiple of " + std::to_string(currency.step));
    }
    out.lines.push_back({std::nullopt, request.description.empty() ? "Credit" : request.description, std::nullopt,
                         *request.amount_minor});
  }
  for (const CreditNoteLine& l : out.lines) {
    MTL_RETURN_IF_ERROR(AddChecked(out.subtotal_minor, l.amount_minor, "the credit note's subtotal"));
  }
  if (!invoice.tax_rate.empty()) {
    auto rate = money::Decimal::Parse(invoice.tax_rate);
    if (!rate) return Internal("invoice " + invoice.id + " has an unreadable tax rate");
    MTL_ASSIGN_OR_RETURN(out.tax_minor, invoicing::TaxMinor(out.subtotal_minor, *rate, currency.step));
    out.tax_minor = std::max<int64_t>(0, std::min(out.tax_minor, invoice.tax_minor - credited_tax));
  }
  out.total_minor = out.subtotal_minor;
  MTL_RETURN_IF_ERROR(AddChecked(out.total_minor, out.tax_minor, "the credit note's total"));
  int64_t creditable = invoice.total_minor - credited_total;
  if (out.total_minor > creditable) {
    return InvalidParam(request.amount_minor ? "amount_minor" : "lines",
                        "the credit note's total " + std::to_string(out.total_minor) + " exceeds the " +
                            std::to_string(std::max<int64_t>(0, creditable)) +
                            " minor units left to credit on invoice " + invoice.id);
  }
  out.pre_payment_minor = std::min(out.total_minor, std::max<int64_t>(0, invoice.amount_due_minor));
  out.post_payment_minor = out.total_minor - out.pre_payment_minor;
  out.refund_to = out.post_payment_minor > 0 ? request.refund_to : RefundTo::kNone;
  return out;
}

}  // namespace meterline::credit_notes
