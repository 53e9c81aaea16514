// AdminAudit: every mutating request made by an admin (POST/PUT/PATCH/DELETE)
// is written to the audit log after it is answered, with its route, status and
// request id, whatever the handler itself records.
#pragma once

#include <functional>

#include "http/middleware/middleware.hpp"

namespace meterline::http {

using AuditFn = std::function<void(const Request& request, const Response& response)>;

class AdminAuditMiddleware final : public Middleware {
 public:
  explicit AdminAuditMiddleware(AuditFn record) : record_(std::move(record)) {}
  Response Handle(Request& request, const Next& next) override;

 private:
  AuditFn record_;
};

}  // namespace meterline::http
