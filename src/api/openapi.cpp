#include <span>
#include <string>

#include "api/handlers.hpp"
#include "core/embedded_file.hpp"

namespace meterline::api {

std::span<const EmbeddedFile> EmbeddedOpenApi();  // generated from docs/openapi.yaml

http::Handler OpenApiDocument() {
  std::string body(EmbeddedOpenApi().front().content);
  return [body](http::Request&) -> Result<http::Response> {
    http::Response response = http::Response::Text(200, body, "application/yaml; charset=utf-8");
    response.headers.Set("Cache-Control", "public, max-age=300");
    return response;
  };
}

}  // namespace meterline::api
