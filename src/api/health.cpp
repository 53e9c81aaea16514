#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "api/handlers.hpp"
#include "core/log.hpp"
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
    // The probe is public: it says which check failed, the log says why
    // (the reasons name hosts and schema state).
    auto check = [&](const char* name, const Status& status, const std::string& ok_text = "ok") {
      if (status.ok()) {
        checks[name] = ok_text;
        return;
      }
      ready = false;
      checks[name] = "failed";
      log::Warn("readiness check failed", {{"check", name}, {"error", status.error().message}});
    };
    Status ping = context.db.Ping();
    check("database", ping);
    if (ping.ok()) {
      check("migrations", storage::Migrator(context.db).CheckCurrent());
    } else {
      checks["migrations"] = "unknown";
    }
    check("usage_store", context.usage_store.Ping(), std::string(context.usage_store.name()));
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
