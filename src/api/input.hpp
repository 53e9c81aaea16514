// Input helpers for handlers: typed fields from a JSON body and query
// parameters, each failing with a 400 that names the field.
#pragma once

#include <boost/json/value.hpp>

#include <optional>
#include <string>

#include "auth/identity_service.hpp"
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

// An integer query parameter in [min, max], `fallback` when absent; otherwise 400
// "<name> must be an integer between min and max".
Result<int64_t> IntQuery(const http::Request& request, const char* name, int64_t fallback, int64_t min, int64_t max);

// Where the request came from (the client address as resolved by the
// server, the User-Agent), for the audit log and login throttling.
auth::RequestOrigin OriginOf(const http::Request& request);

// A page of a list: `limit` (1..100, default 100) and `offset` query parameters.
struct PageQuery {
  int64_t limit = 100;
  int64_t offset = 0;
};
Result<PageQuery> PageOf(const http::Request& request);
// {"data": items, "limit", "offset", "next_offset"}: `items` holds up to
// limit + 1 entries (one more than asked tells whether a next page exists).
boost::json::object PageJson(boost::json::array items, const PageQuery& page);

// Serializes a JSON value into a response.
http::Response JsonResponse(int status, const boost::json::value& value);

// The API's User: id, email, role, customer_id (null for admins), created_at,
// disabled (and disabled_at when it is).
boost::json::object UserJson(const auth::User& user);

// The API's Amount: {"minor": 61728, "currency": "USD", "formatted": "617.28"}.
boost::json::object AmountJson(int64_t minor, const std::string& currency);

}  // namespace meterline::api
