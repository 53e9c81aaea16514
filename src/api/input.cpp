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
  if (!it->value().is_string()) return InvalidArgument(std::string(name) + " must be a string");
  std::string value(it->value().as_string());
  if (value.size() > max_len) {
    return InvalidArgument(std::string(name) + " must be at most " + std::to_string(max_len) + " bytes");
  }
  return value;
}

Result<std::string> RequiredString(const boost::json::object& obj, const char* name, size_t max_len) {
  auto value = OptionalString(obj, name, max_len);
  if (!value.ok()) return value;
  if (value->empty()) return InvalidArgument(std::string(name) + " is required");
  return value;
}

Result<int64_t> IntQuery(const http::Request& request, const char* name, int64_t fallback, int64_t min, int64_t max) {
  auto text = request.QueryParam(name);
  if (!text) return fallback;
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || ptr != text->data() + text->size() || value < min || value > max) {
    return InvalidArgument(std::string(name) + " must be an integer between " + std::to_string(min) + " and " +
                           std::to_string(max));
  }
  return value;
}

http::Response JsonResponse(int status, const boost::json::value& value) {
  return http::Response::Json(status, boost::json::serialize(value));
}

boost::json::object AmountJson(int64_t minor, const std::string& currency) {
  auto c = money::FindCurrency(currency).value_or(money::Currency{currency, 2});
  return {{"minor", minor}, {"currency", currency}, {"formatted", money::FormatMajor(minor, c)}};
}

auth::RequestOrigin OriginOf(const http::Request& request) {
  return {request.remote_address, std::string(request.headers.Get("User-Agent"))};
}

Result<PageQuery> PageOf(const http::Request& request) {
  MTL_ASSIGN_OR_RETURN(auto limit, IntQuery(request, "limit", 100, 1, 100));
  MTL_ASSIGN_OR_RETURN(auto offset, IntQuery(request, "offset", 0, 0, 1'000'000));
  return PageQuery{limit, offset};
}

boost::json::object PageJson(boost::json::array items, const PageQuery& page) {
  bool more = static_cast<int64_t>(items.size()) > page.limit;
  if (more) items.pop_back();
  boost::json::object out;
  out["data"] = std::move(items);
  out["limit"] = page.limit;
  out["offset"] = page.offset;
  out["next_offset"] = more ? boost::json::value(page.offset + page.limit) : boost::json::value(nullptr);
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
