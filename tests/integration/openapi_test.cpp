// docs/openapi.yaml must document exactly the routes billingd registers.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "support/billingd_harness.hpp"
#include "support/http_client.hpp"

namespace meterline::testing {
namespace {

// Reads "METHOD /path/:param" pairs from the paths section of an OpenAPI YAML
// document written in this project's layout (paths at indent 2, methods at 4).
std::set<std::string> DocumentedRoutes(const std::string& yaml) {
  std::set<std::string> routes;
  std::istringstream in(yaml);
  std::string line, current_path;
  bool in_paths = false;
  while (std::getline(in, line)) {
    if (line == "paths:") {
      in_paths = true;
      continue;
    }
    if (!in_paths) continue;
    if (!line.empty() && line[0] != ' ') break;  // next top-level key
    if (line.rfind("  /", 0) == 0 && line.back() == ':') {
      current_path = line.substr(2, line.size() - 3);
      // {id} -> :id
      std::string converted;
      for (size_t i = 0; i < current_path.size(); ++i) {
        if (current_path[i] == '{') {
          converted += ':';
        } else if (current_path[i] != '}') {
          converted += current_path[i];
        }
      }
      current_path = converted;
      continue;
    }
    for (const char* method : {"get", "post", "put", "patch", "delete"}) {
      if (line == std::string("    ") + method + ":") {
        std::string upper(method);
        std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
        routes.insert(upper + " " + current_path);
      }
    }
  }
  return routes;
}

TEST(OpenApiTest, DocumentMatchesRouter) {
  // The document as billingd serves it (compiled in from docs/openapi.yaml).
  BillingdHarness billingd({});
  HttpClient client(billingd.base_url());
  HttpResult yaml = client.Get("/api/v1/openapi.yaml");
  ASSERT_EQ(yaml.status, 200);
  std::set<std::string> documented = DocumentedRoutes(yaml.body);
  ASSERT_FALSE(documented.empty());

  std::set<std::string> registered;
  for (const auto& route : billingd.app().router.routes()) {
    registered.insert(std::string(http::MethodName(route->method)) + " " + route->pattern);
  }
  for (const auto& r : registered) EXPECT_TRUE(documented.count(r)) << r << " is served but not in docs/openapi.yaml";
  for (const auto& d : documented) EXPECT_TRUE(registered.count(d)) << d << " is documented but not served";
}

}  // namespace
}  // namespace meterline::testing
