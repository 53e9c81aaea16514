#include "api/input.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <charconv>

#include "money/money.hpp"

namespace meterline::api {

Result<boost::json::object> BodyObject(const http::Request& request) {
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(request.body, ec);
  if (ec || !value.is_object()) {
    return Error(ErrorCode::kInvalidArgument, "invalid_json", "request body must be a JSON object");
  }
  return std::move(value.as_object());
}

Result<std::string> OptionalString(const boost::json::object& obj, const char* name, size_t max_len) {
  auto it = obj.find(name);
  if (it == obj.end() || it->value().is_null()) return std::string();
  if (!it->value().is_string()) return InvalidParam(name, std::string(name) + " must be a string");
  std::string value(it->value().as_string());
  if (value.size() > max_len) {
    return InvalidParam(name, std::string(name) + " must be at most " + std::to_string(max_len) + " bytes");
  }
  return value;
}

Result<std::optional<int64_t>> OptionalInt(const boost::json::object& obj, const char* name, int64_t min, int64_t max) {
  auto it = obj.find(name);
  if (it == obj.end() || it->value().is_null()) return std::optional<int64_t>();
  const auto& v = it->value();
  if (!v.is_int64() || v.as_int64() < min || v.as_int64() > max) {
    return InvalidParam(
        name, std::string(name) + " must be an integer between " + std::to_string(min) + " and " + std::to_string(max));
  }
  return std::optional<int64_t>(v.as_int64());
}

Result<std::string> RequiredString(const boost::json::object& obj, const char* name, size_t max_len) {
  auto value = OptionalString(obj, name, max_len);
  if (!value.ok()) return value;
  if (value->empty()) return InvalidParam(name, std::string(name) + " is required");
  return value;
}

Result<int64_t> IntQuery(const http::Request& request, const char* name, int64_t fallback, int64_t min, int64_t max) {
  auto text = request.QueryParam(name);
  if (!text) return fallback;
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || ptr != text->data() + text->size() || value < min || value > max) {
    return InvalidParam(
        name, std::string(name) + " must be an integer between " + std::to_string(min) + " and " + std::to_string(max));
  }
  return value;
}

http::Response JsonResponse(int status, const boost::json::value& value) {
  return http::Response::Json(status, boost::json::serialize(value));
}

boost::json::value TimeOrNull(const std::optional<TimePoint>& t) {
  return t ? boost::json::value(FormatIso8601(*t)) : boost::json::value(nullptr);
}

boost::json::object AmountJson(int64_t minor, const std::string& currency) {
  auto c = money::FindCurrency(currency).value_or(money::Currency{currency, 2});
  return {{"minor", minor}, {"currency", currency}, {"formatted", money::FormatMajor(minor, c)}};
}

auth::RequestOrigin OriginOf(const http::Request& request) {
  return {request.remote_address, std::string(request.headers.Get("User-Agent"))};
}

Status RejectUnknownFields(const boost::json::object& obj, std::initializer_list<std::string_view> known) {
  for (const auto& field : obj) {
    bool found = false;
    for (std::string_view k : known) found = found || field.key() == k;
    if (found) continue;
    std::string list;
    for (std::string_view k : known) list += (list.empty() ? "" : ", ") + std::string(k);
    std::string name(field.key());
    return InvalidParam(name, "unknown field '" + name + "'; the fields are " + list);
  }
  return OkStatus();
}

Result<PageRequest> PageOf(const http::Request& request, PageOptions options) {
  PageRequest page;
  MTL_ASSIGN_OR_RETURN(page.limit, IntQuery(request, "limit", options.default_limit, 1, options.max_limit));
  MTL_ASSIGN_OR_RETURN(page.offset, IntQuery(request, "offset", 0, 0, 1'000'000'000));
  auto after = request.QueryParam("starting_after");
  auto before = request.QueryParam("ending_before");
  if (!options.cursors && (after || before)) {
    return InvalidParam(after ? "starting_after" : "ending_before",
                        "this list pages by offset; starting_after and ending_before are not supported");
  }
  if (after && before) return InvalidParam("ending_before", "give starting_after or ending_before, not both");
  for (const auto& [name, value] : {std::pair{"starting_after", after}, std::pair{"ending_before", before}}) {
    if (!value) continue;
    if (value->empty() || value->size() > 64) return InvalidParam(name, std::string(name) + " must be an item id");
    if (request.QueryParam("offset")) {
      return InvalidParam("offset", std::string("offset cannot be combined with ") + name);
    }
  }
  page.after = after.value_or("");
  page.before = before.value_or("");
  return page;
}

boost::json::object ListEnvelope(boost::json::array data, const PageRequest& request, bool has_more,
                                 std::optional<int64_t> total) {
  boost::json::object out;
  out["object"] = "list";
  out["data"] = std::move(data);
  out["has_more"] = has_more;
  out["limit"] = request.limit;
  if (request.ByCursor()) {
    out["offset"] = nullptr;
    out["next_offset"] = nullptr;
  } else {
    out["offset"] = request.offset;
    out["next_offset"] = has_more ? boost::json::value(request.offset + request.limit) : boost::json::value(nullptr);
  }
  if (total) out["total"] = *total;
  return out;
}

boost::json::object UserJson(const auth::User& user) {
  boost::json::object u;
  u["id"] = user.id;
  u["email"] = user.email;
  u["role"] = RoleName(user.role);
  u["customer_id"] = user.customer_id.empty() ? boost::json::value(nullptr) : boost::json::value(user.customer_id);
  u["created_at"] = FormatIso8601(user.created_at);
  u["disabled"] = user.disabled_at.has_value();
  if (user.disabled_at) u["disabled_at"] = FormatIso8601(*user.disabled_at);
  return u;
}

}  // namespace meterline::api
