// The audit log, for admins: who did what, newest first, filtered by customer,
// action (a prefix of dotted actions) or actor, paged by cursor.
#include <boost/json/value.hpp>

#include "api/handlers.hpp"
#include "api/input.hpp"
#include "audit/audit_log.hpp"
#include "storage/database.hpp"

namespace meterline::api {

http::Handler ListAuditEntries(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    MTL_ASSIGN_OR_RETURN(auto page, PageOf(request, {.default_limit = 50, .max_limit = 200, .cursors = true}));
    audit::AuditFilter filter;
    filter.customer_id = request.QueryParam("customer_id").value_or("");
    filter.action = request.QueryParam("action").value_or("");
    filter.actor = request.QueryParam("actor").value_or("");
    for (const auto& [name, value] : {std::pair{"customer_id", &filter.customer_id},
                                      std::pair{"action", &filter.action}, std::pair{"actor", &filter.actor}}) {
      if (value->size() > 100) return InvalidParam(name, std::string(name) + " must be at most 100 characters");
    }
    MTL_ASSIGN_OR_RETURN(auto entries, audit::List(context.db, filter, page));
    return JsonResponse(200, ListJson(entries, page, [](const audit::AuditRecord& r) -> boost::json::object {
                          auto text_or_null = [](const std::string& s) {
                            return s.empty() ? boost::json::value(nullptr) : boost::json::value(s);
                          };
                          return {{"id", std::to_string(r.id)},
                                  {"created_at", FormatIso8601(r.created_at)},
                                  {"actor", r.entry.actor},
                                  {"action", r.entry.action},
                                  {"customer_id", text_or_null(r.entry.customer_id)},
                                  {"data", r.entry.data},
                                  {"ip", text_or_null(r.entry.origin.ip)},
                                  {"user_agent", text_or_null(r.entry.origin.user_agent)}};
                        }));
  };
}

}  // namespace meterline::api
