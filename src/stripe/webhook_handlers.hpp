// WebhookHandlers: what a Stripe event changes in our data.
//
// An event is a hint, not the truth: each handler re-fetches the current
// object from Stripe (invoice, charge, subscription) and applies that, so
// events may arrive late, twice or out of order. Handling has two phases:
//   Prepare  — the Stripe calls, outside any transaction; fails → retried;
//   Apply    — our changes, inside the transaction that also marks the event
//              processed, so they happen exactly once.
// Order safety: invoice statuses only move forward (draft → open → paid |
// void | uncollectible, invoicing::CanTransition); subscription changes
// apply only when the event is not older (`created`) than the last one
// applied (stripe_status_at), and canceled is final. An invoice we do not
// know yet is linked by metadata[meterline_invoice_id] or, when its customer
// is ours, created from Stripe's object.
//
// Handled: invoice.created, invoice.finalized, invoice.payment_succeeded,
// invoice.payment_failed, invoice.paid, invoice.voided,
// invoice.marked_uncollectible, charge.refunded,
// customer.subscription.updated, customer.subscription.deleted,
// customer.subscription.trial_will_end, customer.updated (the customer's
// default payment method, which a trial's end may require). Anything else:
// ignored. A failed payment starts the invoice's dunning campaign; a paid or
// voided invoice ends it (dunning/campaign_store.hpp).
#pragma once

#include <boost/json/object.hpp>

#include <functional>
#include <string>
#include <utility>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "dunning/policy.hpp"
#include "invoicing/invoice_store.hpp"
#include "storage/database.hpp"
#include "stripe/client.hpp"

namespace meterline::stripe {

struct StripeEvent {
  std::string id;              // "evt_…"
  std::string type;            // "invoice.paid"
  int64_t created = 0;         // seconds since the epoch
  boost::json::object object;  // data.object as sent (a hint)
};

// Parses a recorded payload. kInvalidArgument when it is not an event.
Result<StripeEvent> ParseStripeEvent(std::string_view payload);

// What handling an event did: a change, or nothing and why.
enum class OutcomeKind { kApplied, kIgnored };
struct Outcome {
  OutcomeKind kind = OutcomeKind::kIgnored;
  std::string detail;  // "invoice inv_… open -> paid", "the event names no invoice"
  // As stored and shown to admins: "applied: …" or "ignored: …".
  std::string Text() const;
};
Outcome Applied(std::string detail);
Outcome Ignored(std::string detail);

// Brings our invoice `ref` to the status of Stripe's invoice object `inv` when
// the lifecycle allows (a partial payment only raises the amount paid);
// audited as invoice.updated_from_stripe with `context` added. Returns what
// it did ("open -> paid"), "" for nothing. Webhooks and dunning's retries.
Result<std::string> ApplyStripeInvoiceStatus(storage::Transaction& tx, const Clock& clock,
                                             const invoicing::InvoiceRef& ref, const boost::json::object& inv,
                                             int64_t event_created, boost::json::object context);

// The transactional half of handling one event.
using ApplyStep = std::function<Result<Outcome>(storage::Transaction&)>;

class WebhookHandlers {
 public:
  // `dunning`: how a failed payment's campaign runs (dunning/policy.hpp).
  WebhookHandlers(storage::Database& db, StripeClient& stripe, const Clock& clock, dunning::DunningPolicy dunning = {})
      : db_(db), stripe_(stripe), clock_(clock), dunning_(std::move(dunning)) {}

  static bool Handles(const std::string& type);

  // Fetches what the event is about from Stripe and returns the step that
  // applies it. An object Stripe no longer has yields an "ignored" step.
  Result<ApplyStep> Prepare(const StripeEvent& event);

 private:
  Result<ApplyStep> PrepareInvoice(const StripeEvent& event);
  Result<ApplyStep> PrepareRefund(const StripeEvent& event);
  Result<ApplyStep> PrepareSubscription(const StripeEvent& event);
  Result<ApplyStep> PrepareCustomer(const StripeEvent& event);

  storage::Database& db_;
  StripeClient& stripe_;
  const Clock& clock_;
  dunning::DunningPolicy dunning_;
};

}  // namespace meterline::stripe
