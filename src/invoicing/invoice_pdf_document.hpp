// What an invoice's PDF shows: the invoice, its customer and the issuer from
// configuration, turned into the preformatted text the renderer draws, and
// the strong ETag of that content.
#pragma once

#include <string>
#include <vector>

#include "catalog/catalog.hpp"
#include "invoicing/invoice.hpp"
#include "invoicing/pdf/invoice_pdf.hpp"

namespace meterline::invoicing {

struct Issuer {
  std::string name;                  // COMPANY_NAME
  std::vector<std::string> address;  // COMPANY_ADDRESS lines
  std::string logo_png_path;         // COMPANY_LOGO_PATH
  std::string logo_digest;           // SHA-256 of the logo file, read at start (part of the ETag)
  int net_days = 30;
};

struct BillTo {
  std::string name;
  std::string email;
  std::string country;
};

// Overage unit prices are shown per block as the catalog states them ("0.50 USD
// per 1,000", "0.05 USD per GB"); the stored per-unit price stays exact.
PdfInvoice PdfDocumentFor(const Invoice& invoice, const BillTo& customer, const Issuer& issuer,
                          const catalog::Catalog& catalog);

// "−1,234.50 USD": an amount as the PDFs show it.
std::string PdfMoney(int64_t minor, const std::string& currency_code);
// "2026-03-10": the UTC date of `t`.
std::string PdfDate(TimePoint t);

// SHA-256 (hex) of every field the PDF shows, of the logo's bytes and of
// kInvoiceTemplateVersion: the same invoice renders the same ETag; any visible
// change gives a new one.
std::string PdfEtag(const PdfInvoice& document, const std::string& logo_digest);

// The issuer from configuration, with the logo file's digest ("" when unreadable).
Issuer LoadIssuer(std::string name, std::vector<std::string> address, std::string logo_png_path, int net_days);

}  // namespace meterline::invoicing
