#include "http/router.hpp"

#include <gtest/gtest.h>

namespace meterline::http {
namespace {

Route MakeRoute(Method method, std::string pattern, std::string tag) {
  Route route;
  route.method = method;
  route.pattern = std::move(pattern);
  route.handler = [tag](Request&) -> Result<Response> { return Response::Text(200, tag); };
  return route;
}

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.Add(MakeRoute(Method::kGet, "/api/v1/billing/invoices", "list"));
    router_.Add(MakeRoute(Method::kGet, "/api/v1/billing/invoices/:id", "get"));
    router_.Add(MakeRoute(Method::kGet, "/api/v1/billing/invoices/:id/pdf", "pdf"));
    router_.Add(MakeRoute(Method::kGet, "/api/v1/billing/invoices/summary", "summary"));
    router_.Add(MakeRoute(Method::kPost, "/api/v1/billing/reconcile", "reconcile"));
  }
  std::string Tag(Method m, std::string_view path) {
    auto match = router_.Find(m, path);
    if (!match.route) return "";
    Request req;
    return match.route->handler(req)->body;
  }
  Router router_;
};

TEST_F(RouterTest, MatchesLiteralAndParameterSegments) {
  EXPECT_EQ(Tag(Method::kGet, "/api/v1/billing/invoices"), "list");
  auto match = router_.Find(Method::kGet, "/api/v1/billing/invoices/inv_123/pdf");
  ASSERT_NE(match.route, nullptr);
  EXPECT_EQ(match.route->pattern, "/api/v1/billing/invoices/:id/pdf");
  EXPECT_EQ(match.params.at("id"), "inv_123");
}

TEST_F(RouterTest, LiteralBeatsParameter) {
  EXPECT_EQ(Tag(Method::kGet, "/api/v1/billing/invoices/summary"), "summary");
  EXPECT_EQ(Tag(Method::kGet, "/api/v1/billing/invoices/inv_1"), "get");
}

TEST_F(RouterTest, TrailingSlashIsIgnored) { EXPECT_EQ(Tag(Method::kGet, "/api/v1/billing/invoices/"), "list"); }

TEST_F(RouterTest, WrongMethodReportsAllowedMethods) {
  auto match = router_.Find(Method::kDelete, "/api/v1/billing/invoices/inv_1");
  EXPECT_EQ(match.route, nullptr);
  ASSERT_EQ(match.allowed.size(), 1u);
  EXPECT_EQ(match.allowed[0], Method::kGet);
}

TEST_F(RouterTest, UnknownPathHasNoRouteAndNoAllowedMethods) {
  auto match = router_.Find(Method::kGet, "/api/v1/nothing");
  EXPECT_EQ(match.route, nullptr);
  EXPECT_TRUE(match.allowed.empty());
  EXPECT_EQ(router_.Find(Method::kGet, "/api/v1/billing/invoices/a/b/c").route, nullptr);
}

TEST_F(RouterTest, HeadFallsBackToGet) { EXPECT_EQ(Tag(Method::kHead, "/api/v1/billing/invoices"), "list"); }

TEST_F(RouterTest, DuplicateRouteIsAProgrammerError) {
  EXPECT_THROW(router_.Add(MakeRoute(Method::kGet, "/api/v1/billing/invoices", "again")), std::logic_error);
}

}  // namespace
}  // namespace meterline::http
