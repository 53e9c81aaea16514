// Invoices: list with filters and pagination, one with its lines, its PDF.
// Members see their own customer's invoices only: another customer's id is a 404.
#include <boost/json/value.hpp>

#include "api/handlers.hpp"
#include "api/input.hpp"
#include "api/invoice_json.hpp"
#include "api/scope.hpp"
#include "customers/customer_store.hpp"
#include "dunning/campaign_store.hpp"
#include "invoicing/invoice_pdf_document.hpp"
#include "invoicing/invoice_service.hpp"
#include "money/money.hpp"

namespace meterline::api {

namespace {

namespace json = boost::json;

json::object InvoiceJson(const invoicing::Invoice& inv, bool with_lines) {
  json::object o;
  o["id"] = inv.id;
  o["number"] = inv.number.empty() ? json::value(nullptr) : json::value(inv.number);
  o["customer_id"] = inv.customer_id;
  o["subscription_id"] = inv.subscription_id.empty() ? json::value(nullptr) : json::value(inv.subscription_id);
  o["status"] = invoicing::StatusName(inv.status);
  o["period"] = {{"start", FormatIso8601(inv.period.start)}, {"end", FormatIso8601(inv.period.end)}};
  o["currency"] = inv.currency;
  o["subtotal"] = AmountJson(inv.subtotal_minor, inv.currency);
  o["tax_rate"] = inv.tax_rate.empty() ? json::value(nullptr) : json::value(inv.tax_rate);
  o["tax"] = AmountJson(inv.tax_minor, inv.currency);
  o["total"] = AmountJson(inv.total_minor, inv.currency);
  o["amount_due"] = AmountJson(inv.amount_due_minor, inv.currency);
  o["amount_paid"] = AmountJson(inv.amount_paid_minor, inv.currency);
  o["amount_refunded"] = AmountJson(inv.amount_refunded_minor, inv.currency);
  o["credits_applied"] = AmountJson(inv.credits_applied_minor, inv.currency);
  o["pre_payment_credit_notes"] = AmountJson(inv.pre_payment_credit_minor, inv.currency);
  o["post_payment_credit_notes"] = AmountJson(inv.post_payment_credit_minor, inv.currency);
  o["due_at"] = TimeOrNull(inv.due_at);
  o["stripe_invoice_id"] = inv.stripe_invoice_id.empty() ? json::value(nullptr) : json::value(inv.stripe_invoice_id);
  o["hosted_invoice_url"] = inv.hosted_invoice_url.empty() ? json::value(nullptr) : json::value(inv.hosted_invoice_url);
  o["created_at"] = FormatIso8601(inv.created_at);
  o["finalized_at"] = TimeOrNull(inv.finalized_at);
  o["paid_at"] = TimeOrNull(inv.paid_at);
  o["voided_at"] = TimeOrNull(inv.voided_at);
  if (with_lines) o["lines"] = LinesJson(inv.lines, inv.currency);
  return o;
}

// The customer whose invoices the caller may name: a member's own; an admin's
// choice (?customer_id=, else all).
Result<std::string> ScopeCustomer(const http::Request& request) {
  const Principal& caller = *request.principal;
  if (caller.role == Role::kAdmin) return request.QueryParam("customer_id").value_or("");
  if (caller.customer_id.empty()) return Error(ErrorCode::kPermissionDenied, "this key is not bound to a customer");
  return caller.customer_id;
}

Result<std::optional<TimePoint>> DateQuery(const http::Request& request, const char* name) {
  auto text = request.QueryParam(name);
  if (!text) return std::optional<TimePoint>();
  auto parsed = ParseIso8601(*text);
  if (!parsed) return InvalidParam(name, std::string(name) + " must be a date (YYYY-MM-DD) or an RFC 3339 timestamp");
  return std::optional<TimePoint>(*parsed);
}

}  // namespace

json::array LinesJson(const std::vector<invoicing::LineItem>& lines, const std::string& currency) {
  json::array out;
  for (const auto& l : lines) {
    out.push_back({{"kind", l.kind},
                   {"metric", l.metric.empty() ? json::value(nullptr) : json::value(l.metric)},
                   {"description", l.description},
                   {"quantity", l.quantity},
                   {"unit_price", l.unit_price},
                   {"amount", AmountJson(l.amount_minor, currency)}});
  }
  return out;
}

http::Handler ListInvoices(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    MTL_ASSIGN_OR_RETURN(auto customer, ScopeCustomer(request));
    invoicing::InvoiceFilter filter;
    filter.customer_id = customer;
    if (auto status = request.QueryParam("status"); status && !status->empty() && *status != "all") {
      auto parsed = invoicing::ParseStatus(*status);
      if (!parsed) return InvalidParam("status", "status must be one of draft, open, paid, void, uncollectible");
      filter.status = parsed;
    }
    MTL_ASSIGN_OR_RETURN(auto page, PageOf(request, {.cursors = true}));
    auto from = DateQuery(request, "from");
    if (!from.ok()) return std::move(from).error();
    auto to = DateQuery(request, "to");
    if (!to.ok()) return std::move(to).error();
    if (*from && *to && **from > **to) return InvalidParam("from", "from must not be after to");
    filter.from = *from;
    // A date `to` includes that whole day.
    if (*to)
      filter.to = **to + (request.QueryParam("to")->size() == 10 ? std::chrono::hours(24) : std::chrono::hours(0));
    MTL_ASSIGN_OR_RETURN(auto invoices, context.invoices.List(filter, page));
    return JsonResponse(200, ListJson(invoices, page, [](const auto& inv) { return InvoiceJson(inv, false); }));
  };
}

