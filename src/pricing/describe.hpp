// Charges in words a customer understands, for invoice lines, the console and
// price previews: "Ad impressions 1,000,001–10,000,000 at 0.40 USD per 1,000".
// Display only: amounts are computed from exact units (charge_model.hpp).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "pricing/charge_model.hpp"

namespace meterline::pricing {

struct MetricWords {
  std::string name;                              // "Ad impressions"
  std::function<std::string(int64_t)> quantity;  // 1000000 -> "1,000,000" (or "1 GB" for bytes)
};

// A usage quantity for people: grouped units ("1,234,567"), or GB (10^9
// bytes, up to two decimals, half to even) for the unit "byte".
std::string QuantityText(int64_t units, std::string_view unit);

// Words for a metric: its name, quantities by QuantityText.
MetricWords WordsFor(const std::string& name, const std::string& unit);

// A unit price for people: "0.40 USD per 1,000", "0.0005 USD each".
std::string PriceText(const money::UnitPrice& price, const money::Currency& currency, const MetricWords& words);

// One line of a charge: what it prices and at what price.
std::string DescribeLine(const ChargeLine& line, const MetricCharge& charge, const money::Currency& currency,
                         const MetricWords& words);

// The whole model as a price list: "Ad impressions: first 1,000,000 included;
// 1,000,001–10,000,000 at 0.40 USD per 1,000; above 10,000,000 at 0.30 USD per 1,000".
std::string DescribeModel(const MetricCharge& charge, const money::Currency& currency, const MetricWords& words);

}  // namespace meterline::pricing
