// Request: an HTTP request as handlers see it, free of any transport library.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/principal.hpp"
#include "core/result.hpp"
#include "http/headers.hpp"

namespace meterline::http {

enum class Method { kGet, kHead, kPost, kPut, kPatch, kDelete, kOptions, kOther };
const char* MethodName(Method method);
Method ParseMethod(std::string_view text);

struct Route;  // http/router.hpp

struct Request {
  Method method = Method::kGet;
  std::string target;  // as received: path plus query string
  std::string path;    // percent-decoded path, no query
  std::string query;   // raw query string without '?'
  Headers headers;
  std::string body;
  std::string remote_address;  // peer IP address
  std::chrono::steady_clock::time_point received_at = std::chrono::steady_clock::now();

  // Set by the transport when the request could not be read as a whole (body
  // over the limit, malformed HTTP). The pipeline answers with this error.
  std::optional<Error> transport_error;

  // Filled in by the pipeline.
  std::string request_id;
  const Route* route = nullptr;  // nullptr when no route matched
  std::unordered_map<std::string, std::string> path_params;
  // Who is calling, once the authenticate step has run; nullopt = anonymous.
  std::optional<Principal> principal;
  // Why presented credentials were refused (answered as 401 by the RBAC step
  // when the route needs a principal).
  std::optional<Error> auth_error;

  // Returns the decoded value of query parameter `name` (the first when repeated).
  std::optional<std::string> QueryParam(std::string_view name) const;
  // Returns the path parameter captured by ":name" in the route pattern, or "".
  std::string_view PathParam(const std::string& name) const;
  // Returns the value of cookie `name` from the Cookie header.
  std::optional<std::string> Cookie(std::string_view name) const;
};

// Decodes %XX escapes; a malformed escape is kept literally. `plus_as_space`
// for application/x-www-form-urlencoded text (query strings), not for paths
// or header values, where '+' is itself.
std::string PercentDecode(std::string_view text, bool plus_as_space = false);

// Parses "a=1&b=x%20y" into decoded pairs in order. Malformed escapes are kept literally.
std::vector<std::pair<std::string, std::string>> ParseQuery(std::string_view query);

}  // namespace meterline::http
