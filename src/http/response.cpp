#include "http/response.hpp"

namespace meterline::http {

Response Response::Json(int status, std::string json) {
  Response r;
  r.status = status;
  r.headers.Set("Content-Type", "application/json");
  r.body = std::move(json);
  return r;
}

Response Response::Text(int status, std::string text, std::string content_type) {
  Response r;
  r.status = status;
  r.headers.Set("Content-Type", std::move(content_type));
  r.body = std::move(text);
  return r;
}

Response Response::NoContent(int status) {
  Response r;
  r.status = status;
  return r;
}

}  // namespace meterline::http
