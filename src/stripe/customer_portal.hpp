// CustomerPortal: Stripe's Customer Portal, where a customer adds, removes
// and chooses their payment methods (the default one a trial's end may
// require, which customer.updated brings back: webhook_handlers.hpp).
// Meterline only opens a session for one of its customers — creating the
// Stripe customer when it has none yet — and hands out the session's URL.
#pragma once

#include <string>

#include "core/result.hpp"

namespace meterline::stripe {

class StripeClient;
class InvoiceSync;

class CustomerPortal {
 public:
  CustomerPortal(StripeClient& stripe, InvoiceSync& sync) : stripe_(stripe), sync_(sync) {}

  // POST /v1/billing_portal/sessions for the customer; Stripe sends them
  // back to `return_url` (absolute http(s)) when they are done. Returns the
  // session's URL. kUnavailable "not_configured" without STRIPE_SECRET_KEY;
  // kInvalidArgument (param return_url) for a bad URL.
  Result<std::string> SessionUrl(const std::string& customer_id, const std::string& return_url);

 private:
  StripeClient& stripe_;
  InvoiceSync& sync_;
};

}  // namespace meterline::stripe
