// InvoiceSync: our finalized invoices mirrored to Stripe through an outbox
// (the spec's createStripeInvoice / syncInvoiceFromStripe).
//
// Finalizing an invoice queues a 'sync_invoice' row in stripe_outbox in the
// same transaction. The worker (inside billingd serve, or 'billingd stripe
// sync') claims due rows and runs, for each invoice, steps that are each safe
// to repeat:
//   1. the Stripe customer: ours has its id, or it is created with the key
//      "customer-<cus id>" and the id is stored;
//   2. the Stripe invoice: stored id, else one found on the customer by
//      metadata[meterline_invoice_id], else created (draft, auto_advance=false,
//      collection_method=send_invoice) with the key "invoice-<inv id>";
//   3. one invoice item per line of ours not yet on it (matched by
//      metadata[meterline_line]), POST /v1/invoiceitems with invoice=in_…,
//      key "invoiceitem-<inv id>-<position>"; tax is a line of its own;
//   4. finalize it if it is still a draft (key "finalize-<inv id>").
// Voiding one of ours queues 'void_invoice', which voids Stripe's copy.
// Prepaid credits applied to an invoice go on the Stripe customer's balance
// right before step 4 (key "credits-<inv id>"), so Stripe applies them too.
// A credit note queues 'sync_credit_note': POST /v1/credit_notes on the
// pushed invoice for its total (key "credit-note-<cn id>"), its part after
// payment as refund_amount (a Stripe refund) or out_of_band_amount (our
// credit balance).
// A crash anywhere leaves a row that is retried; every repeated request is
// either skipped (state already stored or found at Stripe) or replayed by
// Stripe from its idempotency key, so there is one Stripe invoice per invoice.
// Failures back off (30 s doubling to 1 h) and after 10 attempts the row is
// 'dead' for an admin to look at. Thread-safe.
#pragma once

#include <chrono>
#include <string>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "customers/customer_store.hpp"
#include "outbox/stripe_outbox.hpp"
#include "storage/database.hpp"
#include "stripe/client.hpp"

namespace meterline::stripe {

struct OutboxRun {
  int64_t done = 0;
  int64_t failed = 0;  // retried later (or dead)
};

class InvoiceSync {
 public:
  InvoiceSync(storage::Database& db, StripeClient& stripe, const Clock& clock)
      : db_(db), outbox_(db), customers_(db, clock), stripe_(stripe), clock_(clock) {}

  // Runs the four steps for one finalized invoice; returns the Stripe invoice id.
  Result<std::string> PushInvoice(const std::string& invoice_id);

  // Voids the Stripe copy of an invoice we voided (pushing it first if it is
  // not there yet; key "void-<inv id>"); a Stripe invoice already void is
  // left as it is. Returns the Stripe invoice id.
  Result<std::string> VoidInvoice(const std::string& invoice_id);

  // Creates the Stripe credit note of one of ours (pushing its invoice first
  // if needed); returns its Stripe id.
  Result<std::string> PushCreditNote(const std::string& credit_note_id);

  // Claims up to `limit` due outbox rows of each operation (rows another
  // worker holds are skipped) and runs each: pushes ('sync_invoice'), then
  // voids ('void_invoice'); failures are recorded on the row.
  Result<OutboxRun> RunOutbox(int limit = 50);

  // syncInvoiceFromStripe: fetches the Stripe invoice and applies its status,
  // amount paid and paid time when that moves ours forward in the lifecycle.
  // Returns our invoice's status afterwards.
  Result<std::string> PullInvoice(const std::string& invoice_id);

  // The Stripe customer of our customer: linked already, found by our id in
  // its metadata, or created (key "customer-<id>") and linked. Returns its id.
  Result<std::string> EnsureCustomer(const std::string& customer_id);

 private:
  // The Stripe customer whose metadata names `customer_id` ("" if none), via
  // GET /v1/customers/search: a push that created it and crashed before we
  // stored its id is found even after the idempotency key expired (24 h).
  // Search lags writes by up to a minute, which the key covers.
  Result<std::string> FindCustomer(const std::string& customer_id);

  storage::Database& db_;
  outbox::StripeOutbox outbox_;
  customers::CustomerStore customers_;
  StripeClient& stripe_;
  const Clock& clock_;
};

}  // namespace meterline::stripe
