#include "stripe/customer_portal.hpp"

#include "core/ids.hpp"
#include "stripe/client.hpp"
#include "stripe/invoice_sync.hpp"
#include "stripe/json_fields.hpp"

namespace meterline::stripe {

Result<std::string> CustomerPortal::SessionUrl(const std::string& customer_id, const std::string& return_url) {
  bool web = return_url.rfind("https://", 0) == 0 || return_url.rfind("http://", 0) == 0;
  if (!web || return_url.size() > 2048 || return_url.find_first_of(" \r\n") != std::string::npos) {
    return InvalidParam("return_url", "return_url must be an absolute http(s) URL of at most 2,048 characters");
  }
  MTL_ASSIGN_OR_RETURN(auto stripe_customer, sync_.EnsureCustomer(customer_id));
  // Each session is new: a key of its own, so a retry of this call is not a replay.
  MTL_ASSIGN_OR_RETURN(
      auto session, stripe_.Post("billing_portal/sessions", {{"customer", stripe_customer}, {"return_url", return_url}},
                                 "portal-" + customer_id + "-" + RandomHex(8)));
  std::string url = TextField(session, "url");
  if (url.empty()) return Error(ErrorCode::kUnavailable, "stripe_bad_response", "Stripe's portal session has no url");
  return url;
}

}  // namespace meterline::stripe
