// CreditNoteService: issues credit notes on finalized invoices and reads them
// back. Issuing is one transaction: the note with its gap-free number
// (CN-YYYY-NNNNNN, its own counter per prefix and year), the invoice's amounts
// (InvoiceStore::ApplyCreditNote: less due, paid when nothing is left), the
// post-payment part as a prepaid credit grant or a refund recorded against
// the invoice, the Stripe work ('sync_credit_note'), the audit entry and the
// credit_note.created event. Credit notes on one invoice take turns (the
// invoice row is locked first), so two cannot together credit more than it
// holds. The one module that writes credit_notes. Thread-safe.
#pragma once

#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "credit_notes/credit_note.hpp"
#include "storage/database.hpp"

namespace meterline::credit_notes {

class CreditNoteService {
 public:
  CreditNoteService(storage::Database& db, const Clock& clock, std::string number_prefix = "CN");

  // Issues a credit note on `invoice_id` (ComposeCreditNote's rules).
  // kNotFound when the invoice is missing or, with a non-empty
  // `customer_scope`, another customer's; kConflict "not_in_stripe" for a
  // Stripe refund of an invoice that is not in Stripe.
  Result<CreditNote> Issue(const std::string& invoice_id, const std::string& customer_scope,
                           const CreditNoteRequest& request, const std::string& actor);

  // The invoice's credit notes, oldest first; kNotFound as Issue.
  Result<std::vector<CreditNote>> ForInvoice(const std::string& invoice_id, const std::string& customer_scope);
  // One credit note; kNotFound when missing or another customer's.
  Result<CreditNote> Get(const std::string& id, const std::string& customer_scope);

  // For the Stripe side.
  static Result<CreditNote> Load(storage::Executor& ex, const std::string& id);
  static Result<std::vector<CreditNote>> LoadForInvoice(storage::Executor& ex, const std::string& invoice_id);
  static Status LinkStripe(storage::Executor& ex, const std::string& id, const std::string& stripe_credit_note_id);

 private:
  storage::Database& db_;
  const Clock& clock_;
  std::string number_prefix_;
};

}  // namespace meterline::credit_notes
