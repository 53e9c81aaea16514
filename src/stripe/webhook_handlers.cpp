#include "stripe/webhook_handlers.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <set>

#include "audit/audit_log.hpp"
#include "core/checked_math.hpp"
#include "core/ids.hpp"
#include "customers/customer_store.hpp"
#include "dunning/campaign_store.hpp"
#include "invoicing/invoice.hpp"
#include "invoicing/invoice_store.hpp"
#include "money/decimal.hpp"
#include "money/money.hpp"
#include "outbox/events.hpp"
#include "stripe/invoice_lines.hpp"
#include "stripe/json_fields.hpp"

namespace meterline::stripe {

namespace json = boost::json;

namespace {

const std::set<std::string> kInvoiceEvents = {
    "invoice.created", "invoice.finalized", "invoice.payment_succeeded",   "invoice.payment_failed",
    "invoice.paid",    "invoice.voided",    "invoice.marked_uncollectible"};
const std::set<std::string> kSubscriptionEvents = {"customer.subscription.updated", "customer.subscription.deleted",
                                                   "customer.subscription.trial_will_end"};

std::string Upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

// A time Stripe sends in unix seconds; nullopt when absent.
std::optional<TimePoint> TimeField(const json::object* o, const char* key) {
  if (o == nullptr) return std::nullopt;
  auto v = IntField(*o, key);
  return v ? std::optional<TimePoint>(FromUnixMillis(*v * 1000)) : std::nullopt;
}

// The same as a column value: milliseconds, or NULL.
storage::Value MillisOrNull(const json::object* o, const char* key) {
  auto at = TimeField(o, key);
  return at ? storage::Value(ToUnixMillis(*at)) : storage::Value(nullptr);
}

ApplyStep Ignore(std::string why) {
  return [why = std::move(why)](storage::Transaction&) -> Result<Outcome> { return Ignored(why); };
}

// Our subscription statuses for Stripe's; nullopt: no equivalent (incomplete, paused).
std::optional<std::string> OurSubscriptionStatus(const std::string& stripe_status) {
  if (stripe_status == "trialing" || stripe_status == "active" || stripe_status == "past_due" ||
      stripe_status == "canceled") {
    return stripe_status;
  }
  if (stripe_status == "unpaid") return "past_due";
  if (stripe_status == "incomplete_expired") return "canceled";
  return std::nullopt;
}

// An invoice created in Stripe that we do not have: ours is made from it, its
// lines as adjustment lines (quantity 1, so the unit price is exact), plus one
// line for whatever makes subtotal + tax = total hold (discounts).
Result<Outcome> CreateFromStripe(storage::Transaction& tx, const Clock& clock, const json::object& inv,
                                 const std::vector<json::object>& lines, const std::string& customer_id,
                                 int64_t event_created) {
  auto status = invoicing::ParseStatus(TextField(inv, "status"));
  if (!status) return Ignored("Stripe invoice status " + TextField(inv, "status") + " is unknown");
  std::string currency = Upper(TextField(inv, "currency"));
  auto unit = money::FindCurrency(currency);
  if (!unit) return Ignored("currency " + currency + " is not supported");
  int64_t total = IntField(inv, "total").value_or(0);
  int64_t tax = 0;
  if (const auto* taxes = inv.if_contains("total_taxes"); taxes && taxes->is_array()) {
    for (const auto& t : taxes->as_array()) {
      if (t.is_object()) MTL_RETURN_IF_ERROR(AddChecked(tax, IntField(t.as_object(), "amount").value_or(0), "the tax"));
    }
  }
  std::string id = NewId("inv");
  int64_t now = ToUnixMillis(clock.Now());
  int64_t created = IntField(inv, "created").value_or(now / 1000) * 1000;
  const json::object* transitions = ObjectField(inv, "status_transitions");
  std::vector<std::tuple<std::string, int64_t>> ours;
  int64_t subtotal = 0;
  for (const auto& line : lines) {
    std::string description = TextField(line, "description");
    ours.emplace_back(description.empty() ? "Stripe line" : description, IntField(line, "amount").value_or(0));
    MTL_RETURN_IF_ERROR(AddChecked(subtotal, std::get<1>(ours.back()), "the subtotal"));
  }
  // Stripe's amounts, checked: what does not add up is a line of its own.
  auto with_tax = TryAdd(subtotal, tax);
  auto rest = with_tax ? TrySub(total, *with_tax) : std::nullopt;
  auto before_tax = TrySub(total, tax);
  if (!rest || !before_tax) return OverflowError("the amounts of Stripe invoice " + TextField(inv, "id"));
  if (*rest != 0) {
    ours.emplace_back("Discounts and adjustments (Stripe)", *rest);
    subtotal = *before_tax;
  }
  invoicing::NewInvoice invoice{
      .id = id,
      .number = TextField(inv, "number"),
      .customer_id = customer_id,
      .period = {FromUnixMillis(IntField(inv, "period_start").value_or(created / 1000) * 1000),
                 FromUnixMillis(IntField(inv, "period_end").value_or(created / 1000) * 1000)},
      .status = *status,
      .currency = currency,
      .subtotal_minor = subtotal,
      .tax_minor = tax,
      .total_minor = total,
      .amount_due_minor = IntField(inv, "amount_due").value_or(0),
      .amount_paid_minor = IntField(inv, "amount_paid").value_or(0),
      .due_at = TimeField(&inv, "due_date"),
      .stripe_invoice_id = TextField(inv, "id"),
      .stripe_event_created = event_created,
      .created_at = FromUnixMillis(created),
      .updated_at = FromUnixMillis(now),
      .finalized_at = TimeField(transitions, "finalized_at"),
      .paid_at = TimeField(transitions, "paid_at"),
      .voided_at = TimeField(transitions, "voided_at"),
  };
  for (const auto& [description, amount] : ours) {
    invoice.lines.push_back(
        {"adjustment", "", description, 1, money::Decimal(amount, unit->exponent).ToString(), amount});
  }
  MTL_RETURN_IF_ERROR(invoicing::InvoiceStore::Insert(tx, invoice));
  MTL_RETURN_IF_ERROR(audit::Record(tx, clock,
                                    {"stripe",
                                     "invoice.imported_from_stripe",
                                     customer_id,
                                     {{"invoice_id", id}, {"stripe_invoice_id", TextField(inv, "id")}},
                                     {}}));
  return Applied("created " + id + " from " + TextField(inv, "id"));
}

}  // namespace

Result<std::string> ApplyStripeInvoiceStatus(storage::Transaction& tx, const Clock& clock,
                                             const invoicing::InvoiceRef& ref, const json::object& inv,
                                             int64_t event_created, json::object context) {
  TimePoint now = clock.Now();
  const std::string& id = ref.id;
  std::string status = invoicing::StatusName(ref.status);
  invoicing::InvoiceStatus from = ref.status;
  auto to = invoicing::ParseStatus(TextField(inv, "status"));
  int64_t paid = IntField(inv, "amount_paid").value_or(0);
  const json::object* transitions = ObjectField(inv, "status_transitions");
  if (to && from != *to && invoicing::CanTransition(from, *to)) {
    std::string next = invoicing::StatusName(*to);
    MTL_RETURN_IF_ERROR(
        invoicing::InvoiceStore::ApplyTransition(tx, {.invoice_id = id,
                                                      .from = from,
                                                      .to = *to,
                                                      .at = now,
                                                      .source = invoicing::TransitionSource::kStripe,
                                                      .stripe_amount_paid = paid,
                                                      .stripe_number = TextField(inv, "number"),
                                                      .stripe_finalized_at = TimeField(transitions, "finalized_at"),
                                                      .stripe_paid_at = TimeField(transitions, "paid_at"),
                                                      .stripe_voided_at = TimeField(transitions, "voided_at"),
                                                      .stripe_event_created = event_created}));
    context["invoice_id"] = id;
    context["from"] = status;
    context["to"] = next;
    MTL_RETURN_IF_ERROR(
        audit::Record(tx, clock, {"stripe", "invoice.updated_from_stripe", ref.customer_id, std::move(context), {}}));
    return status + " -> " + next;
  }
  if (to && from == *to && paid > ref.amount_paid_minor) {
    // A partial payment on an open invoice: the amount only grows.
    MTL_RETURN_IF_ERROR(invoicing::InvoiceStore::RecordPartialPayment(tx, id, paid, now));
    return "amount paid " + std::to_string(paid);
  }
  if (to && from != *to) return "kept " + status + " (Stripe says " + TextField(inv, "status") + ", an earlier state)";
  return std::string();
}

std::string Outcome::Text() const { return (kind == OutcomeKind::kApplied ? "applied: " : "ignored: ") + detail; }

Outcome Applied(std::string detail) { return {OutcomeKind::kApplied, std::move(detail)}; }
Outcome Ignored(std::string detail) { return {OutcomeKind::kIgnored, std::move(detail)}; }

Result<StripeEvent> ParseStripeEvent(std::string_view payload) {
  boost::system::error_code ec;
  json::value doc = json::parse(payload, ec);
  if (ec || !doc.is_object()) return InvalidArgument("the event is not a JSON object");
  const json::object& o = doc.as_object();
  StripeEvent event{TextField(o, "id"), TextField(o, "type"), IntField(o, "created").value_or(0), {}};
  if (event.id.empty() || event.type.empty()) return InvalidArgument("the event has no id or type");
  if (const auto* data = ObjectField(o, "data")) {
    if (const auto* object = ObjectField(*data, "object")) event.object = *object;
  }
  return event;
}

bool WebhookHandlers::Handles(const std::string& type) {
  return kInvoiceEvents.count(type) || kSubscriptionEvents.count(type) || type == "charge.refunded" ||
         type == "customer.updated";
}

Result<ApplyStep> WebhookHandlers::Prepare(const StripeEvent& event) {
  if (kInvoiceEvents.count(event.type)) return PrepareInvoice(event);
  if (kSubscriptionEvents.count(event.type)) return PrepareSubscription(event);
  if (event.type == "charge.refunded") return PrepareRefund(event);
  if (event.type == "customer.updated") return PrepareCustomer(event);
  return Ignore("unhandled event type");
}

Result<ApplyStep> WebhookHandlers::PrepareCustomer(const StripeEvent& event) {
  std::string stripe_id = TextField(event.object, "id");
  if (stripe_id.empty()) return Ignore("the event names no customer");
  auto fetched = stripe_.Get("customers/" + stripe_id);
  if (!fetched.ok()) {
    if (fetched.error().code == ErrorCode::kNotFound) return Ignore("Stripe no longer has " + stripe_id);
    return std::move(fetched).error();
  }
  // invoice_settings.default_payment_method: an id, or the object when expanded.
  std::string method;
  if (const auto* settings = ObjectField(*fetched, "invoice_settings")) {
    method = TextField(*settings, "default_payment_method");
    if (const auto* expanded = ObjectField(*settings, "default_payment_method")) method = TextField(*expanded, "id");
  }
  return ApplyStep([this, event, stripe_id, method](storage::Transaction& tx) -> Result<Outcome> {
    MTL_ASSIGN_OR_RETURN(auto customer_id, customers::CustomerStore::ForStripeCustomer(tx, stripe_id));
    if (customer_id.empty()) return Ignored("the customer is not linked to Meterline");
    storage::Value value = method.empty() ? storage::Value(nullptr) : storage::Value(method);
    MTL_ASSIGN_OR_RETURN(auto changed, tx.Execute("UPDATE customers SET default_payment_method = $2 WHERE id = $1 AND "
                                                  "COALESCE(default_payment_method, '') <> $3",
                                                  {customer_id, value, method}));
    if (changed.affected_rows == 0) return Ignored("the default payment method of " + customer_id + " is unchanged");
    MTL_RETURN_IF_ERROR(audit::Record(tx, clock_,
                                      {"stripe",
                                       "customer.payment_method_from_stripe",
                                       customer_id,
                                       {{"event_id", event.id}, {"on_file", !method.empty()}},
                                       {}}));
    return Applied(customer_id + (method.empty() ? " has no default payment method" : " has a default payment method"));
  });
}

Result<ApplyStep> WebhookHandlers::PrepareInvoice(const StripeEvent& event) {
  std::string stripe_id = TextField(event.object, "id");
  if (stripe_id.empty()) return Ignore("the event names no invoice");
  auto fetched = stripe_.Get("invoices/" + stripe_id);
  if (!fetched.ok()) {
    if (fetched.error().code == ErrorCode::kNotFound) return Ignore("Stripe no longer has " + stripe_id);
    return std::move(fetched).error();
  }
  json::object inv = std::move(*fetched);
  // All its lines (needed only when we create ours from it).
  auto lines = InvoiceLines(stripe_, inv);
  if (!lines.ok()) return std::move(lines).error();

  return ApplyStep([this, event, inv = std::move(inv), lines = std::move(*lines),
                    stripe_id](storage::Transaction& tx) -> Result<Outcome> {
    TimePoint now = clock_.Now();
    auto found = invoicing::InvoiceStore::FindByStripeId(tx, stripe_id);
    if (!found.ok()) return std::move(found).error();
    if (!*found) {
      // Ours, pushed before we stored Stripe's id (or a crash in between)?
      std::string ours = MetadataField(inv, "meterline_invoice_id");
      auto customer = customers::CustomerStore::ForStripeCustomer(tx, TextField(inv, "customer"));
      if (!customer.ok()) return std::move(customer).error();
      if (customer->empty()) return Ignored("the invoice's customer is not linked to Meterline");
      if (ours.empty()) return CreateFromStripe(tx, clock_, inv, lines, *customer, event.created);
      // Metadata is editable in Stripe's dashboard: link only an invoice of
      // the same customer (the sync links the customer before the invoice).
      MTL_ASSIGN_OR_RETURN(auto linked, invoicing::InvoiceStore::LinkStripe(tx, ours, stripe_id, *customer, now));
      if (!linked) return Ignored("metadata names " + ours + ", which is not ours to link");
      found = invoicing::InvoiceStore::FindByStripeId(tx, stripe_id);
      if (!found.ok()) return std::move(found).error();
      if (!*found) return Conflict("invoice " + ours + " changed meanwhile");
    }
    const invoicing::InvoiceRef& ref = **found;
    const std::string& id = ref.id;
    const std::string& customer_id = ref.customer_id;
    MTL_RETURN_IF_ERROR(invoicing::InvoiceStore::SetHostedUrl(tx, id, TextField(inv, "hosted_invoice_url")));
    std::string status = invoicing::StatusName(ref.status);
    std::vector<std::string> done;

    if (event.type == "invoice.payment_failed") {
      MTL_RETURN_IF_ERROR(invoicing::InvoiceStore::CountFailedPayment(tx, id, now));
      MTL_RETURN_IF_ERROR(outbox::Publish(tx, {"invoice.payment_failed",
                                               customer_id,
                                               {{"invoice_id", id},
                                                {"stripe_invoice_id", stripe_id},
                                                {"attempt_count", IntField(inv, "attempt_count").value_or(0)}},
                                               now}));
      done.emplace_back("payment failure counted");
      MTL_ASSIGN_OR_RETURN(auto started, dunning::CampaignStore::Start(tx, clock_, id, dunning_));
      if (started) done.emplace_back("dunning started");
    }

    MTL_ASSIGN_OR_RETURN(auto synced,
                         ApplyStripeInvoiceStatus(tx, clock_, ref, inv, event.created, {{"event_id", event.id}}));
    if (!synced.empty()) done.push_back(synced);
    // However it got paid (or voided), a dunning campaign on it ends.
    MTL_ASSIGN_OR_RETURN(auto settled, dunning::CampaignStore::Settle(tx, clock_, id));
    if (settled > 0) done.emplace_back("dunning ended");
    if (done.empty()) return Ignored("invoice " + id + " already " + status);
    std::string detail = "invoice " + id;
    for (const auto& d : done) detail += ", " + d;
    return Applied(detail);
  });
}

Result<ApplyStep> WebhookHandlers::PrepareRefund(const StripeEvent& event) {
  std::string charge_id = TextField(event.object, "id");
  if (charge_id.empty()) return Ignore("the event names no charge");
  auto charge = stripe_.Get("charges/" + charge_id);
  if (!charge.ok()) {
    if (charge.error().code == ErrorCode::kNotFound) return Ignore("Stripe no longer has " + charge_id);
    return std::move(charge).error();
  }
  // Since 2025-03-31 a charge does not name its invoice: the invoice payment
  // of its PaymentIntent does.
  std::string stripe_invoice;
  std::string intent = TextField(*charge, "payment_intent");
  if (!intent.empty()) {
    MTL_ASSIGN_OR_RETURN(auto payments, stripe_.Get("invoice_payments", {{"payment[type]", "payment_intent"},
                                                                         {"payment[payment_intent]", intent}}));
    if (const auto* data = payments.if_contains("data"); data && data->is_array()) {
      for (const auto& p : data->as_array()) {
        if (p.is_object() && stripe_invoice.empty()) stripe_invoice = TextField(p.as_object(), "invoice");
      }
    }
  }
  int64_t refunded = IntField(*charge, "amount_refunded").value_or(0);
  std::string stripe_customer = TextField(*charge, "customer");
  return ApplyStep(
      [this, event, charge_id, stripe_invoice, refunded, stripe_customer](storage::Transaction& tx) -> Result<Outcome> {
        std::string invoice_id, customer_id;
        if (!stripe_invoice.empty()) {
          MTL_ASSIGN_OR_RETURN(auto found, invoicing::InvoiceStore::FindByStripeId(tx, stripe_invoice));
          if (found) {
            invoice_id = found->id;
            customer_id = found->customer_id;
          }
        }
        if (customer_id.empty()) {
          MTL_ASSIGN_OR_RETURN(auto customer, customers::CustomerStore::ForStripeCustomer(tx, stripe_customer));
          customer_id = customer;
        }
        if (customer_id.empty()) return Ignored("the charge's customer is not linked to Meterline");
        if (!invoice_id.empty()) {
          // The refunded total only grows, whatever order the events come in.
          MTL_RETURN_IF_ERROR(invoicing::InvoiceStore::RecordRefund(tx, invoice_id, refunded, clock_.Now()));
        }
        json::object data = {{"charge_id", charge_id}, {"event_id", event.id}, {"amount_refunded", refunded}};
        data["invoice_id"] = invoice_id.empty() ? json::value(nullptr) : json::value(invoice_id);
        MTL_RETURN_IF_ERROR(audit::Record(tx, clock_, {"stripe", "charge.refunded", customer_id, data, {}}));
        return Applied("refund of " + charge_id + " recorded" + (invoice_id.empty() ? "" : " on " + invoice_id));
      });
}

Result<ApplyStep> WebhookHandlers::PrepareSubscription(const StripeEvent& event) {
  std::string stripe_id = TextField(event.object, "id");
  if (stripe_id.empty()) return Ignore("the event names no subscription");
  auto fetched = stripe_.Get("subscriptions/" + stripe_id);
  if (!fetched.ok()) {
    if (fetched.error().code == ErrorCode::kNotFound) return Ignore("Stripe no longer has " + stripe_id);
    return std::move(fetched).error();
  }
  return ApplyStep([this, event, sub = std::move(*fetched), stripe_id](storage::Transaction& tx) -> Result<Outcome> {
    int64_t now = ToUnixMillis(clock_.Now());
    const char* kSelect =
        "SELECT id, customer_id, status, stripe_status_at, trial_start FROM subscriptions WHERE "
        "stripe_subscription_id = $1";
    auto found = tx.Execute(kSelect, {stripe_id});
    if (!found.ok()) return std::move(found).error();
    if (found->rows.empty()) {
      // Link it: by our id in its metadata, else the one subscription of its customer.
      std::string ours = MetadataField(sub, "meterline_subscription_id");
      auto customer = customers::CustomerStore::ForStripeCustomer(tx, TextField(sub, "customer"));
      if (!customer.ok()) return std::move(customer).error();
      // Metadata is editable in Stripe's dashboard: link only a subscription of
      // the customer the Stripe customer is linked to (the first invoice sync
      // links it; events before that are ignored, and the next one after it
      // re-fetches the current state).
      if (customer->empty()) return Ignored("the subscription's customer is not linked to Meterline");
      if (ours.empty()) {
        MTL_ASSIGN_OR_RETURN(auto by_customer,
                             tx.Execute("SELECT id FROM subscriptions WHERE customer_id = $1", {*customer}));
        if (by_customer.rows.empty()) return Ignored("customer " + *customer + " has no subscription");
        ours = by_customer.rows[0].Text(0);
      }
      auto linked = tx.Execute(
          "UPDATE subscriptions SET stripe_subscription_id = $2, updated_at = $3 "
          "WHERE id = $1 AND stripe_subscription_id IS NULL AND customer_id = $4",
          {ours, stripe_id, now, *customer});
      if (!linked.ok()) return std::move(linked).error();
      if (linked->affected_rows != 1) {
        return Ignored("subscription " + ours + " is linked to another or is not this customer's");
      }
      found = tx.Execute(kSelect, {stripe_id});
      if (!found.ok()) return std::move(found).error();
    }
    const storage::Row& row = found->rows.at(0);
    std::string id = row.Text(0), customer_id = row.Text(1), status = row.Text(2);
    storage::Value trial_end = MillisOrNull(&sub, "trial_end");
    // A trial of our own (trial_start set) keeps its end: Stripe's does not move it.
    bool ours_trial = row.OptInt(4).has_value();

    if (event.type == "customer.subscription.trial_will_end") {
      if (ours_trial) return Ignored("Meterline runs the trial of " + id + " and sends its own notice");
      MTL_RETURN_IF_ERROR(
          tx.Execute("UPDATE subscriptions SET trial_end = $2, updated_at = $3 WHERE id = $1", {id, trial_end, now}));
      json::object payload = {{"subscription_id", id}, {"stripe_subscription_id", stripe_id}};
      auto end = IntField(sub, "trial_end");
      payload["trial_end"] = end ? json::value(FormatIso8601(FromUnixMillis(*end * 1000))) : json::value(nullptr);
      MTL_RETURN_IF_ERROR(
          outbox::Publish(tx, {"subscription.trial_will_end", customer_id, std::move(payload), FromUnixMillis(now)}));
      return Applied("trial end notice queued for " + id);
    }

    if (status == "canceled") return Ignored("subscription " + id + " is canceled, which is final");
    if (auto last = row.OptInt(3); last && *last > event.created) {
      return Ignored("a newer event was applied to " + id);
    }
    std::string theirs = TextField(sub, "status");
    auto next = event.type == "customer.subscription.deleted" ? std::optional<std::string>("canceled")
                                                              : OurSubscriptionStatus(theirs);
    if (!next) return Ignored("Stripe status " + theirs + " has no Meterline equivalent");
    storage::Value canceled_at = MillisOrNull(&sub, "canceled_at");
    if (*next == "canceled" && std::holds_alternative<std::nullptr_t>(canceled_at)) canceled_at = now;
    MTL_ASSIGN_OR_RETURN(auto updated,
                         tx.Execute("UPDATE subscriptions SET status = $2, "
                                    "trial_end = CASE WHEN trial_start IS NULL THEN $3 ELSE trial_end END, "
                                    "canceled_at = CASE WHEN $2 = 'canceled' THEN COALESCE(canceled_at, CAST($4 AS "
                                    "BIGINT)) ELSE canceled_at END, "
                                    "stripe_status_at = $5, updated_at = $6 WHERE id = $1 AND status <> 'canceled'",
                                    {id, *next, trial_end, canceled_at, event.created, now}));
    if (updated.affected_rows != 1) return Conflict("subscription " + id + " changed meanwhile");
    if (*next != status) {
      MTL_RETURN_IF_ERROR(
          audit::Record(tx, clock_,
                        {"stripe",
                         "subscription.updated_from_stripe",
                         customer_id,
                         {{"subscription_id", id}, {"event_id", event.id}, {"from", status}, {"to", *next}},
                         {}}));
    }
    return Applied("subscription " + id + " " + status + " -> " + *next);
  });
}

}  // namespace meterline::stripe
