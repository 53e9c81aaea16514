// Invoice lines as the API shows them (invoices, price and plan change previews).
#pragma once

#include <boost/json/array.hpp>

#include <string>
#include <vector>

#include "core/result.hpp"
#include "http/request.hpp"
#include "http/response.hpp"
#include "invoicing/invoice.hpp"
#include "invoicing/pdf/invoice_pdf.hpp"

namespace meterline::api {

// [{kind, metric, description, quantity, unit_price, amount}], amounts in `currency`.
boost::json::array LinesJson(const std::vector<invoicing::LineItem>& lines, const std::string& currency);

// A rendered PDF (invoice or credit note) with its strong ETag, or 304 when
// If-None-Match names it; downloaded as `file_name`.pdf.
Result<http::Response> PdfResponse(const http::Request& request, const invoicing::PdfInvoice& document,
                                   const std::string& logo_digest, const std::string& file_name);

}  // namespace meterline::api
