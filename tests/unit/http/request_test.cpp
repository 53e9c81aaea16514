#include "http/request.hpp"

#include <gtest/gtest.h>

namespace meterline::http {
namespace {

TEST(RequestTest, QueryParamsAreDecoded) {
  Request req;
  req.query = "status=paid&from=2025-01-01&q=a%20b+c&empty=&flag";
  EXPECT_EQ(req.QueryParam("status"), "paid");
  EXPECT_EQ(req.QueryParam("q"), "a b c");
  EXPECT_EQ(req.QueryParam("empty"), "");
  EXPECT_EQ(req.QueryParam("flag"), "");
  EXPECT_FALSE(req.QueryParam("missing").has_value());
}

TEST(RequestTest, MalformedEscapesStayLiteral) {
  auto pairs = ParseQuery("a=%zz&b=%4");
  ASSERT_EQ(pairs.size(), 2u);
  EXPECT_EQ(pairs[0].second, "%zz");
  EXPECT_EQ(pairs[1].second, "%4");
}

TEST(RequestTest, CookiesAreFoundByName) {
  Request req;
  req.headers.Add("Cookie", "a=1; session=abc.def ; csrf=xyz");
  EXPECT_EQ(req.Cookie("session"), "abc.def");
  EXPECT_EQ(req.Cookie("csrf"), "xyz");
  EXPECT_FALSE(req.Cookie("sess").has_value());
}

TEST(HeadersTest, LookupIsCaseInsensitiveAndSetReplaces) {
  Headers h;
  h.Add("Content-Type", "text/plain");
  EXPECT_EQ(h.Get("content-type"), "text/plain");
  h.Set("CONTENT-TYPE", "application/json");
  EXPECT_EQ(h.fields().size(), 1u);
  EXPECT_EQ(h.Get("Content-Type"), "application/json");
  h.Remove("content-type");
  EXPECT_FALSE(h.Has("Content-Type"));
}

}  // namespace
}  // namespace meterline::http

namespace meterline::http {
namespace {

TEST(PercentDecodeTest, DecodesEscapesAndKeepsMalformedOnes) {
  EXPECT_EQ(PercentDecode("%2Fad-server%2Feu"), "/ad-server/eu");
  EXPECT_EQ(PercentDecode("a+b"), "a+b") << "'+' is itself outside query strings";
  EXPECT_EQ(PercentDecode("a+b%20c", true), "a b c");
  EXPECT_EQ(PercentDecode("%41%4a%4A"), "AJJ");
  EXPECT_EQ(PercentDecode("100%"), "100%");
  EXPECT_EQ(PercentDecode("%4"), "%4");
  EXPECT_EQ(PercentDecode("%zz%"), "%zz%");
  EXPECT_EQ(PercentDecode(""), "");
}

}  // namespace
}  // namespace meterline::http
