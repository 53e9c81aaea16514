// Exports for admins (docs/analytics.md "Exports"): a kind's rows of a date
// range, streamed as CSV or JSON Lines. Each export is audited (export.create).
#include <memory>

#include "api/handlers.hpp"
#include "api/input.hpp"
#include "audit/audit_log.hpp"
#include "exports/export_stream.hpp"

namespace meterline::api {

namespace {

Result<TimePoint> RequiredTime(const http::Request& request, const char* name) {
  auto text = request.QueryParam(name);
  if (!text || text->empty()) return InvalidParam(name, std::string(name) + " is required (a date or RFC 3339 time)");
  auto parsed = ParseIso8601(*text);
  if (!parsed) return InvalidParam(name, std::string(name) + " must be a date (2026-01-31) or an RFC 3339 time");
  return *parsed;
}

}  // namespace

http::Handler ExportRows(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    auto kind = exports::ParseKind(request.PathParam("kind"));
    if (!kind) {
      return Error(ErrorCode::kNotFound, "not_found",
                   "no export named " + std::string(request.PathParam("kind")) +
                       "; exports are invoices, invoice_lines, usage_rollups and audit");
    }
    auto format = exports::ParseFormat(request.QueryParam("format").value_or("csv"));
    if (!format) return InvalidParam("format", "format must be csv or jsonl");
    MTL_ASSIGN_OR_RETURN(auto from, RequiredTime(request, "from"));
    MTL_ASSIGN_OR_RETURN(auto to, RequiredTime(request, "to"));
    if (!(from < to)) return InvalidParam("to", "to must be after from");
    MTL_RETURN_IF_ERROR(audit::Record(context.db, context.clock,
                                      {request.principal->id,
                                       "export.create",
                                       "",
                                       {{"kind", exports::KindName(*kind)},
                                        {"format", exports::FormatName(*format)},
                                        {"from", FormatIso8601(from)},
                                        {"to", FormatIso8601(to)}},
                                       {request.remote_address, std::string(request.headers.Get("User-Agent"))}}));

    auto stream = std::make_shared<exports::ExportStream>(context.db, *kind, *format, exports::Range{from, to},
                                                          context.usage_databases);
    http::Response response;
    response.headers.Set("Content-Type", exports::ContentType(*format));
    response.headers.Set("Content-Disposition", std::string("attachment; filename=\"") + exports::KindName(*kind) +
                                                    "-" + FormatIso8601(from).substr(0, 10) + "-" +
                                                    FormatIso8601(to).substr(0, 10) + "." +
                                                    exports::FormatName(*format) + "\"");
    response.headers.Set("Cache-Control", "no-store");
    response.stream = [stream](std::string& piece) { return stream->Next(piece); };
    return response;
  };
}

}  // namespace meterline::api
