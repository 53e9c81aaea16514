#include "credit_notes/credit_note_service.hpp"

#include <algorithm>
#include <map>
#include <tuple>

#include "audit/audit_log.hpp"
#include "core/ids.hpp"
#include "credits/credit_ledger.hpp"
#include "invoicing/invoice_store.hpp"
#include "outbox/events.hpp"
#include "outbox/stripe_outbox.hpp"
#include "storage/bulk.hpp"

namespace meterline::credit_notes {

namespace {

using storage::Value;

constexpr const char* kColumns =
    "n.id, n.number, n.invoice_id, n.customer_id, n.currency, n.reason, n.memo, n.subtotal_minor, n.tax_minor, "
    "n.total_minor, n.pre_payment_minor, n.post_payment_minor, n.refund_to, n.stripe_credit_note_id, n.created_by, "
    "n.created_at, (SELECT g.id FROM credit_grants g WHERE g.credit_note_id = n.id)";

CreditNote FromRow(const storage::Row& row) {
  CreditNote cn;
  cn.id = row.Text(0);
  cn.number = row.Text(1);
  cn.invoice_id = row.Text(2);
  cn.customer_id = row.Text(3);
  cn.currency = row.Text(4);
  cn.reason = ParseReason(row.Text(5)).value_or(Reason::kOrderChange);
  cn.memo = row.OptText(6).value_or("");
  cn.subtotal_minor = row.Int(7);
  cn.tax_minor = row.Int(8);
  cn.total_minor = row.Int(9);
  cn.pre_payment_minor = row.Int(10);
  cn.post_payment_minor = row.Int(11);
  cn.refund_to = ParseRefundTo(row.OptText(12).value_or("")).value_or(RefundTo::kNone);
  cn.stripe_credit_note_id = row.OptText(13).value_or("");
  cn.created_by = row.Text(14);
  cn.created_at = FromUnixMillis(row.Int(15));
  cn.credit_grant_id = row.OptText(16).value_or("");
  return cn;
}

// Loads the lines of `notes` (by id) into them.
Status LoadLines(storage::Executor& ex, std::vector<CreditNote>& notes) {
  if (notes.empty()) return OkStatus();
  std::map<std::string, CreditNote*> by_id;
  std::vector<std::string> ids;
  for (CreditNote& cn : notes) {
    by_id[cn.id] = &cn;
    ids.push_back(cn.id);
  }
  std::vector<std::tuple<std::string, int64_t, CreditNoteLine>> rows;
  MTL_RETURN_IF_ERROR(storage::SelectIn(
      ex,
      "SELECT credit_note_id, position, invoice_line, description, quantity, amount_minor FROM credit_note_lines "
      "WHERE credit_note_id IN_LIST",
      {}, ids, [&](const storage::Row& row) {
        rows.emplace_back(row.Text(0), row.Int(1),
                          CreditNoteLine{row.OptInt(2), row.Text(3), row.OptInt(4), row.Int(5)});
      }));
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    return std::tie(std::get<0>(a), std::get<1>(a)) < std::tie(std::get<0>(b), std::get<1>(b));
  });
  rows.erase(std::unique(rows.begin(), rows.end(),
                         [](const auto& a, const auto& b) {
                           return std::get<0>(a) == std::get<0>(b) && std::get<1>(a) == std::get<1>(b);
                         }),
             rows.end());
  for (auto& [id, position, line] : rows) by_id[id]->lines.push_back(std::move(line));
  return OkStatus();
}

}  // namespace

CreditNoteService::CreditNoteService(storage::Database& db, const Clock& clock, std::string number_prefix)
    : db_(db), clock_(clock), number_prefix_(std::move(number_prefix)) {}

Result<CreditNote> CreditNoteService::Load(storage::Executor& ex, const std::string& id) {
  MTL_ASSIGN_OR_RETURN(auto rows,
                       ex.Execute(std::string("SELECT ") + kColumns + " FROM credit_notes n WHERE n.id = $1", {id}));
  if (rows.rows.empty()) return NotFound("no credit note " + id);
  std::vector<CreditNote> one{FromRow(rows.rows[0])};
  MTL_RETURN_IF_ERROR(LoadLines(ex, one));
  return std::move(one[0]);
}

Result<std::vector<CreditNote>> CreditNoteService::LoadForInvoice(storage::Executor& ex,
                                                                  const std::string& invoice_id) {
  MTL_ASSIGN_OR_RETURN(auto rows, ex.Execute(std::string("SELECT ") + kColumns +
                                                 " FROM credit_notes n WHERE n.invoice_id = $1 "
                                                 "ORDER BY n.created_at, n.number",
                                             {invoice_id}));
  std::vector<CreditNote> out;
  for (const auto& row : rows.rows) out.push_back(FromRow(row));
  MTL_RETURN_IF_ERROR(LoadLines(ex, out));
  return out;
}

Status CreditNoteService::LinkStripe(storage::Executor& ex, const std::string& id,
                                     const std::string& stripe_credit_note_id) {
  MTL_RETURN_IF_ERROR(
      ex.Execute("UPDATE credit_notes SET stripe_credit_note_id = $2 WHERE id = $1 AND stripe_credit_note_id IS NULL",
                 {id, stripe_credit_note_id}));
  return OkStatus();
}

