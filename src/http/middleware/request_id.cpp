#include "http/middleware/request_id.hpp"

#include "core/ids.hpp"

namespace meterline::http {

namespace {

bool IsSafeRequestId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

Response RequestIdMiddleware::Handle(Request& request, const Next& next) {
  std::string_view incoming = request.headers.Get("X-Request-Id");
  request.request_id = IsSafeRequestId(incoming) ? std::string(incoming) : "req_" + RandomHex(12);
  Response response = next(request);
  response.headers.Set("X-Request-Id", request.request_id);
  return response;
}

}  // namespace meterline::http
