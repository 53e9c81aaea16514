// Invoice PDF: lays one invoice out on A4 pages with cairo + pango.
//
// Presentation only. Every amount, date and quantity arrives as finished text
// (formatted by the caller in the invoice's currency and locale), so this file
// holds no money or date logic and cannot round anything differently from the
// API. The layout: a header (logo or wordmark, issuer details), the "Invoice"
// title with number, status, dates and period, a "Bill to" block, the line-item
// table (its header repeated on every page), the totals and the payment terms,
// and "Page N of M" in each page's footer. Text is set in DejaVu Sans; glyphs
// it lacks (e.g. CJK) fall back to whatever fontconfig finds.
#pragma once

#include <string>
#include <vector>

#include "core/result.hpp"

namespace meterline::invoicing {

// One row of the line-item table.
struct PdfLine {
  std::string description;  // wraps inside its column
  std::string quantity;     // e.g. "1,250,000"
  std::string unit_price;   // e.g. "$0.0005"
  std::string amount;       // e.g. "$625.00"
};

// The issuer or the customer: a name and free-form lines under it.
struct PdfParty {
  std::string name;
  std::vector<std::string> lines;  // address, email, tax id, … one per line
};

// A row of the totals block after "Total" (credits applied, credit notes).
struct PdfTotalRow {
  std::string label;
  std::string value;
};

// An invoice, or a credit note laid out the same way (title "Credit note",
// its invoice in place of the period, no paid/due rows).
struct PdfInvoice {
  std::string title = "Invoice";
  std::string number;      // e.g. "INV-2025-000123"
  std::string status;      // "draft", "open", "paid", "void", "uncollectible"
  std::string issue_date;  // preformatted, e.g. "2025-01-31"
  std::string due_date;    // preformatted
  std::string period;      // preformatted, e.g. "2025-01-01 – 2025-02-01"
  std::string period_label = "Period";
  PdfParty issuer;  // the company sending the invoice (configuration)
  // Optional PNG drawn at the top left, scaled to fit. When empty, missing or
  // not a readable PNG, issuer.name is drawn as a text wordmark instead.
  std::string logo_png_path;
  PdfParty customer;  // the "Bill to" block
  std::vector<PdfLine> lines;
  std::string subtotal;
  std::string tax_label;  // e.g. "Tax (19%)"; the tax row is left out when both
  std::string tax;        // tax_label and tax are empty
  std::string total;
  std::vector<PdfTotalRow> adjustments;  // after "Total", in this order
  std::string amount_paid;               // the paid and due rows are left out
  std::string amount_due;                // when amount_due is empty
  std::string currency;                  // e.g. "USD"
  std::string payment_terms;             // e.g. "Net 30: please pay by 2025-03-02."
};

// Bump whenever the rendered layout changes: it is part of the PDF's ETag, so
// clients and caches fetch the new rendering of an unchanged invoice.
inline constexpr int kInvoiceTemplateVersion = 1;

// Returns the bytes of a PDF (one or more A4 pages) whose document title is
// "<title> <number>". The same invoice renders to the same bytes: the PDF's
// creation date is issue_date when that reads YYYY-MM-DD, and absent otherwise.
// Fails with kInvalidArgument when a text field is not valid UTF-8 (or holds a
// NUL byte), and with kInternal when cairo reports an error.
// Thread-safe: may be called from several threads at once. Fontconfig is set
// up once per process; each thread uses its own pango font map (pango's
// per-thread default), which stays cached for the thread's lifetime.
Result<std::string> RenderInvoicePdf(const PdfInvoice& invoice);

}  // namespace meterline::invoicing
