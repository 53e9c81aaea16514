#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "api/handlers.hpp"

#ifndef MTL_VERSION
#define MTL_VERSION "0.0.0"
#endif
#ifndef MTL_GIT_COMMIT
#define MTL_GIT_COMMIT "unknown"
#endif

namespace meterline::api {

BuildInfo CurrentBuildInfo() {
  BuildInfo info;
  info.version = MTL_VERSION;
  info.git_commit = MTL_GIT_COMMIT;
  return info;
}

http::Handler MetaFeatures(const ApiContext& context) {
  // The flags never change while the process runs, so the body is built once.
  boost::json::object flags;
  flags["billing"] = context.features.billing;
  flags["transparency"] = context.features.transparency;
  flags["fraudDetection"] = context.features.fraud_detection;
  flags["abTesting"] = context.features.ab_testing;
  std::string body = boost::json::serialize(flags);
  return [body](http::Request&) -> Result<http::Response> {
    http::Response response = http::Response::Json(200, body);
    response.headers.Set("Cache-Control", "public, max-age=60");
    return response;
  };
}

http::Handler MetaInfo(const ApiContext& context) {
  boost::json::object info;
  info["name"] = context.build.name;
  info["version"] = context.build.version;
  info["apiVersion"] = context.build.api_version;
  info["gitCommit"] = context.build.git_commit;
  info["startedAt"] = FormatIso8601(context.started_at);
  std::string body = boost::json::serialize(info);
  return [body](http::Request&) -> Result<http::Response> { return http::Response::Json(200, body); };
}

}  // namespace meterline::api
