// The router and query/cookie parsing (src/http/router.cpp, src/http/request.cpp).
//
// Properties, on billingd's route patterns plus a few the fuzzer makes up:
// - a match is a route of the method asked (HEAD: else GET) whose literal segments are the path's and whose
//   parameters hold the path's other segments, and no route of that method matches with more literals;
// - the path rebuilt from the matched pattern and its parameters matches the same route with the same
//   parameters;
// - no match: no route of the method matches, and "allowed" lists exactly the methods of the routes that do;
// - ParseQuery of the percent-encoding of any query's pairs gives the same pairs, and QueryParam finds the
//   first value of a name;
// - a Cookie header written from name=value pairs gives back each name's first value.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "fuzz/check.hpp"
#include "http/router.hpp"

namespace {

using namespace meterline::http;

// billingd's routes (src/api/routes.cpp) without their handlers.
constexpr std::pair<Method, const char*> kRoutes[] = {
    {Method::kGet, "/health"},
    {Method::kGet, "/ready"},
    {Method::kGet, "/metrics"},
    {Method::kGet, "/api/v1/meta/features"},
    {Method::kGet, "/api/v1/meta/info"},
    {Method::kGet, "/api/v1/openapi.yaml"},
    {Method::kPost, "/api/v1/auth/login"},
    {Method::kPost, "/api/v1/auth/logout"},
    {Method::kGet, "/api/v1/auth/me"},
    {Method::kGet, "/api/v1/billing/customers"},
    {Method::kPost, "/api/v1/billing/customers"},
    {Method::kGet, "/api/v1/billing/customers/:id"},
    {Method::kPatch, "/api/v1/billing/customers/:id"},
    {Method::kPost, "/api/v1/usage/events"},
    {Method::kGet, "/api/v1/billing/usage/current"},
    {Method::kGet, "/api/v1/billing/usage/history"},
    {Method::kPost, "/api/v1/billing/subscriptions"},
    {Method::kGet, "/api/v1/billing/invoices"},
    {Method::kGet, "/api/v1/billing/invoices/:id"},
    {Method::kGet, "/api/v1/billing/invoices/:id/pdf"},
    {Method::kPost, "/api/v1/billing/reconcile"},
    {Method::kGet, "/api/v1/billing/reconciliations"},
    {Method::kGet, "/api/v1/billing/reconciliations/:id"},
    {Method::kPost, "/api/v1/webhooks/stripe"},
    {Method::kGet, "/api/v1/admin/api-keys"},
    {Method::kPost, "/api/v1/admin/api-keys"},
    {Method::kDelete, "/api/v1/admin/api-keys/:id"},
    {Method::kGet, "/api/v1/admin/audit"},
    {Method::kGet, "/api/v1/admin/webhooks/stripe"},
    {Method::kPost, "/api/v1/admin/webhooks/stripe/:id/retry"},
};

constexpr Method kMethods[] = {Method::kGet,   Method::kHead,   Method::kPost,    Method::kPut,
                               Method::kPatch, Method::kDelete, Method::kOptions, Method::kOther};

std::vector<std::string> Segments(std::string_view path) {
  std::vector<std::string> out;
  for (size_t pos = 0; pos < path.size();) {
    size_t end = std::min(path.find('/', pos), path.size());
    if (end > pos) out.emplace_back(path.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

// The oracle: literals matched when `route` matches `parts`, else -1.
int Literals(const Route& route, const std::vector<std::string>& parts) {
  std::vector<std::string> pattern = Segments(route.pattern);
  if (pattern.size() != parts.size()) return -1;
  int literals = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (pattern[i][0] == ':') continue;
    if (pattern[i] != parts[i]) return -1;
    ++literals;
  }
  return literals;
}

int BestLiterals(const Router& router, Method method, const std::vector<std::string>& parts) {
  int best = -1;
  for (const auto& route : router.routes()) {
    if (route->method == method) best = std::max(best, Literals(*route, parts));
  }
  return best;
}

// A path segment: any bytes but '/'.
std::string Segment(FuzzedDataProvider& in) {
  std::string text = in.ConsumeRandomLengthString(12);
  std::replace(text.begin(), text.end(), '/', '_');
  return text.empty() ? "x" : text;
}

std::string MadeUpPattern(FuzzedDataProvider& in) {
  static const char* kWords[] = {"api", "v1", "billing", "invoices", "pdf", "retry", "a", "b"};
  std::string pattern;
  int count = in.ConsumeIntegralInRange<int>(0, 5);
  for (int i = 0; i < count; ++i) {
    switch (in.ConsumeIntegralInRange<int>(0, 2)) {
      case 0: pattern += "/:p" + std::to_string(i); break;  // parameter names are distinct
      case 1: pattern += std::string("/") + kWords[in.ConsumeIntegralInRange<int>(0, 7)]; break;
      default: {
        std::string literal = Segment(in);
        if (literal[0] == ':') literal[0] = '_';
        pattern += "/" + literal;
      }
    }
  }
  return pattern.empty() ? "/" : pattern;
}

std::string PercentEncode(const std::string& text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

void CheckRouter(FuzzedDataProvider& in) {
  Router router;
  for (const auto& [method, pattern] : kRoutes) router.Add(Route{.method = method, .pattern = pattern});
  for (int i = in.ConsumeIntegralInRange<int>(0, 3); i > 0; --i) {
    try {
      router.Add(Route{.method = kMethods[in.ConsumeIntegralInRange<int>(0, 7)], .pattern = MadeUpPattern(in)});
    } catch (const std::logic_error&) {
      // The same method and pattern twice: refused, as documented.
    }
  }
  Method method = kMethods[in.ConsumeIntegralInRange<int>(0, 7)];
  std::string path;
  if (in.ConsumeBool()) {
    // A path made for one of the routes, its parameters filled in.
    const auto& routes = router.routes();
    const Route& target = *routes[in.ConsumeIntegralInRange<size_t>(0, routes.size() - 1)];
    for (const std::string& segment : Segments(target.pattern)) {
      path += "/" + (segment[0] == ':' ? Segment(in) : segment);
    }
  } else {
    path = in.ConsumeRandomLengthString(200);
  }

  Router::Match match = router.Find(method, path);
  std::vector<std::string> parts = Segments(path);
  if (match.route != nullptr) {
    Method effective = match.route->method;
    FUZZ_CHECK(effective == method || (method == Method::kHead && effective == Method::kGet &&
                                       BestLiterals(router, Method::kHead, parts) < 0));
    int literals = Literals(*match.route, parts);
    FUZZ_CHECK(literals >= 0 && literals == BestLiterals(router, effective, parts));
    std::vector<std::string> pattern = Segments(match.route->pattern);
    std::string rebuilt;
    size_t params = 0;
    for (size_t i = 0; i < pattern.size(); ++i) {
      if (pattern[i][0] != ':') {
        rebuilt += "/" + pattern[i];
        continue;
      }
      auto it = match.params.find(pattern[i].substr(1));
      FUZZ_CHECK(it != match.params.end() && it->second == parts[i]);
      rebuilt += "/" + it->second;
      ++params;
    }
    FUZZ_CHECK(match.params.size() == params);
    Router::Match again = router.Find(method, rebuilt.empty() ? "/" : rebuilt);
    FUZZ_CHECK(again.route == match.route && again.params == match.params);
    return;
  }
  FUZZ_CHECK(BestLiterals(router, method, parts) < 0);
  if (method == Method::kHead) FUZZ_CHECK(BestLiterals(router, Method::kGet, parts) < 0);
  for (Method m : kMethods) {
    bool listed = std::count(match.allowed.begin(), match.allowed.end(), m) == 1;
    FUZZ_CHECK(listed == (BestLiterals(router, m, parts) >= 0));
  }
  FUZZ_CHECK(match.allowed.size() <= std::size(kMethods));
}

void CheckQueryAndCookies(FuzzedDataProvider& in) {
  Request request;
  request.query = in.ConsumeRandomLengthString(300);
  auto pairs = ParseQuery(request.query);
  std::string encoded;
  for (const auto& [name, value] : pairs) {
    encoded += (encoded.empty() ? "" : "&") + PercentEncode(name) + "=" + PercentEncode(value);
  }
  FUZZ_CHECK(ParseQuery(encoded) == pairs);
  if (!pairs.empty()) FUZZ_CHECK(request.QueryParam(pairs.front().first) == pairs.front().second);

  // Cookie names are tokens; values are anything but ';' and surrounding blanks.
  std::vector<std::pair<std::string, std::string>> cookies;
  std::string header;
  for (int i = in.ConsumeIntegralInRange<int>(0, 4); i > 0; --i) {
    std::string name = "c" + std::to_string(in.ConsumeIntegralInRange<int>(0, 3));
    std::string value = in.ConsumeRandomLengthString(20);
    std::replace(value.begin(), value.end(), ';', ',');
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.erase(0, 1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
    header += (header.empty() ? "" : "; ") + name + "=" + value;
    cookies.emplace_back(name, value);
  }
  request.headers.Add("cookie", header);
  for (const auto& cookie : cookies) {
    auto first = std::find_if(cookies.begin(), cookies.end(), [&](const auto& c) { return c.first == cookie.first; });
    FUZZ_CHECK(request.Cookie(cookie.first) == first->second);
  }
  FUZZ_CHECK(!request.Cookie("missing").has_value());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  if (in.ConsumeBool()) {
    CheckRouter(in);
  } else {
    CheckQueryAndCookies(in);
  }
  return 0;
}
