// Input helpers for handlers: typed fields from a JSON body and query
// parameters, each failing with a 400 that names the field.
#pragma once

#include <boost/json/value.hpp>

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "auth/identity_service.hpp"
#include "core/paging.hpp"
#include "core/result.hpp"
#include "http/request.hpp"
#include "http/response.hpp"

namespace meterline::api {

// The request body as a JSON object. REQUIRES: the route has json_body (the
// pipeline already checked the syntax); a non-object body is a 400.
Result<boost::json::object> BodyObject(const http::Request& request);

// A string field of at most max_len bytes; missing or empty -> 400 "<name> is required".
Result<std::string> RequiredString(const boost::json::object& obj, const char* name, size_t max_len = 1000);
// A string field that may be absent (-> ""); present but not a string -> 400.
Result<std::string> OptionalString(const boost::json::object& obj, const char* name, size_t max_len = 1000);

// An integer field in [min, max] that may be absent or null (-> nullopt);
// otherwise 400 "<name> must be an integer between min and max".
Result<std::optional<int64_t>> OptionalInt(const boost::json::object& obj, const char* name, int64_t min, int64_t max);

// An integer query parameter in [min, max], `fallback` when absent; otherwise 400
// "<name> must be an integer between min and max".
Result<int64_t> IntQuery(const http::Request& request, const char* name, int64_t fallback, int64_t min, int64_t max);

// Where the request came from (the client address as resolved by the
// server, the User-Agent), for the audit log and login throttling.
auth::RequestOrigin OriginOf(const http::Request& request);

// Refuses a body field not in `known` (400 naming it, with the known ones),
// so a misspelt field is an error instead of silently dropped.
Status RejectUnknownFields(const boost::json::object& obj, std::initializer_list<std::string_view> known);

// Paging query parameters: `limit` (1..max_limit), `offset`, and where the
// list allows them the cursors `starting_after` / `ending_before` (item ids;
// at most one of them, and not with `offset`).
struct PageOptions {
  int64_t default_limit = 20;
  int64_t max_limit = 100;
  bool cursors = false;
};
Result<PageRequest> PageOf(const http::Request& request, PageOptions options = {});

// The one envelope every list answers with:
//   {"object": "list", "data": [...], "has_more": bool, "limit": n,
//    "offset": n | null, "next_offset": n | null[, "total": n]}
// offset and next_offset are null when the page was asked by cursor; the next
// page by cursor is starting_after = the last item's id.
boost::json::object ListEnvelope(boost::json::array data, const PageRequest& request, bool has_more,
                                 std::optional<int64_t> total = std::nullopt);
template <typename T, typename ToJson>
boost::json::object ListJson(const Page<T>& page, const PageRequest& request, ToJson&& to_json) {
  boost::json::array data;
  for (const T& item : page.items) data.push_back(to_json(item));
  return ListEnvelope(std::move(data), request, page.has_more, page.total);
}

// Serializes a JSON value into a response.
http::Response JsonResponse(int status, const boost::json::value& value);

// The API's User: id, email, role, customer_id (null for admins), created_at,
// disabled (and disabled_at when it is).
boost::json::object UserJson(const auth::User& user);

// The API's Amount: {"minor": 61728, "currency": "USD", "formatted": "617.28"}.
boost::json::object AmountJson(int64_t minor, const std::string& currency);

// An optional instant as RFC 3339 text, or null.
boost::json::value TimeOrNull(const std::optional<TimePoint>& t);

}  // namespace meterline::api
