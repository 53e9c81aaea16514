// The pipeline's contract: error schema, 404/405, JSON body checks, exceptions
// become a bare 500, request ids, feature flags — without any transport.
#include "http/middleware/pipeline.hpp"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include "core/log.hpp"
#include "http/middleware/access_log.hpp"
#include "http/middleware/feature_flag.hpp"
#include "http/middleware/request_id.hpp"

namespace meterline::http {
namespace {

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    meterline::log::Init(meterline::log::Level::kOff);
    Add(Method::kGet, "/ok", [](Request&) -> Result<Response> { return Response::Text(200, "fine"); });
    Add(Method::kGet, "/throws", [](Request&) -> Result<Response> {
      throw std::runtime_error("database password=hunter2 leaked into an exception");
    });
    Add(Method::kGet, "/conflict", [](Request&) -> Result<Response> { return Conflict("already there"); });
    Add(
        Method::kGet, "/billing/x", [](Request&) -> Result<Response> { return Response::Text(200, "billing"); },
        "billing");
    Route json;
    json.method = Method::kPost;
    json.pattern = "/json";
    json.json_body = true;
    json.handler = [](Request& r) -> Result<Response> { return Response::Json(200, r.body); };
    router_.Add(std::move(json));
    Route streamed;
    streamed.method = Method::kPost;
    streamed.pattern = "/streamed";
    streamed.json_body = true;
    streamed.streamed_json_body = true;
    streamed.handler = [](Request& r) -> Result<Response> { return Response::Text(200, r.body); };
    router_.Add(std::move(streamed));
  }

  void Add(Method m, std::string pattern, Handler h, std::string feature = "") {
    Route route;
    route.method = m;
    route.pattern = std::move(pattern);
    route.handler = std::move(h);
    route.feature = std::move(feature);
    router_.Add(std::move(route));
  }

  std::unique_ptr<Pipeline> MakePipeline(observability::Registry& registry, FeatureFlags flags = {}) {
    auto pipeline = std::make_unique<Pipeline>(router_, nullptr);
    pipeline->Use(std::make_unique<RequestIdMiddleware>());
    pipeline->Use(std::make_unique<AccessLogMiddleware>(registry));
    pipeline->Use(std::make_unique<FeatureFlagMiddleware>(flags));
    return pipeline;
  }

  Response Send(Method m, std::string path, std::string body = "", std::string content_type = "application/json",
                FeatureFlags flags = {}, Pipeline* pipeline = nullptr) {
    observability::Registry registry;
    std::unique_ptr<Pipeline> owned;
    if (pipeline == nullptr) {
      owned = MakePipeline(registry, flags);
      pipeline = owned.get();
    }
    Request req;
    req.method = m;
    req.path = std::move(path);
    req.body = std::move(body);
    if (!content_type.empty()) req.headers.Set("Content-Type", content_type);
    return pipeline->Handle(req);
  }

  static boost::json::object ErrorOf(const Response& r) {
    return boost::json::parse(r.body).as_object().at("error").as_object();
  }

  Router router_;
};

TEST_F(PipelineTest, SuccessCarriesRequestId) {
  Response r = Send(Method::kGet, "/ok");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "fine");
  EXPECT_EQ(r.headers.Get("X-Request-Id").substr(0, 4), "req_");
}

TEST_F(PipelineTest, UnknownRouteIs404InErrorSchema) {
  Response r = Send(Method::kGet, "/nope");
  EXPECT_EQ(r.status, 404);
  auto error = ErrorOf(r);
  EXPECT_EQ(error.at("code").as_string(), "not_found");
  EXPECT_EQ(error.at("request_id").as_string(), r.headers.Get("X-Request-Id"));
}

TEST_F(PipelineTest, WrongMethodIs405WithAllow) {
  Response r = Send(Method::kDelete, "/ok");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers.Get("Allow"), "GET");
  EXPECT_EQ(ErrorOf(r).at("code").as_string(), "method_not_allowed");
}

TEST_F(PipelineTest, ErrorResultMapsToStatus) {
  Response r = Send(Method::kGet, "/conflict");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(ErrorOf(r).at("message").as_string(), "already there");
}

TEST_F(PipelineTest, ExceptionBecomes500WithOnlyTheRequestId) {
  Response r = Send(Method::kGet, "/throws");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body.find("hunter2"), std::string::npos);
  EXPECT_NE(r.body.find(std::string(r.headers.Get("X-Request-Id"))), std::string::npos);
  EXPECT_EQ(ErrorOf(r).at("code").as_string(), "internal_error");
}

TEST_F(PipelineTest, MalformedJsonIs400NamingThePosition) {
  Response r = Send(Method::kPost, "/json", "{bad json");
  EXPECT_EQ(r.status, 400);
  auto error = ErrorOf(r);
  EXPECT_EQ(error.at("code").as_string(), "invalid_json");
  EXPECT_NE(std::string(error.at("message").as_string()).find("line 1 column 2"), std::string::npos)
      << error.at("message").as_string();
}

