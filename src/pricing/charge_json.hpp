// A metric's charge as JSON, the one form the catalog file and the API use:
//
//   {"model": "included_then_overage", "included": 1000000, "price": {"amount": "0.50", "per": 1000}}
//   {"model": "per_unit", "price": {"amount": "0.0005", "per": 1}}
//   {"model": "graduated" | "volume",
//    "tiers": [{"up_to": 1000000, "unit_price": {"amount": "0", "per": 1000}},
//              {"up_to": 10000000, "unit_price": {"amount": "0.40", "per": 1000}, "flat_amount": "25.00"},
//              {"unit_price": {"amount": "0.30", "per": 1000}}]}
//   {"model": "package", "package_size": 1000, "price": "2.50", "rounding": "up" | "down"}
//
// Every model also takes "free_units". Amounts are decimal strings (never JSON
// numbers: no float ever carries money); counts are integers.
#pragma once

#include <boost/json/value.hpp>

#include <string>

#include "pricing/charge_model.hpp"

namespace meterline::pricing {

// Parses and validates (Validate) a charge for `currency`. Errors are
// InvalidParam naming the field under `path`, e.g.
// "charges.impressions.tiers[1].unit_price.amount must be a decimal string";
// unknown fields are refused by name.
Result<MetricCharge> ParseCharge(const boost::json::value& value, const money::Currency& currency,
                                 const std::string& path);

// The charge as JSON in the form above; ParseCharge reads it back to the same charge.
boost::json::object ChargeJson(const MetricCharge& charge);

}  // namespace meterline::pricing
