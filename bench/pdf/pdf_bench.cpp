// pdf_bench: milliseconds to render one invoice PDF with cairo + pango.
// Renders the same one-page invoice (a base fee and three overage lines) N
// times on one thread after a short warm-up and prints
// cpp_ms_per_invoice=<ms>. bench/pdf/pdfkit_bench.js renders the same invoice
// with PDFKit; bench/pdf/run runs both and prints the ratio.
//
//   pdf_bench [N=500] [OUT.pdf]   (OUT.pdf: also write one rendering there)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "invoicing/pdf/invoice_pdf.hpp"

using meterline::invoicing::PdfInvoice;
using meterline::invoicing::RenderInvoicePdf;

namespace {

// Keep in step with invoice() in pdfkit_bench.js.
PdfInvoice SampleInvoice() {
  PdfInvoice invoice;
  invoice.number = "INV-2025-000123";
  invoice.status = "open";
  invoice.issue_date = "2025-01-31";
  invoice.due_date = "2025-03-02";
  invoice.period = "2025-01-01 – 2025-02-01";
  invoice.issuer = {"Meterline Inc.",
                    {"100 Market Street, Suite 300", "San Francisco, CA 94105, USA", "billing@meterline.example",
                     "Tax ID US-12-3456789"}};
  invoice.customer = {"Café Ünïcode GmbH",
                      {"Königstraße 12", "70173 Stuttgart, Germany", "ap@cafe-unicode.example", "VAT DE123456789"}};
  invoice.lines = {
      {"Growth plan — base fee (2025-01-01 – 2025-02-01)", "1", "$499.00", "$499.00"},
      {"API calls over 1,000,000 included", "2,350,000", "$0.10 / 1,000", "$235.00"},
      {"Impressions over 5,000,000 included", "1,200,000", "$0.50 / 1,000", "$600.00"},
      {"Storage over 10,000 GB-hours included", "3,500", "$0.02", "$70.00"},
  };
  invoice.subtotal = "$1,404.00";
  invoice.tax_label = "Tax (19%)";
  invoice.tax = "$266.76";
  invoice.total = "$1,670.76";
  invoice.amount_paid = "$0.00";
  invoice.amount_due = "$1,670.76";
  invoice.currency = "USD";
  invoice.payment_terms =
      "Net 30: please pay by 2025-03-02. Bank transfer to IBAN DE89 3704 0044 0532 0130 00 "
      "(reference INV-2025-000123) or by card in the customer portal.";
  return invoice;
}

}  // namespace

int main(int argc, char** argv) {
  const int count = argc > 1 ? std::atoi(argv[1]) : 500;
  if (count <= 0) {
    std::fprintf(stderr, "usage: pdf_bench [N=500] [OUT.pdf]\n");
    return 2;
  }
  const PdfInvoice invoice = SampleInvoice();
  size_t bytes = 0;
  for (int warm_idx = 0; warm_idx < 10; ++warm_idx) {  // font caches, allocator
    auto pdf = RenderInvoicePdf(invoice);
    if (!pdf.ok()) {
      std::fprintf(stderr, "render failed: %s\n", pdf.error().message.c_str());
      return 1;
    }
    bytes = pdf->size();
    if (warm_idx == 0 && argc > 2) {
      std::FILE* out = std::fopen(argv[2], "wb");
      if (out == nullptr || std::fwrite(pdf->data(), 1, pdf->size(), out) != pdf->size()) {
        std::fprintf(stderr, "cannot write %s\n", argv[2]);
        return 1;
      }
      std::fclose(out);
    }
  }
  const auto start = std::chrono::steady_clock::now();
  for (int render_idx = 0; render_idx < count; ++render_idx) {
    auto pdf = RenderInvoicePdf(invoice);
    if (!pdf.ok()) {
      std::fprintf(stderr, "render failed: %s\n", pdf.error().message.c_str());
      return 1;
    }
    bytes = pdf->size();
  }
  const std::chrono::duration<double, std::milli> elapsed = std::chrono::steady_clock::now() - start;
  std::printf("cpp_invoices=%d cpp_pdf_bytes=%zu\n", count, bytes);
  std::printf("cpp_ms_per_invoice=%.3f\n", elapsed.count() / count);
  return 0;
}
