// Credit notes: admins issue them on finalized invoices; members read their
// own customer's (another customer's is a 404), with the PDF.
#include <boost/json/value.hpp>

#include "api/handlers.hpp"
#include "api/idempotent.hpp"
#include "api/input.hpp"
#include "api/invoice_json.hpp"
#include "api/scope.hpp"
#include "credit_notes/credit_note_pdf.hpp"
#include "credit_notes/credit_note_service.hpp"
#include "customers/customer_store.hpp"
#include "invoicing/invoice_service.hpp"

namespace meterline::api {

namespace {

namespace json = boost::json;
using credit_notes::CreditNote;

// Members are scoped to their customer; admins see all.
std::string Scope(const http::Request& request) {
  const Principal& caller = *request.principal;
  return caller.role == Role::kAdmin ? "" : caller.customer_id;
}

json::value TextOrNull(const std::string& s) { return s.empty() ? json::value(nullptr) : json::value(s); }

json::object CreditNoteJson(const CreditNote& cn) {
  json::array lines;
  for (const auto& l : cn.lines) {
    lines.push_back({{"invoice_line", l.invoice_line ? json::value(*l.invoice_line) : json::value(nullptr)},
                     {"description", l.description},
                     {"quantity", l.quantity ? json::value(*l.quantity) : json::value(nullptr)},
                     {"amount", AmountJson(l.amount_minor, cn.currency)}});
  }
  return {{"id", cn.id},
          {"object", "credit_note"},
          {"number", cn.number},
          {"invoice_id", cn.invoice_id},
          {"customer_id", cn.customer_id},
          {"currency", cn.currency},
          {"reason", credit_notes::ReasonName(cn.reason)},
          {"memo", TextOrNull(cn.memo)},
          {"lines", std::move(lines)},
          {"subtotal", AmountJson(cn.subtotal_minor, cn.currency)},
          {"tax", AmountJson(cn.tax_minor, cn.currency)},
          {"total", AmountJson(cn.total_minor, cn.currency)},
          {"pre_payment_amount", AmountJson(cn.pre_payment_minor, cn.currency)},
          {"post_payment_amount", AmountJson(cn.post_payment_minor, cn.currency)},
          {"refund_to", TextOrNull(credit_notes::RefundToName(cn.refund_to))},
          {"credit_grant_id", TextOrNull(cn.credit_grant_id)},
          {"stripe_credit_note_id", TextOrNull(cn.stripe_credit_note_id)},
          {"created_by", cn.created_by},
          {"created_at", FormatIso8601(cn.created_at)}};
}

constexpr int64_t kMaxAmount = int64_t{1} << 50;
constexpr size_t kMaxLines = 1000;

Result<credit_notes::CreditNoteRequest> RequestOf(const http::Request& request) {
  MTL_ASSIGN_OR_RETURN(auto body, BodyObject(request));
  MTL_RETURN_IF_ERROR(
      RejectUnknownFields(body, {"lines", "amount_minor", "description", "reason", "memo", "refund_to"}));
  credit_notes::CreditNoteRequest out;
  MTL_ASSIGN_OR_RETURN(auto reason, RequiredString(body, "reason", 40));
  auto parsed_reason = credit_notes::ParseReason(reason);
  if (!parsed_reason) {
    return InvalidParam("reason", "reason must be one of duplicate, fraudulent, order_change, product_unsatisfactory");
  }
  out.reason = *parsed_reason;
  MTL_ASSIGN_OR_RETURN(out.memo, OptionalString(body, "memo", credit_notes::kMaxMemo));
  MTL_ASSIGN_OR_RETURN(out.description, OptionalString(body, "description", 500));
  MTL_ASSIGN_OR_RETURN(out.amount_minor, OptionalInt(body, "amount_minor", 1, kMaxAmount));
  MTL_ASSIGN_OR_RETURN(auto refund_to, OptionalString(body, "refund_to", 40));
  if (!refund_to.empty()) {
    auto to = credit_notes::ParseRefundTo(refund_to);
    if (!to) return InvalidParam("refund_to", "refund_to must be credit_balance or stripe_refund");
    out.refund_to = *to;
  }
  if (auto it = body.find("lines"); it != body.end() && !it->value().is_null()) {
    if (!it->value().is_array() || it->value().as_array().size() > kMaxLines) {
      return InvalidParam("lines", "lines must be an array of at most 1000 {line, quantity?, amount_minor?}");
    }
    for (const json::value& v : it->value().as_array()) {
      if (!v.is_object())
        return InvalidParam("lines", "each of lines must be an object {line, quantity?, amount_minor?}");
      const json::object& o = v.as_object();
      MTL_RETURN_IF_ERROR(RejectUnknownFields(o, {"line", "quantity", "amount_minor"}));
      MTL_ASSIGN_OR_RETURN(auto line, OptionalInt(o, "line", 1, 100000));
      if (!line) return InvalidParam("lines", "each of lines needs line (the invoice line's position, from 1)");
      credit_notes::CreditNoteRequest::Line want{*line, std::nullopt, std::nullopt};
      MTL_ASSIGN_OR_RETURN(want.quantity, OptionalInt(o, "quantity", 1, kMaxAmount));
      MTL_ASSIGN_OR_RETURN(want.amount_minor, OptionalInt(o, "amount_minor", 1, kMaxAmount));
      out.lines.push_back(want);
    }
  }
  return out;
}

}  // namespace

http::Handler IssueCreditNote(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    std::string invoice_id(request.PathParam("id"));
    MTL_ASSIGN_OR_RETURN(auto want, RequestOf(request));
    MTL_ASSIGN_OR_RETURN(auto cn, context.credit_notes.Issue(invoice_id, Scope(request), want, request.principal->id));
    return JsonResponse(201, CreditNoteJson(cn));
  };
}

http::Handler ListInvoiceCreditNotes(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    std::string invoice_id(request.PathParam("id"));
    MTL_ASSIGN_OR_RETURN(auto notes, context.credit_notes.ForInvoice(invoice_id, Scope(request)));
    json::array data;
    for (const CreditNote& cn : notes) data.push_back(CreditNoteJson(cn));
    int64_t n = static_cast<int64_t>(notes.size());
    return JsonResponse(200, ListEnvelope(std::move(data), {.limit = std::max<int64_t>(n, 1)}, false, n));
  };
}

http::Handler GetCreditNote(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    MTL_ASSIGN_OR_RETURN(auto cn, context.credit_notes.Get(std::string(request.PathParam("id")), Scope(request)));
    return JsonResponse(200, CreditNoteJson(cn));
  };
}

http::Handler CreditNotePdf(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    MTL_ASSIGN_OR_RETURN(auto cn, context.credit_notes.Get(std::string(request.PathParam("id")), Scope(request)));
    MTL_ASSIGN_OR_RETURN(auto invoice, context.invoices.Get(cn.invoice_id, ""));
    MTL_ASSIGN_OR_RETURN(auto customer, context.customers.Get(cn.customer_id));
    auto document =
        credit_notes::PdfDocumentFor(cn, invoice, {customer.name, customer.email, customer.country}, context.issuer);
    return PdfResponse(request, document, context.issuer.logo_digest, cn.number);
  };
}

}  // namespace meterline::api