TEST_F(PipelineTest, WrongContentTypeIs415AndEmptyBodyIs400) {
  EXPECT_EQ(Send(Method::kPost, "/json", "{}", "text/plain").status, 415);
  EXPECT_EQ(Send(Method::kPost, "/json", "").status, 400);
  EXPECT_EQ(Send(Method::kPost, "/json", "{\"a\":1}", "application/json; charset=utf-8").status, 200);
}

// A streamed body reaches its handler unparsed (the handler answers malformed JSON);
// it must still be there and be JSON, and CloudEvents are checked as before.
TEST_F(PipelineTest, StreamedJsonBodyIsLeftToTheHandlerExceptCloudEvents) {
  Response handled = Send(Method::kPost, "/streamed", "{bad json");
  EXPECT_EQ(handled.status, 200);
  EXPECT_EQ(handled.body, "{bad json");
  EXPECT_EQ(Send(Method::kPost, "/streamed", "{bad json", "application/vnd.meterline+json").status, 200);
  EXPECT_EQ(Send(Method::kPost, "/streamed", "{}", "text/plain").status, 415);
  Response empty = Send(Method::kPost, "/streamed", "");
  EXPECT_EQ(empty.status, 400);
  EXPECT_EQ(ErrorOf(empty).at("message").as_string(), "request body is empty; expected JSON");
  for (const char* type : {"application/cloudevents+json", "Application/CloudEvents-Batch+JSON; charset=utf-8"}) {
    Response cloud = Send(Method::kPost, "/streamed", "{bad json", type);
    EXPECT_EQ(cloud.status, 400) << type;
    EXPECT_EQ(ErrorOf(cloud).at("code").as_string(), "invalid_json");
  }
  observability::Registry registry;
  auto pipeline = MakePipeline(registry);
  Request binary;
  binary.method = Method::kPost;
  binary.path = "/streamed";
  binary.body = "{bad json";
  binary.headers.Set("Content-Type", "application/json");
  binary.headers.Set("Ce-Specversion", "1.0");
  EXPECT_EQ(pipeline->Handle(binary).status, 400) << "a binary-mode CloudEvent";
}

TEST_F(PipelineTest, DisabledFeatureIs404FeatureDisabled) {
  FeatureFlags off;
  off.billing = false;
  Response r = Send(Method::kGet, "/billing/x", "", "", off);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(ErrorOf(r).at("code").as_string(), "feature_disabled");
  EXPECT_EQ(Send(Method::kGet, "/billing/x").status, 200);
}

TEST_F(PipelineTest, TransportErrorIsAnsweredAndClosesTheConnection) {
  Pipeline pipeline(router_, nullptr);
  pipeline.Use(std::make_unique<RequestIdMiddleware>());
  Request req;
  req.path = "/ok";
  req.transport_error = Error(ErrorCode::kPayloadTooLarge, "body too large");
  Response r = pipeline.Handle(req);
  EXPECT_EQ(r.status, 413);
  EXPECT_TRUE(r.close_connection);
  EXPECT_EQ(ErrorOf(r).at("code").as_string(), "payload_too_large");
}

TEST_F(PipelineTest, IncomingRequestIdIsKeptWhenSafe) {
  Pipeline pipeline(router_, nullptr);
  pipeline.Use(std::make_unique<RequestIdMiddleware>());
  Request good;
  good.path = "/ok";
  good.headers.Set("X-Request-Id", "trace-123.abc");
  EXPECT_EQ(pipeline.Handle(good).headers.Get("X-Request-Id"), "trace-123.abc");
  Request evil;
  evil.path = "/ok";
  evil.headers.Set("X-Request-Id", "a\"}{\"injected");
  EXPECT_EQ(pipeline.Handle(evil).headers.Get("X-Request-Id").substr(0, 4), "req_");
}

TEST_F(PipelineTest, MetricsCountRequestsByRoutePattern) {
  observability::Registry registry;
  auto pipeline = MakePipeline(registry);
  Send(Method::kGet, "/ok", "", "", {}, pipeline.get());
  Send(Method::kGet, "/ok", "", "", {}, pipeline.get());
  Send(Method::kGet, "/nope", "", "", {}, pipeline.get());
  std::string text = registry.Render();
  EXPECT_NE(text.find(R"(meterline_http_requests_total{route="/ok",method="GET",status="200"} 2)"), std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(route="unmatched",method="GET",status="404"} 1)"), std::string::npos);
  EXPECT_NE(text.find("meterline_http_requests_in_flight 0"), std::string::npos);
}

}  // namespace
}  // namespace meterline::http
