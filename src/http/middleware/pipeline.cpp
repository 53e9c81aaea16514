#include "http/middleware/pipeline.hpp"

#include <exception>
#include <string>

#include "core/log.hpp"
#include "http/content_encoding.hpp"
#include "http/error_mapping.hpp"
#include "http/json_body.hpp"
#include "http/static_files.hpp"

namespace meterline::http {

namespace {

// Any case: "/API/V1/…" matches no route, and must get the API's JSON 404, not the console.
bool IsApiPath(std::string_view path) {
  return EqualsIgnoreCase(path, "/api") || (path.size() > 4 && EqualsIgnoreCase(path.substr(0, 5), "/api/"));
}

}  // namespace

Response Next::operator()(Request& request) const { return pipeline_->RunFrom(index_, request); }

Pipeline::Pipeline(const Router& router, const StaticFiles* static_files)
    : router_(router), static_files_(static_files) {}

void Pipeline::Use(std::unique_ptr<Middleware> step) { steps_.push_back(std::move(step)); }

bool Pipeline::IsCheap(const Request& request) const {
  if (request.transport_error) return true;
  Router::Match match = router_.Find(request.method, request.path);
  return match.route != nullptr ? match.route->cheap : IsApiPath(request.path);
}

size_t Pipeline::BodyLimit(const Request& request) const {
  Router::Match match = router_.Find(request.method, request.path);
  return match.route != nullptr ? match.route->max_body_bytes : 0;
}

Response Pipeline::Handle(Request& request) {
  // Match first, so that every step (access log, feature flags, RBAC) knows the route.
  Router::Match match = router_.Find(request.method, request.path);
  request.route = match.route;
  request.path_params = std::move(match.params);
  try {
    return RunFrom(0, request);
  } catch (const std::exception& e) {
    log::Error("unhandled exception in middleware", {{"request_id", request.request_id}, {"error", e.what()}});
  } catch (...) {
    log::Error("unhandled non-standard exception in middleware", {{"request_id", request.request_id}});
  }
  Response response = ErrorResponse(Internal("unhandled exception"), request.request_id);
  response.headers.Set("X-Request-Id", request.request_id);
  return response;
}

Response Pipeline::RunFrom(size_t index, Request& request) const {
  if (index < steps_.size()) return steps_[index]->Handle(request, Next(*this, index + 1));
  return Terminal(request);
}

Response Pipeline::Terminal(Request& request) const {
  if (request.transport_error) {
    Response response = ErrorResponse(*request.transport_error, request.request_id);
    response.close_connection = true;  // the rest of the stream was not read
    return response;
  }
  if (request.route == nullptr) {
    bool is_read = request.method == Method::kGet || request.method == Method::kHead;
    if (is_read && static_files_ != nullptr && !IsApiPath(request.path)) {
      if (auto response = static_files_->Serve(request)) return *response;
    }
    Router::Match match = router_.Find(request.method, request.path);
    if (!match.allowed.empty()) {
      std::string allow;
      for (Method m : match.allowed) {
        if (!allow.empty()) allow += ", ";
        allow += MethodName(m);
      }
      Response response = ErrorResponse(
          Error(ErrorCode::kMethodNotAllowed,
                std::string(MethodName(request.method)) + " is not allowed on " + request.path + "; allowed: " + allow),
          request.request_id);
      response.headers.Set("Allow", allow);
      return response;
    }
    return ErrorResponse(NotFound("no route for " + std::string(MethodName(request.method)) + " " + request.path),
                         request.request_id);
  }
  if (request.route->encoded_body) {
    size_t limit = request.route->max_body_bytes > 0 ? request.route->max_body_bytes : size_t{1} << 20;
    Status decoded = DecodeBody(request.headers.Get("Content-Encoding"), request.body, limit);
    if (!decoded.ok()) return ErrorResponse(decoded.error(), request.request_id);
  }
  bool ndjson = request.route->ndjson_body &&
                EqualsIgnoreCase(MediaType(request.headers.Get("Content-Type")), "application/x-ndjson");
  if (ndjson && request.body.empty()) {
    return ErrorResponse(Error(ErrorCode::kInvalidArgument, "invalid_json", "request body is empty"),
                         request.request_id);
  }
  if (!ndjson && (request.route->json_body || (request.route->json_body_optional && !request.body.empty()))) {
    std::string_view content_type = request.headers.Get("Content-Type");
    // A streamed body is parsed once, by its handler, which reports malformed JSON
    // with the same error; CloudEvents (a media type or ce-* headers) are not streamed.
    bool streamed = request.route->streamed_json_body && !IsCloudEventsContentType(content_type) &&
                    !request.headers.Has("ce-specversion");
    auto error = streamed ? CheckJsonMediaType(request.body, content_type) : CheckJsonBody(request.body, content_type);
    if (error) return ErrorResponse(*error, request.request_id);
  }
  try {
    Result<Response> result = request.route->handler(request);
    if (!result.ok()) {
      const Error& error = result.error();
      if (error.code == ErrorCode::kInternal) {
        log::Error("request failed",
                   {{"request_id", request.request_id}, {"route", request.route->pattern}, {"error", error.message}});
      } else if (error.code == ErrorCode::kUnavailable) {
        log::Warn("request failed: a dependency is unavailable",
                  {{"request_id", request.request_id}, {"route", request.route->pattern}, {"error", error.message}});
      }
      return ErrorResponse(error, request.request_id);
    }
    return std::move(result).value();
  } catch (const std::exception& e) {
    log::Error("unhandled exception in handler",
               {{"request_id", request.request_id}, {"route", request.route->pattern}, {"error", e.what()}});
  } catch (...) {
    log::Error("unhandled non-standard exception in handler",
               {{"request_id", request.request_id}, {"route", request.route->pattern}});
  }
  return ErrorResponse(Internal("unhandled exception"), request.request_id);
}

}  // namespace meterline::http
