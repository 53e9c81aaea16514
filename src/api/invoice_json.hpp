// Invoice lines as the API shows them (invoices, price and plan change previews).
#pragma once

#include <boost/json/array.hpp>

#include <string>
#include <vector>

#include "invoicing/invoice.hpp"

namespace meterline::api {

// [{kind, metric, description, quantity, unit_price, amount}], amounts in `currency`.
boost::json::array LinesJson(const std::vector<invoicing::LineItem>& lines, const std::string& currency);

}  // namespace meterline::api
