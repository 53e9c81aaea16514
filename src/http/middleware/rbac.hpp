// Rbac: a route with roles needs a principal with one of them: none → 401
// (with the reason the credentials were refused), another role → 403.
// Which objects a member may see is the handler's business: a member naming
// another customer's object gets 404 there (see api/scope.hpp).
#pragma once

#include "http/middleware/middleware.hpp"

namespace meterline::http {

class RbacMiddleware final : public Middleware {
 public:
  Response Handle(Request& request, const Next& next) override;
};

}  // namespace meterline::http
