// Router: maps (method, path) to a Route. Patterns are literal segments and
// ":name" parameters, e.g. "/api/v1/billing/invoices/:id". When several routes
// match, the one with more literal segments wins; HEAD falls back to GET.
// Not thread-safe while routes are added; read-only (and thread-safe) afterwards.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/principal.hpp"
#include "core/result.hpp"
#include "http/request.hpp"
#include "http/response.hpp"

namespace meterline::http {

using Handler = std::function<Result<Response>(Request&)>;

struct Route {
  Method method = Method::kGet;
  std::string pattern;  // "/api/v1/billing/invoices/:id"
  Handler handler;
  // Feature flag that must be on for the route to exist ("" = always on); see
  // middleware/feature_flag.
  std::string feature;
  // True when the handler never blocks (no database or network I/O); such
  // requests run on the I/O thread instead of the worker pool.
  bool cheap = false;
  // True when the handler reads a JSON body: the pipeline parses it first and
  // answers 415/400 for a wrong Content-Type or malformed JSON.
  bool json_body = false;
  // Like json_body for a route whose body may be left out: checked when sent.
  bool json_body_optional = false;
  // With json_body: the handler parses the body as a stream, so the pipeline
  // checks only that there is one and its Content-Type (400/415) and leaves
  // malformed JSON to the handler, which answers it with http::MalformedJsonError.
  // CloudEvents bodies (that media type, or a ce-specversion header) are still
  // parsed by the pipeline.
  bool streamed_json_body = false;
  // Roles allowed to call the route; empty = public (no authentication needed).
  std::vector<Role> roles;
  // Rate-limit group ("billing", "auth", "ingest"; "" = not limited); limits per
  // group come from configuration (see middleware/rate_limit).
  std::string rate_group;
  // Largest request body in bytes; 0 = the server's MAX_BODY_BYTES.
  size_t max_body_bytes = 0;
  // Accepts Content-Encoding: gzip: the pipeline decodes the body (to at most
  // max_body_bytes, or 1 MiB when 0) before anything reads it.
  bool encoded_body = false;
  // Also takes application/x-ndjson (one JSON value per line), which the
  // handler checks line by line instead of the pipeline's JSON check.
  bool ndjson_body = false;

  std::vector<std::string> segments;  // filled by Router::Add
};

class Router {
 public:
  // REQUIRES: pattern starts with '/'; no two routes share method and pattern.
  void Add(Route route);

  struct Match {
    const Route* route = nullptr;  // nullptr: no route for this method
    std::unordered_map<std::string, std::string> params;
    std::vector<Method> allowed;  // methods the path has (for 405)
  };
  Match Find(Method method, std::string_view path) const;

  const std::vector<std::unique_ptr<Route>>& routes() const { return routes_; }

 private:
  std::vector<std::unique_ptr<Route>> routes_;
};

}  // namespace meterline::http
