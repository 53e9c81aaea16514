// RequestId: gives every request an id and every response an X-Request-Id header.
// A well-formed incoming X-Request-Id (1-64 of [A-Za-z0-9._-]) is kept so ids
// can be traced across services; anything else is replaced by "req_<random>".
#pragma once

#include "http/middleware/middleware.hpp"

namespace meterline::http {

class RequestIdMiddleware final : public Middleware {
 public:
  Response Handle(Request& request, const Next& next) override;
};

}  // namespace meterline::http
