// Csrf: a POST/PUT/PATCH/DELETE authenticated by the session cookie must carry
// X-CSRF-Token matching the CSRF cookie and bound to the session, else 403
// "csrf_failed". Bearer tokens and API keys are exempt: a browser never sends
// them on its own, so there is no ambient credential to abuse.
#pragma once

#include <functional>
#include <string_view>

#include "http/middleware/middleware.hpp"

namespace meterline::http {

// (session id, cookie token, header token) -> valid?
using CsrfVerifyFn = std::function<bool(std::string_view, std::string_view, std::string_view)>;

class CsrfMiddleware final : public Middleware {
 public:
  explicit CsrfMiddleware(CsrfVerifyFn verify) : verify_(std::move(verify)) {}
  Response Handle(Request& request, const Next& next) override;

 private:
  CsrfVerifyFn verify_;
};

}  // namespace meterline::http
