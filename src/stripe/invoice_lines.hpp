// Every line of a Stripe invoice. An invoice object embeds only the first
// page of its lines (10) with has_more; the rest come from
// GET /v1/invoices/{id}/lines, 100 at a time.
#pragma once

#include <boost/json/object.hpp>

#include <vector>

#include "core/result.hpp"
#include "stripe/client.hpp"

namespace meterline::stripe {

// The lines of `invoice` (a Stripe invoice object as fetched or listed), in
// Stripe's order; calls Stripe only when the embedded page has more.
Result<std::vector<boost::json::object>> InvoiceLines(StripeClient& stripe, const boost::json::object& invoice);

}  // namespace meterline::stripe
