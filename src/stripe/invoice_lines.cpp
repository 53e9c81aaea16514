#include "stripe/invoice_lines.hpp"

#include <string>

#include "stripe/json_fields.hpp"

namespace meterline::stripe {

namespace json = boost::json;

Result<std::vector<json::object>> InvoiceLines(StripeClient& stripe, const json::object& invoice) {
  std::vector<json::object> lines;
  const json::object* page = ObjectField(invoice, "lines");
  if (page == nullptr) return lines;
  const std::string id = TextField(invoice, "id");
  json::object next;
  while (true) {
    std::string last;
    if (const auto* data = page->if_contains("data"); data && data->is_array()) {
      for (const auto& l : data->as_array()) {
        if (!l.is_object()) continue;
        lines.push_back(l.as_object());
        last = TextField(l.as_object(), "id");
      }
    }
    const auto* more = page->if_contains("has_more");
    if (more == nullptr || !more->is_bool() || !more->as_bool()) break;
    // More to read but nothing to page from: a partial list must not pass
    // for the whole (sync would add lines again, reconciliation misreport).
    if (last.empty() || id.empty()) {
      return Error(ErrorCode::kUnavailable, "stripe_bad_response",
                   "Stripe's lines of invoice '" + id + "' say has_more but give nothing to page from");
    }
    MTL_ASSIGN_OR_RETURN(auto fetched,
                         stripe.Get("invoices/" + id + "/lines", {{"limit", "100"}, {"starting_after", last}}));
    next = std::move(fetched);
    page = &next;
  }
  return lines;
}

}  // namespace meterline::stripe
