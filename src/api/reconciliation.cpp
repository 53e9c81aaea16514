// Reconciliation: run one (admin, with an Idempotency-Key) and read the
// stored results (reconciliation/reconciliation_service.hpp).
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "api/handlers.hpp"
#include "api/input.hpp"
#include "core/digest.hpp"
#include "idempotency/idempotency_store.hpp"
#include "reconciliation/reconciliation_service.hpp"

namespace meterline::api {

namespace json = boost::json;

namespace {

json::value OrNull(const std::string& s) { return s.empty() ? json::value(nullptr) : json::value(s); }

json::object ReconciliationJson(const reconciliation::Reconciliation& r, bool with_findings) {
  json::object o;
  o["id"] = r.id;
  o["period"] = r.period;
  o["status"] = r.status;
  o["actor"] = r.actor;
  o["created_at"] = FormatIso8601(r.created_at);
  o["finished_at"] = FormatIso8601(r.finished_at);
  o["subscriptions_checked"] = r.subscriptions_checked;
  o["invoices_compared"] = r.invoices_compared;
  o["findings_count"] = r.findings_count;
  o["expected_total"] = AmountJson(r.expected_total_minor, r.currency);
  o["billed_total"] = AmountJson(r.billed_total_minor, r.currency);
  o["discrepancy_total"] = AmountJson(r.discrepancy_total_minor, r.currency);
  o["currency"] = r.currency;
  o["alert_raised"] = r.alert_raised;
  o["tolerance"] = r.tolerance;
  if (with_findings) {
    json::array totals;
    for (const auto& t : r.totals) {
      totals.push_back({{"currency", t.currency},
                        {"subscriptions_checked", t.subscriptions_checked},
                        {"expected_total", AmountJson(t.expected_total_minor, t.currency)},
                        {"billed_total", AmountJson(t.billed_total_minor, t.currency)},
                        {"discrepancy_total", AmountJson(t.discrepancy_total_minor, t.currency)},
                        {"alert_threshold", AmountJson(t.alert_threshold_minor, t.currency)},
                        {"alert_raised", t.alert_raised}});
    }
    o["totals"] = std::move(totals);
    json::array findings;
    for (const auto& f : r.findings) {
      findings.push_back(
          {{"customer_id", OrNull(f.customer_id)},
           {"customer_name", OrNull(f.customer_name)},
           {"kind", reconciliation::FindingKindName(f.kind)},
           {"line", f.line},
           {"expected", AmountJson(f.expected_minor, f.currency)},
           // currency_mismatch: what Stripe billed, in its own currency.
           {"billed", AmountJson(f.billed_minor, f.billed_currency.empty() ? f.currency : f.billed_currency)},
           {"difference", AmountJson(f.difference_minor, f.currency)},
           {"invoice_id", OrNull(f.invoice_id)},
           {"invoice_number", OrNull(f.invoice_number)},
           {"stripe_invoice_id", OrNull(f.stripe_invoice_id)}});
    }
    o["findings"] = std::move(findings);
  }
  return o;
}

}  // namespace

http::Handler Reconcile(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    std::string key(request.headers.Get("Idempotency-Key"));
    if (key.size() < idempotency::kMinKeyLength || key.size() > idempotency::kMaxKeyLength) {
      return Error(ErrorCode::kInvalidArgument, "idempotency_key_required",
                   "an Idempotency-Key header of 16 to 255 characters is required");
    }
    std::string period;
    if (!request.body.empty()) {
      MTL_ASSIGN_OR_RETURN(auto body, BodyObject(request));
      MTL_RETURN_IF_ERROR(RejectUnknownFields(body, {"period"}));
      MTL_ASSIGN_OR_RETURN(auto given, OptionalString(body, "period", 7));
      period = given;
    }
    if (period.empty()) period = reconciliation::ReconciliationService::LastClosedPeriod(context.clock.Now());
    std::string actor = request.principal->id;
    auto reply =
        context.idempotency.Once("reconcile", key, Sha256Hex("period=" + period), [&]() -> Result<idempotency::Reply> {
          MTL_ASSIGN_OR_RETURN(auto r, context.reconciliations.Run(period, actor));
          return idempotency::Reply{200, json::serialize(ReconciliationJson(r, true)), false};
        });
    if (!reply.ok()) return std::move(reply).error();
    http::Response response = http::Response::Json(reply->status, reply->body);
    if (reply->replayed) response.headers.Set("Idempotent-Replayed", "true");
    return response;
  };
}

http::Handler ListReconciliations(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    MTL_ASSIGN_OR_RETURN(auto page, PageOf(request));
    MTL_ASSIGN_OR_RETURN(auto list, context.reconciliations.List(page.limit + 1, page.offset));
    return JsonResponse(200, ListJson(TrimPage(std::move(list), page), page,
                                      [](const auto& r) { return ReconciliationJson(r, false); }));
  };
}

http::Handler GetReconciliation(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    MTL_ASSIGN_OR_RETURN(auto r, context.reconciliations.Get(std::string(request.PathParam("id"))));
    return JsonResponse(200, ReconciliationJson(r, true));
  };
}

}  // namespace meterline::api
