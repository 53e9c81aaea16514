#include "http/static_files.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace meterline::http {
namespace {

namespace fs = std::filesystem;

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("mtl_static_" + std::to_string(::getpid()) + "_" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(root_ / "dist" / "assets");
    Write("dist/index.html", "<html>app</html>");
    Write("dist/assets/index-3f9a1c2b.js", "console.log(1)");
    Write("dist/favicon.svg", "<svg/>");
    Write("secret.txt", "outside the root");
    files_ = StaticFiles::Open(root_ / "dist");
    ASSERT_NE(files_, nullptr);
  }
  void TearDown() override { fs::remove_all(root_); }
  void Write(const std::string& rel, const std::string& content) { std::ofstream(root_ / rel) << content; }
  std::optional<Response> Get(std::string path, std::string if_none_match = "") {
    Request req;
    req.path = std::move(path);
    if (!if_none_match.empty()) req.headers.Set("If-None-Match", if_none_match);
    return files_->Serve(req);
  }

  fs::path root_;
  std::unique_ptr<StaticFiles> files_;
};

TEST_F(StaticFilesTest, ServesIndexWithNoCache) {
  auto r = Get("/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "<html>app</html>");
  EXPECT_EQ(r->headers.Get("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(r->headers.Get("Cache-Control"), "no-cache");
}

TEST_F(StaticFilesTest, HashedAssetsAreImmutable) {
  auto r = Get("/assets/index-3f9a1c2b.js");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->headers.Get("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(r->headers.Get("Cache-Control"), "public, max-age=31536000, immutable");
  Write("dist/assets/index-Bx-9Ab_d.js", "hash with a dash");
  auto dashed = Get("/assets/index-Bx-9Ab_d.js");
  ASSERT_TRUE(dashed);
  EXPECT_EQ(dashed->headers.Get("Cache-Control"), "public, max-age=31536000, immutable") << "base64url hashes have '-'";
  auto svg = Get("/favicon.svg");
  ASSERT_TRUE(svg);
  EXPECT_EQ(svg->headers.Get("Content-Type"), "image/svg+xml");
  EXPECT_EQ(svg->headers.Get("Cache-Control"), "public, max-age=300");
}

TEST_F(StaticFilesTest, ClientRoutesFallBackToIndex) {
  auto r = Get("/billing/invoices/inv_123");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "<html>app</html>");
  EXPECT_FALSE(Get("/assets/missing-12345678.js").has_value());
}

TEST_F(StaticFilesTest, CannotEscapeTheRoot) {
  auto r = Get("/../secret.txt");
  EXPECT_FALSE(r.has_value() && r->body == "outside the root");
  auto r2 = Get("/assets/../../secret.txt");
  EXPECT_FALSE(r2.has_value() && r2->body == "outside the root");
}

TEST_F(StaticFilesTest, PrecompressedSiblingsOnDisk) {
  Write("dist/assets/index-3f9a1c2b.js.br", "brotli bytes");
  Request req;
  req.path = "/assets/index-3f9a1c2b.js";
  req.headers.Set("Accept-Encoding", "br");
  auto r = files_->Serve(req);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "brotli bytes");
  EXPECT_EQ(r->headers.Get("Content-Encoding"), "br");
}

TEST_F(StaticFilesTest, EtagGives304) {
  auto first = Get("/favicon.svg");
  ASSERT_TRUE(first);
  std::string etag(first->headers.Get("ETag"));
  ASSERT_FALSE(etag.empty());
  auto second = Get("/favicon.svg", etag);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 304);
  EXPECT_TRUE(second->body.empty());
}

TEST(StaticFilesOpenTest, MissingBuildGivesNull) { EXPECT_EQ(StaticFiles::Open("/nonexistent/dir"), nullptr); }

Response Fetch(const StaticFiles& files, std::string path, std::string accept_encoding,
               std::string if_none_match = "") {
  Request req;
  req.path = std::move(path);
  if (!accept_encoding.empty()) req.headers.Set("Accept-Encoding", accept_encoding);
  if (!if_none_match.empty()) req.headers.Set("If-None-Match", if_none_match);
  auto r = files.Serve(req);
  EXPECT_TRUE(r);
  return r.value_or(Response{});
}

TEST(EmbeddedStaticFilesTest, PrecompressedVariantsFollowAcceptEncoding) {
  const EmbeddedFile files[] = {{"index.html", "<html>app</html>"},
                                {"assets/index-3f9a1c2b.js", "plain js"},
                                {"assets/index-3f9a1c2b.js.gz", "gzip bytes"},
                                {"assets/index-3f9a1c2b.js.br", "brotli bytes"},
                                {"favicon.svg", "<svg/>"}};
  auto served = StaticFiles::Embedded(files);
  ASSERT_NE(served, nullptr);
  const std::string js = "/assets/index-3f9a1c2b.js";

  Response br = Fetch(*served, js, "gzip, deflate, br");
  EXPECT_EQ(br.body, "brotli bytes");
  EXPECT_EQ(br.headers.Get("Content-Encoding"), "br");
  EXPECT_EQ(br.headers.Get("Vary"), "Accept-Encoding");
  EXPECT_EQ(br.headers.Get("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(br.headers.Get("Cache-Control"), "public, max-age=31536000, immutable");

  Response gz = Fetch(*served, js, "gzip");
  EXPECT_EQ(gz.body, "gzip bytes");
  EXPECT_EQ(gz.headers.Get("Content-Encoding"), "gzip");
  EXPECT_NE(gz.headers.Get("ETag"), br.headers.Get("ETag")) << "one validator per encoding";

  Response refused = Fetch(*served, js, "br;q=0, gzip;q=0.5");
  EXPECT_EQ(refused.headers.Get("Content-Encoding"), "gzip") << "q=0 refuses a coding";
  Response plain = Fetch(*served, js, "");
  EXPECT_EQ(plain.body, "plain js");
  EXPECT_FALSE(plain.headers.Has("Content-Encoding"));
  EXPECT_EQ(plain.headers.Get("Vary"), "Accept-Encoding");
  EXPECT_EQ(Fetch(*served, js, "identity").body, "plain js");

  EXPECT_EQ(Fetch(*served, js, "br", std::string(br.headers.Get("ETag"))).status, 304);
  Response svg = Fetch(*served, "/favicon.svg", "br");
  EXPECT_EQ(svg.body, "<svg/>");
  EXPECT_FALSE(svg.headers.Has("Vary")) << "no variants, nothing varies";
  EXPECT_EQ(Fetch(*served, "/billing/invoices", "br").body, "<html>app</html>") << "client routes";
  EXPECT_FALSE(served->Serve(Request{.path = "/assets/missing.js"}));
}

TEST(EmbeddedStaticFilesTest, NoIndexMeansNoConsole) {
  const EmbeddedFile files[] = {{"favicon.svg", "<svg/>"}};
  EXPECT_EQ(StaticFiles::Embedded(files), nullptr);
  EXPECT_EQ(StaticFiles::Embedded({}), nullptr);
}

}  // namespace
}  // namespace meterline::http
