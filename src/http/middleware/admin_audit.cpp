#include "http/middleware/admin_audit.hpp"

namespace meterline::http {

Response AdminAuditMiddleware::Handle(Request& request, const Next& next) {
  Response response = next(request);
  bool mutating = request.method == Method::kPost || request.method == Method::kPut ||
                  request.method == Method::kPatch || request.method == Method::kDelete;
  if (mutating && request.principal && request.principal->role == Role::kAdmin) record_(request, response);
  return response;
}

}  // namespace meterline::http