http::Handler GetInvoice(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    std::string id(request.PathParam("id"));
    const Principal& caller = *request.principal;
    MTL_ASSIGN_OR_RETURN(auto inv, context.invoices.Get(id, caller.role == Role::kAdmin ? "" : caller.customer_id));
    if (!CanSeeCustomer(caller, inv.customer_id)) return NotVisible("invoice", id);
    json::object out = InvoiceJson(inv, true);
    MTL_ASSIGN_OR_RETURN(auto campaign, dunning::CampaignStore::ForInvoice(context.db, id));
    out["dunning"] = campaign ? json::value(dunning::CampaignJson(*campaign)) : json::value(nullptr);
    return JsonResponse(200, std::move(out));
  };
}

// Admins void a finalized invoice that is not paid; Stripe's copy follows.
http::Handler VoidInvoice(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    std::string id(request.PathParam("id"));
    MTL_ASSIGN_OR_RETURN(auto inv, context.invoices.Void(id, "", request.principal->id));
    return JsonResponse(200, InvoiceJson(inv, true));
  };
}

http::Handler InvoicePdf(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    std::string id(request.PathParam("id"));
    const Principal& caller = *request.principal;
    MTL_ASSIGN_OR_RETURN(auto inv, context.invoices.Get(id, caller.role == Role::kAdmin ? "" : caller.customer_id));
    if (!CanSeeCustomer(caller, inv.customer_id)) return NotVisible("invoice", id);
    MTL_ASSIGN_OR_RETURN(auto customer, context.customers.Get(inv.customer_id));
    invoicing::PdfInvoice document = invoicing::PdfDocumentFor(inv, {customer.name, customer.email, customer.country},
                                                               context.issuer, context.catalog);
    // A draft has no number yet: name it for what it is and when.
    std::string name = inv.number.empty()
                           ? "draft-" + inv.customer_id + "-" + FormatIso8601(inv.period.start).substr(0, 7)
                           : inv.number;
    return PdfResponse(request, document, context.issuer.logo_digest, name);
  };
}

Result<http::Response> PdfResponse(const http::Request& request, const invoicing::PdfInvoice& document,
                                   const std::string& logo_digest, const std::string& file_name) {
  // Strong ETag: a digest of exactly what is drawn and of the template version.
  std::string etag = "\"" + invoicing::PdfEtag(document, logo_digest) + "\"";
  std::string_view if_none_match = request.headers.Get("If-None-Match");
  if (!if_none_match.empty() && (if_none_match == etag || if_none_match == "*")) {
    http::Response not_modified = http::Response::NoContent(304);
    not_modified.headers.Set("ETag", etag);
    not_modified.headers.Set("Cache-Control", "private, no-cache");
    return not_modified;
  }
  auto pdf = invoicing::RenderInvoicePdf(document);
  if (!pdf.ok()) return std::move(pdf).error();
  http::Response response;
  response.status = 200;
  response.body = std::move(pdf).value();
  response.headers.Set("Content-Type", "application/pdf");
  response.headers.Set("Content-Disposition", "attachment; filename=\"" + file_name + ".pdf\"");
  response.headers.Set("ETag", etag);
  response.headers.Set("Cache-Control", "private, no-cache");
  return response;
}

}  // namespace meterline::api
