// ClientAddress: replaces request.remote_address (the TCP peer) with the
// client's address when the peer is a trusted reverse proxy (TRUSTED_PROXIES,
// see http/client_address.hpp). Rate limits, login throttling, the access log
// and audit rows all read the resolved address.
#pragma once

#include "http/client_address.hpp"
#include "http/middleware/middleware.hpp"

namespace meterline::http {

class ClientAddressMiddleware final : public Middleware {
 public:
  explicit ClientAddressMiddleware(TrustedProxies trusted) : trusted_(std::move(trusted)) {}
  Response Handle(Request& request, const Next& next) override {
    if (!trusted_.empty())
      request.remote_address = ResolveClientAddress(request.remote_address, request.headers, trusted_);
    return next(request);
  }

 private:
  TrustedProxies trusted_;
};

}  // namespace meterline::http