Result<std::vector<CreditNote>> CreditNoteService::ForInvoice(const std::string& invoice_id,
                                                              const std::string& customer_scope) {
  MTL_ASSIGN_OR_RETURN(auto invoice, invoicing::InvoiceStore::Load(db_, invoice_id));
  if (!customer_scope.empty() && invoice.customer_id != customer_scope) return NotFound("no invoice " + invoice_id);
  return LoadForInvoice(db_, invoice_id);
}

Result<CreditNote> CreditNoteService::Get(const std::string& id, const std::string& customer_scope) {
  MTL_ASSIGN_OR_RETURN(auto cn, Load(db_, id));
  if (!customer_scope.empty() && cn.customer_id != customer_scope) return NotFound("no credit note " + id);
  return cn;
}

Result<CreditNote> CreditNoteService::Issue(const std::string& invoice_id, const std::string& customer_scope,
                                            const CreditNoteRequest& request, const std::string& actor) {
  CreditNote out;
  MTL_RETURN_IF_ERROR(db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
    // Lock the invoice first: credit notes on it take turns.
    MTL_ASSIGN_OR_RETURN(auto locked,
                         tx.Execute("UPDATE invoices SET updated_at = updated_at WHERE id = $1", {invoice_id}));
    if (locked.affected_rows == 0) return NotFound("no invoice " + invoice_id);
    MTL_ASSIGN_OR_RETURN(auto invoice, invoicing::InvoiceStore::Load(tx, invoice_id));
    if (!customer_scope.empty() && invoice.customer_id != customer_scope) return NotFound("no invoice " + invoice_id);
    MTL_ASSIGN_OR_RETURN(auto earlier, LoadForInvoice(tx, invoice_id));
    MTL_ASSIGN_OR_RETURN(out, ComposeCreditNote(invoice, earlier, request));
    if (out.refund_to == RefundTo::kStripeRefund && invoice.stripe_invoice_id.empty()) {
      return Error(ErrorCode::kConflict, "not_in_stripe",
                   "invoice " + invoice_id +
                       " is not in Stripe, so nothing can be refunded there; "
                       "use refund_to credit_balance");
    }
    TimePoint now = clock_.Now();
    out.id = NewId("cn");
    MTL_ASSIGN_OR_RETURN(out.number, invoicing::InvoiceStore::NextNumber(tx, number_prefix_, now));
    out.created_by = actor;
    out.created_at = now;
    MTL_RETURN_IF_ERROR(tx.Execute(
        "INSERT INTO credit_notes (id, number, invoice_id, customer_id, currency, reason, memo, subtotal_minor, "
        "tax_minor, total_minor, pre_payment_minor, post_payment_minor, refund_to, created_by, created_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        {out.id, out.number, out.invoice_id, out.customer_id, out.currency, std::string(ReasonName(out.reason)),
         out.memo.empty() ? Value(nullptr) : Value(out.memo), out.subtotal_minor, out.tax_minor, out.total_minor,
         out.pre_payment_minor, out.post_payment_minor,
         out.refund_to == RefundTo::kNone ? Value(nullptr) : Value(std::string(RefundToName(out.refund_to))), actor,
         ToUnixMillis(now)}));
    for (size_t i = 0; i < out.lines.size(); ++i) {
      const CreditNoteLine& l = out.lines[i];
      MTL_RETURN_IF_ERROR(
          tx.Execute("INSERT INTO credit_note_lines (credit_note_id, position, invoice_line, description, quantity, "
                     "amount_minor) VALUES ($1, $2, $3, $4, $5, $6)",
                     {out.id, static_cast<int64_t>(i + 1), l.invoice_line ? Value(*l.invoice_line) : Value(nullptr),
                      l.description, l.quantity ? Value(*l.quantity) : Value(nullptr), l.amount_minor}));
    }
    MTL_RETURN_IF_ERROR(invoicing::InvoiceStore::ApplyCreditNote(tx, invoice_id, invoice.status, out.pre_payment_minor,
                                                                 out.post_payment_minor, now));
    if (out.refund_to == RefundTo::kCreditBalance) {
      MTL_ASSIGN_OR_RETURN(auto grant, credits::CreditLedger::AddGrant(tx,
                                                                       {.customer_id = out.customer_id,
                                                                        .currency = out.currency,
                                                                        .kind = credits::GrantKind::kCreditNote,
                                                                        .amount_minor = out.post_payment_minor,
                                                                        .credit_note_id = out.id,
                                                                        .description = "Credit note " + out.number,
                                                                        .actor = actor},
                                                                       now));
      out.credit_grant_id = grant.id;
    } else if (out.refund_to == RefundTo::kStripeRefund) {
      MTL_RETURN_IF_ERROR(invoicing::InvoiceStore::RecordRefund(
          tx, invoice_id, invoice.amount_refunded_minor + out.post_payment_minor, now));
    }
    MTL_RETURN_IF_ERROR(outbox::StripeOutbox::Enqueue(tx, "sync_credit_note", {out.id}, now));
    boost::json::object data{{"credit_note_id", out.id},
                             {"number", out.number},
                             {"invoice_id", invoice_id},
                             {"total_minor", out.total_minor},
                             {"currency", out.currency},
                             {"reason", ReasonName(out.reason)},
                             {"refund_to", RefundToName(out.refund_to)}};
    MTL_RETURN_IF_ERROR(audit::Record(tx, clock_, {actor, "credit_note.create", out.customer_id, data, {}}));
    return outbox::Publish(tx, {"credit_note.created", out.customer_id, std::move(data), now});
  }));
  return out;
}

}  // namespace meterline::credit_notes
