#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "api/handlers.hpp"
#include "metering/usage_store.hpp"
#include "observability/metrics.hpp"
#include "storage/database.hpp"
#include "storage/migrator.hpp"

namespace meterline::api {

http::Handler Health() {
  return [](http::Request&) -> Result<http::Response> {
    http::Response response = http::Response::Json(200, R"({"status":"ok"})");
    response.headers.Set("Cache-Control", "no-store");
    return response;
  };
}

http::Handler Ready(ApiContext& context) {
  return [&context](http::Request&) -> Result<http::Response> {
    boost::json::object checks;
    bool ready = true;
    Status ping = context.db.Ping();
    checks["database"] = ping.ok() ? "ok" : ping.error().message;
    ready = ready && ping.ok();
    if (ping.ok()) {
      Status migrations = storage::Migrator(context.db).CheckCurrent();
      checks["migrations"] = migrations.ok() ? "ok" : migrations.error().message;
      ready = ready && migrations.ok();
    } else {
      checks["migrations"] = "unknown";
    }
    Status usage_store = context.usage_store.Ping();
    checks["usage_store"] = usage_store.ok() ? std::string(context.usage_store.name()) : usage_store.error().message;
    ready = ready && usage_store.ok();
    boost::json::object body;
    body["status"] = ready ? "ready" : "not_ready";
    body["checks"] = std::move(checks);
    http::Response response = http::Response::Json(ready ? 200 : 503, boost::json::serialize(body));
    response.headers.Set("Cache-Control", "no-store");
    return response;
  };
}

http::Handler Metrics(ApiContext& context) {
  return [&context](http::Request&) -> Result<http::Response> {
    http::Response response =
        http::Response::Text(200, context.metrics.Render(), "text/plain; version=0.0.4; charset=utf-8");
    response.headers.Set("Cache-Control", "no-store");
    return response;
  };
}

}  // namespace meterline::api
