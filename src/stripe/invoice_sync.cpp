#include "stripe/invoice_sync.hpp"

#include <algorithm>
#include <cstdint>
#include <set>

#include "audit/audit_log.hpp"
#include "core/log.hpp"
#include "credit_notes/credit_note_service.hpp"
#include "invoicing/invoice.hpp"
#include "invoicing/invoice_store.hpp"
#include "stripe/invoice_lines.hpp"
#include "stripe/json_fields.hpp"
#include "stripe/retry_schedule.hpp"

namespace meterline::stripe {

namespace {

constexpr auto kClaim = std::chrono::minutes(5);
constexpr const char* kSyncInvoice = "sync_invoice";
constexpr const char* kVoidInvoice = "void_invoice";
constexpr const char* kSyncCreditNote = "sync_credit_note";
// Tax is sent as a line of its own, after ours (positions start at 1).
constexpr int64_t kTaxPosition = 10'000;

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

Result<std::string> InvoiceSync::FindCustomer(const std::string& customer_id) {
  // Our ids are [A-Za-z0-9_]; anything else is not put into a search query.
  if (customer_id.empty() ||
      customer_id.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") !=
          std::string::npos) {
    return std::string();
  }
  auto found = stripe_.Get("customers/search",
                           {{"query", "metadata['meterline_customer_id']:'" + customer_id + "'"}, {"limit", "10"}});
  if (!found.ok()) {
    // Stripe down, rate limited, unreachable: retried later rather than guessed.
    // Refused (search is not offered in every account or country; Stripe's
    // answer for that is not documented): create, relying on the key as before.
    if (found.error().code == ErrorCode::kUnavailable) return std::move(found).error();
    log::Warn("Stripe customer search unavailable; creating the customer",
              {{"customer_id", customer_id}, {"error", found.error().message}});
    return std::string();
  }
  const auto* data = found->if_contains("data");
  if (data == nullptr || !data->is_array()) return std::string();
  // The oldest, should there ever be two.
  std::string id;
  int64_t created = INT64_MAX;
  for (const auto& v : data->as_array()) {
    if (!v.is_object() || MetadataField(v.as_object(), "meterline_customer_id") != customer_id) continue;
    int64_t at = IntField(v.as_object(), "created").value_or(0);
    if (at < created) {
      created = at;
      id = TextField(v.as_object(), "id");
    }
  }
  return id;
}

Result<std::string> InvoiceSync::EnsureCustomer(const std::string& customer_id) {
  MTL_ASSIGN_OR_RETURN(auto contact, customers_.StripeContactOf(customer_id));
  std::string stripe_customer = contact.stripe_customer_id;
  if (!stripe_customer.empty()) return stripe_customer;
  MTL_ASSIGN_OR_RETURN(auto existing, FindCustomer(customer_id));
  stripe_customer = existing;
  if (stripe_customer.empty()) {
    FormParams params = {{"name", contact.name}, {"metadata[meterline_customer_id]", customer_id}};
    if (!contact.email.empty()) params.emplace_back("email", contact.email);
    MTL_ASSIGN_OR_RETURN(auto created, stripe_.Post("customers", params, "customer-" + customer_id));
    stripe_customer = TextField(created, "id");
  }
  // Another push may have stored one first: every push uses that one.
  return customers_.LinkStripe(customer_id, stripe_customer);
}

Result<std::string> InvoiceSync::PushInvoice(const std::string& invoice_id) {
  auto invoice = invoicing::InvoiceStore::Load(db_, invoice_id);
  if (!invoice.ok()) return std::move(invoice).error();
  const std::string& customer_id = invoice->customer_id;
  if (invoice->status == invoicing::InvoiceStatus::kDraft) {
    return Error(ErrorCode::kConflict, "not_finalized", "invoice " + invoice_id + " is a draft");
  }
  std::string currency = Lower(invoice->currency);
  std::string stripe_invoice = invoice->stripe_invoice_id;
  TimePoint now = clock_.Now();

  // 1. The Stripe customer.
  MTL_ASSIGN_OR_RETURN(auto stripe_customer, EnsureCustomer(customer_id));

  // 2. The Stripe invoice: stored, found by our id in its metadata, or created.
  if (stripe_invoice.empty()) {
    // Newest first: ours is near the top; every page is read until found.
    std::string after;
    for (bool more = true; more && stripe_invoice.empty();) {
      FormParams query = {{"customer", stripe_customer}, {"limit", "100"}};
      if (!after.empty()) query.emplace_back("starting_after", after);
      MTL_ASSIGN_OR_RETURN(auto listed, stripe_.Get("invoices", query));
      const auto* data = listed.if_contains("data");
      if (data == nullptr || !data->is_array())
        return Error(ErrorCode::kUnavailable, "stripe_bad_response", "invoice list without data");
      for (const auto& v : data->as_array()) {
        if (!v.is_object()) continue;
        after = TextField(v.as_object(), "id");
        if (MetadataField(v.as_object(), "meterline_invoice_id") == invoice_id) stripe_invoice = after;
      }
      const auto* has_more = listed.if_contains("has_more");
      more = has_more != nullptr && has_more->is_bool() && has_more->as_bool() && !data->as_array().empty();
    }
    if (stripe_invoice.empty()) {
      int64_t days = 0;
      if (invoice->due_at && *invoice->due_at > now) {
        days = (ToUnixMillis(*invoice->due_at) - ToUnixMillis(now) + 86'399'999) / 86'400'000;
      }
      MTL_ASSIGN_OR_RETURN(auto created, stripe_.Post("invoices",
                                                      {{"customer", stripe_customer},
                                                       {"auto_advance", "false"},
                                                       {"collection_method", "send_invoice"},
                                                       {"days_until_due", std::to_string(days)},
                                                       {"currency", currency},
                                                       {"metadata[meterline_invoice_id]", invoice_id},
                                                       {"metadata[meterline_customer_id]", customer_id}},
                                                      "invoice-" + invoice_id));
      stripe_invoice = TextField(created, "id");
    }
    MTL_RETURN_IF_ERROR(invoicing::InvoiceStore::LinkStripe(db_, invoice_id, stripe_invoice, customer_id, now));
  }

  // 3. Our lines as invoice items on it, those not there yet.
  MTL_ASSIGN_OR_RETURN(auto current, stripe_.Get("invoices/" + stripe_invoice));
  MTL_ASSIGN_OR_RETURN(auto their_lines, InvoiceLines(stripe_, current));
  std::set<std::string> present;
  for (const auto& l : their_lines) present.insert(MetadataField(l, "meterline_line"));
  std::vector<std::tuple<int64_t, std::string, int64_t>> items;
  for (size_t i = 0; i < invoice->lines.size(); ++i) {
    items.emplace_back(static_cast<int64_t>(i) + 1, invoice->lines[i].description, invoice->lines[i].amount_minor);
  }
  if (invoice->tax_minor != 0) {
    items.emplace_back(kTaxPosition,
                       "Tax" + (invoice->tax_rate.empty() ? std::string() : " (" + invoice->tax_rate + ")"),
                       invoice->tax_minor);
  }
  bool draft = TextField(current, "status") == "draft";
  for (const auto& [position, description, amount] : items) {
    std::string line = std::to_string(position);
    if (present.count(line) || !draft) continue;
    MTL_RETURN_IF_ERROR(stripe_.Post("invoiceitems",
                                     {{"customer", stripe_customer},
                                      {"invoice", stripe_invoice},
                                      {"amount", std::to_string(amount)},
                                      {"currency", currency},
                                      {"description", description},
                                      {"metadata[meterline_invoice_id]", invoice_id},
                                      {"metadata[meterline_line]", line}},
                                     "invoiceitem-" + invoice_id + "-" + line));
  }

  // 4. Finalize; prepaid credits we applied go on the customer's balance
  //    just before, so that Stripe's finalization applies them to this invoice.
  if (draft && invoice->credits_applied_minor > 0) {
    MTL_RETURN_IF_ERROR(stripe_.Post("customers/" + stripe_customer + "/balance_transactions",
                                     {{"amount", std::to_string(-invoice->credits_applied_minor)},
                                      {"currency", currency},
                                      {"description", "Meterline prepaid credits for " + invoice->number},
                                      {"metadata[meterline_invoice_id]", invoice_id}},
                                     "credits-" + invoice_id));
  }
  // Its hosted payment page ("Pay now"), which Stripe gives once it is finalized.
  std::string hosted = TextField(current, "hosted_invoice_url");
  if (draft) {
    MTL_ASSIGN_OR_RETURN(auto finalized, stripe_.Post("invoices/" + stripe_invoice + "/finalize",
                                                      {{"auto_advance", "false"}}, "finalize-" + invoice_id));
    hosted = TextField(finalized, "hosted_invoice_url");
  }
  MTL_RETURN_IF_ERROR(invoicing::InvoiceStore::SetHostedUrl(db_, invoice_id, hosted));
  return stripe_invoice;
}

Result<std::string> InvoiceSync::VoidInvoice(const std::string& invoice_id) {
  // Pushed first if it is not in Stripe yet (a void queued right after
  // finalizing can run before the push): then there is one to void.
  MTL_ASSIGN_OR_RETURN(auto stripe_invoice, PushInvoice(invoice_id));
  MTL_ASSIGN_OR_RETURN(auto theirs, stripe_.Get("invoices/" + stripe_invoice));
  std::string status = TextField(theirs, "status");
  if (status == "void") return stripe_invoice;
  if (status != "open" && status != "uncollectible") {
    return Error(ErrorCode::kConflict, "stripe_state",
                 "Stripe invoice " + stripe_invoice + " is " + status + " and cannot be voided");
  }
  MTL_RETURN_IF_ERROR(stripe_.Post("invoices/" + stripe_invoice + "/void", {}, "void-" + invoice_id));
  return stripe_invoice;
}

Result<std::string> InvoiceSync::PushCreditNote(const std::string& credit_note_id) {
  MTL_ASSIGN_OR_RETURN(auto note, credit_notes::CreditNoteService::Load(db_, credit_note_id));
  if (!note.stripe_credit_note_id.empty()) return note.stripe_credit_note_id;
  MTL_ASSIGN_OR_RETURN(auto stripe_invoice, PushInvoice(note.invoice_id));
  // Made already (a crash before we stored its id)? Found by our id.
  std::string found;
  MTL_ASSIGN_OR_RETURN(auto listed, stripe_.Get("credit_notes", {{"invoice", stripe_invoice}, {"limit", "100"}}));
  if (const auto* data = listed.if_contains("data"); data != nullptr && data->is_array()) {
    for (const auto& v : data->as_array()) {
      if (v.is_object() && MetadataField(v.as_object(), "meterline_credit_note_id") == credit_note_id) {
        found = TextField(v.as_object(), "id");
      }
    }
  }
  if (found.empty()) {
    FormParams params = {{"invoice", stripe_invoice},
                         {"amount", std::to_string(note.total_minor)},
                         {"reason", credit_notes::ReasonName(note.reason)},
                         {"metadata[meterline_credit_note_id]", credit_note_id},
                         {"metadata[meterline_number]", note.number}};
    if (!note.memo.empty()) params.emplace_back("memo", note.memo);
    // The part after payment: refunded by Stripe, or credited by us (our
    // ledger applies it to later invoices, so for Stripe it is out of band).
    if (note.refund_to == credit_notes::RefundTo::kStripeRefund) {
      params.emplace_back("refund_amount", std::to_string(note.post_payment_minor));
    } else if (note.post_payment_minor > 0) {
      params.emplace_back("out_of_band_amount", std::to_string(note.post_payment_minor));
    }
    MTL_ASSIGN_OR_RETURN(auto created, stripe_.Post("credit_notes", params, "credit-note-" + credit_note_id));
    found = TextField(created, "id");
  }
  MTL_RETURN_IF_ERROR(credit_notes::CreditNoteService::LinkStripe(db_, credit_note_id, found));
  return found;
}

Result<OutboxRun> InvoiceSync::RunOutbox(int limit) {
  OutboxRun run;
  // Pushes first, then voids and credit notes (each pushes what it needs itself).
  for (const char* operation : {kSyncInvoice, kVoidInvoice, kSyncCreditNote}) {
    MTL_ASSIGN_OR_RETURN(auto claimed, outbox_.Claim(operation, clock_.Now(), kClaim, limit));
    for (const outbox::StripeWork& work : claimed) {
      auto done = operation == kSyncInvoice   ? PushInvoice(work.object_id)
                  : operation == kVoidInvoice ? VoidInvoice(work.object_id)
                                              : PushCreditNote(work.object_id);
      TimePoint at = clock_.Now();
      if (done.ok()) {
        ++run.done;
        MTL_RETURN_IF_ERROR(outbox_.Done(work, at));
        continue;
      }
      ++run.failed;
      int64_t attempts = work.attempts + 1;
      bool dead = attempts >= kMaxAttempts;
      log::Warn("stripe sync failed", {{"invoice_id", work.object_id},
                                       {"operation", operation},
                                       {"attempt", attempts},
                                       {"status", dead ? "dead" : "failed"},
                                       {"error", done.error().message.substr(0, 500)}});
      MTL_RETURN_IF_ERROR(
          outbox_.Failed(work, done.error().message, at + std::chrono::milliseconds(RetryDelayMs(attempts)), dead, at));
    }
  }
  return run;
}

Result<std::string> InvoiceSync::PullInvoice(const std::string& invoice_id) {
  auto invoice = invoicing::InvoiceStore::Load(db_, invoice_id);
  if (!invoice.ok()) return std::move(invoice).error();
  std::string ours = invoicing::StatusName(invoice->status);
  if (invoice->stripe_invoice_id.empty()) {
    return Error(ErrorCode::kConflict, "not_synced", "invoice " + invoice_id + " is not in Stripe yet");
  }
  MTL_ASSIGN_OR_RETURN(auto theirs, stripe_.Get("invoices/" + invoice->stripe_invoice_id));
  MTL_RETURN_IF_ERROR(invoicing::InvoiceStore::SetHostedUrl(db_, invoice_id, TextField(theirs, "hosted_invoice_url")));
  auto to = invoicing::ParseStatus(TextField(theirs, "status"));
  if (!to || invoice->status == *to || !invoicing::CanTransition(invoice->status, *to)) return ours;  // never backwards
  std::optional<TimePoint> paid_at;
  if (const auto* st = ObjectField(theirs, "status_transitions")) {
    if (auto at = IntField(*st, "paid_at")) paid_at = FromUnixMillis(*at * 1000);
  }
  std::string next = invoicing::StatusName(*to);
  MTL_RETURN_IF_ERROR(db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
    MTL_RETURN_IF_ERROR(
        invoicing::InvoiceStore::ApplyTransition(tx, {.invoice_id = invoice_id,
                                                      .from = invoice->status,
                                                      .to = *to,
                                                      .at = clock_.Now(),
                                                      .source = invoicing::TransitionSource::kStripe,
                                                      .stripe_amount_paid = IntField(theirs, "amount_paid").value_or(0),
                                                      .stripe_paid_at = paid_at}));
    return audit::Record(tx, clock_,
                         {"stripe",
                          "invoice.synced_from_stripe",
                          invoice->customer_id,
                          {{"invoice_id", invoice_id}, {"from", ours}, {"to", next}},
                          {}});
  }));
  return next;
}

}  // namespace meterline::stripe
