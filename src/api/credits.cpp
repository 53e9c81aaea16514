// Prepaid credits: a customer's balance per currency, grants and ledger
// (members: their own; admins name the customer), and admins' grants and
// top-ups.
#include <boost/json/value.hpp>

#include "api/handlers.hpp"
#include "api/input.hpp"
#include "api/scope.hpp"
#include "credits/credit_ledger.hpp"

namespace meterline::api {

namespace {

namespace json = boost::json;

json::object GrantJson(const credits::Grant& g) {
  return {{"id", g.id},
          {"object", "credit_grant"},
          {"customer_id", g.customer_id},
          {"kind", credits::GrantKindName(g.kind)},
          {"amount", AmountJson(g.amount_minor, g.currency)},
          {"remaining", AmountJson(g.remaining_minor, g.currency)},
          {"priority", g.priority},
          {"expires_at", TimeOrNull(g.expires_at)},
          {"credit_note_id", g.credit_note_id.empty() ? json::value(nullptr) : json::value(g.credit_note_id)},
          {"description", g.description},
          {"created_by", g.created_by},
          {"created_at", FormatIso8601(g.created_at)}};
}

json::object EntryJson(const credits::LedgerEntry& e) {
  return {{"id", e.id},
          {"grant_id", e.grant_id},
          {"kind", e.kind},
          {"amount", AmountJson(e.amount_minor, e.currency)},
          {"balance_after", AmountJson(e.balance_after_minor, e.currency)},
          {"invoice_id", e.invoice_id.empty() ? json::value(nullptr) : json::value(e.invoice_id)},
          {"description", e.description},
          {"actor", e.actor},
          {"created_at", FormatIso8601(e.created_at)}};
}

}  // namespace

http::Handler GetCredits(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    const Principal& caller = *request.principal;
    std::string customer_id = caller.customer_id;
    if (caller.role == Role::kAdmin) {
      customer_id = request.QueryParam("customer_id").value_or("");
      if (customer_id.empty()) return InvalidParam("customer_id", "customer_id is required for administrators");
    } else if (auto asked = request.QueryParam("customer_id"); asked && *asked != customer_id) {
      return NotVisible("customer", *asked);
    }
    if (customer_id.empty()) return Error(ErrorCode::kPermissionDenied, "this key is not bound to a customer");
    MTL_ASSIGN_OR_RETURN(auto page, PageOf(request, {.default_limit = 20, .max_limit = 100, .cursors = true}));
    TimePoint now = context.clock.Now();
    MTL_ASSIGN_OR_RETURN(auto balances, credits::CreditLedger::Balances(context.db, customer_id, now));
    MTL_ASSIGN_OR_RETURN(auto grants, credits::CreditLedger::Grants(context.db, customer_id, 100));
    MTL_ASSIGN_OR_RETURN(auto history, credits::CreditLedger::History(context.db, customer_id, page));
    json::array balance_json;
    for (const auto& [currency, minor] : balances) {
      balance_json.push_back({{"currency", currency}, {"available", AmountJson(minor, currency)}});
    }
    json::array grant_json;
    for (const auto& g : grants) grant_json.push_back(GrantJson(g));
    return JsonResponse(200, json::object{{"customer_id", customer_id},
                                          {"balances", std::move(balance_json)},
                                          {"grants", std::move(grant_json)},
                                          {"history", ListJson(history, page, EntryJson)}});
  };
}

http::Handler GrantCredits(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    MTL_ASSIGN_OR_RETURN(auto body, BodyObject(request));
    MTL_RETURN_IF_ERROR(RejectUnknownFields(
        body, {"customer_id", "amount_minor", "currency", "kind", "priority", "expires_at", "description"}));
    credits::NewGrant grant;
    grant.actor = request.principal->id;
    MTL_ASSIGN_OR_RETURN(grant.customer_id, RequiredString(body, "customer_id", 64));
    MTL_ASSIGN_OR_RETURN(auto amount, OptionalInt(body, "amount_minor", 1, int64_t{1} << 50));
    if (!amount) return InvalidParam("amount_minor", "amount_minor is required");
    grant.amount_minor = *amount;
    MTL_ASSIGN_OR_RETURN(grant.currency, RequiredString(body, "currency", 3));
    MTL_ASSIGN_OR_RETURN(auto kind, OptionalString(body, "kind", 20));
    if (!kind.empty()) {
      auto parsed = credits::ParseGrantKind(kind);
      if (!parsed || *parsed == credits::GrantKind::kCreditNote) {
        return InvalidParam("kind", "kind must be grant or top_up");
      }
      grant.kind = *parsed;
    }
    MTL_ASSIGN_OR_RETURN(auto priority, OptionalInt(body, "priority", 0, credits::kMaxPriority));
    grant.priority = static_cast<int>(priority.value_or(0));
    MTL_ASSIGN_OR_RETURN(auto expires, OptionalString(body, "expires_at", 40));
    if (!expires.empty()) {
      auto at = ParseIso8601(expires);
      if (!at) return InvalidParam("expires_at", "expires_at must be an RFC 3339 timestamp");
      grant.expires_at = *at;
    }
    MTL_ASSIGN_OR_RETURN(grant.description, RequiredString(body, "description", credits::kMaxDescription));
    MTL_ASSIGN_OR_RETURN(auto made, credits::CreditLedger::GrantByAdmin(context.db, context.clock, grant));
    return JsonResponse(201, GrantJson(made));
  };
}

}  // namespace meterline::api
