#include "invoicing/invoice_pdf_document.hpp"

#include <fstream>
#include <sstream>

#include "core/digest.hpp"
#include "invoicing/invoice_builder.hpp"
#include "money/money.hpp"

namespace meterline::invoicing {

namespace {

std::string Date(TimePoint t) { return FormatIso8601(t).substr(0, 10); }

// The typographic minus (U+2212), as the console writes it.
constexpr const char* kMinus = "\u2212";

// A decimal's integer part grouped by thousands: "-1234567.50" -> "−1,234,567.50".
std::string GroupDecimal(const std::string& decimal) {
  size_t dot = decimal.find('.');
  std::string integer = decimal.substr(0, dot);
  bool negative = !integer.empty() && integer[0] == '-';
  if (negative) integer.erase(0, 1);
  std::string grouped;
  for (size_t i = 0; i < integer.size(); ++i) {
    if (i > 0 && (integer.size() - i) % 3 == 0) grouped += ',';
    grouped += integer[i];
  }
  return (negative ? kMinus : "") + grouped + (dot == std::string::npos ? "" : decimal.substr(dot));
}

std::string Money(int64_t minor, const money::Currency& currency) {
  return GroupDecimal(money::FormatMajor(minor, currency)) + " " + currency.code;
}

void Field(std::string& out, const std::string& value) {
  out += std::to_string(value.size());
  out += ':';
  out += value;
}

}  // namespace

PdfInvoice PdfDocumentFor(const Invoice& inv, const BillTo& customer, const Issuer& issuer,
                          const catalog::Catalog& catalog) {
  money::Currency currency = money::FindCurrency(inv.currency).value_or(money::Currency{inv.currency, 2});
  PdfInvoice doc;
  doc.number = inv.number.empty() ? "DRAFT " + inv.id : inv.number;
  doc.status = StatusName(inv.status);
  // A draft has not been issued: no issue date.
  doc.issue_date = inv.status == InvoiceStatus::kDraft ? "" : Date(inv.finalized_at.value_or(inv.created_at));
  doc.due_date = inv.due_at ? Date(*inv.due_at) : "";
  // Inclusive dates, as the console shows them: the period ends just before its end instant.
  doc.period = Date(inv.period.start) + " \u2013 " + Date(inv.period.end - std::chrono::milliseconds(1));
  doc.issuer = {issuer.name, issuer.address};
  doc.logo_png_path = issuer.logo_png_path;
  doc.customer.name = customer.name;
  if (!customer.email.empty()) doc.customer.lines.push_back(customer.email);
  if (!customer.country.empty()) doc.customer.lines.push_back(customer.country);
  doc.customer.lines.push_back("Customer " + inv.customer_id);
  for (const LineItem& l : inv.lines) {
    std::string unit_price = GroupDecimal(l.unit_price) + " " + currency.code;
    std::string quantity = GroupThousands(l.quantity);
    const catalog::Metric* metric = l.metric.empty() ? nullptr : catalog.FindMetric(l.metric);
    if (metric != nullptr && metric->overage_price.per_units > 1) {
      // The catalog's block price; the per-unit figure it implies is l.unit_price.
      const money::UnitPrice& block = metric->overage_price;
      std::string per =
          block.per_units == 1'000'000'000 && metric->unit == "byte" ? "GB" : GroupThousands(block.per_units);
      if (money::PerUnitText(block) == l.unit_price) {
        std::string amount = block.amount.ToString();
        size_t dot = amount.find('.');
        size_t decimals = dot == std::string::npos ? 0 : amount.size() - dot - 1;
        if (dot == std::string::npos && currency.exponent > 0) amount += '.';
        for (; decimals < static_cast<size_t>(currency.exponent); ++decimals) amount += '0';
        unit_price = GroupDecimal(amount) + " " + currency.code + " per " + per;
        // Bytes priced per GB read as GB (display only; the amount is exact).
        if (per == "GB") quantity = DisplayAmount(l.quantity, *metric);
      }
    }
    doc.lines.push_back({l.description, quantity, unit_price, Money(l.amount_minor, currency)});
  }
  doc.currency = currency.code;
  doc.subtotal = Money(inv.subtotal_minor, currency);
  doc.tax_label = inv.tax_rate.empty() ? "Tax" : "Tax (" + inv.tax_rate + ")";
  doc.tax = Money(inv.tax_minor, currency);
  doc.total = Money(inv.total_minor, currency);
  if (inv.credits_applied_minor != 0) {
    doc.adjustments.push_back({"Prepaid credits applied", Money(-inv.credits_applied_minor, currency)});
  }
  if (inv.pre_payment_credit_minor != 0) {
    doc.adjustments.push_back({"Credit notes", Money(-inv.pre_payment_credit_minor, currency)});
  }
  if (inv.post_payment_credit_minor != 0) {
    doc.adjustments.push_back({"Credited after payment", Money(inv.post_payment_credit_minor, currency)});
  }
  doc.amount_paid = Money(inv.amount_paid_minor, currency);
  doc.amount_due = Money(inv.amount_due_minor, currency);
  switch (inv.status) {
    case InvoiceStatus::kPaid:
      doc.payment_terms = "Paid" + (inv.paid_at ? " on " + Date(*inv.paid_at) : std::string()) + ". Thank you.";
      break;
    case InvoiceStatus::kVoid: doc.payment_terms = "This invoice was voided; nothing is due."; break;
    default:
      doc.payment_terms = "Net " + std::to_string(issuer.net_days) + ": please pay " + doc.amount_due +
                          (doc.due_date.empty() ? "." : " by " + doc.due_date + ".");
  }
  return doc;
}

std::string PdfMoney(int64_t minor, const std::string& currency_code) {
  return Money(minor, money::FindCurrency(currency_code).value_or(money::Currency{currency_code, 2}));
}

std::string PdfDate(TimePoint t) { return Date(t); }

Issuer LoadIssuer(std::string name, std::vector<std::string> address, std::string logo_png_path, int net_days) {
  Issuer issuer{std::move(name), std::move(address), std::move(logo_png_path), "", net_days};
  if (!issuer.logo_png_path.empty()) {
    std::ifstream in(issuer.logo_png_path, std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    if (in) issuer.logo_digest = Sha256Hex(bytes.str());
  }
  return issuer;
}

std::string PdfEtag(const PdfInvoice& d, const std::string& logo_digest) {
  std::string canonical = "template:" + std::to_string(kInvoiceTemplateVersion) + ";logo:" + logo_digest + ";";
  for (const std::string* f : {&d.title, &d.period_label, &d.number, &d.status, &d.issue_date, &d.due_date, &d.period,
                               &d.issuer.name, &d.logo_png_path, &d.customer.name, &d.subtotal, &d.tax_label, &d.tax,
                               &d.total, &d.amount_paid, &d.amount_due, &d.currency, &d.payment_terms}) {
    Field(canonical, *f);
  }
  for (const PdfTotalRow& row : d.adjustments) {
    Field(canonical, row.label);
    Field(canonical, row.value);
  }
  canonical += '|';
  for (const auto& l : d.issuer.lines) Field(canonical, l);
  canonical += '|';
  for (const auto& l : d.customer.lines) Field(canonical, l);
  canonical += '|';
  for (const PdfLine& l : d.lines) {
    Field(canonical, l.description);
    Field(canonical, l.quantity);
    Field(canonical, l.unit_price);
    Field(canonical, l.amount);
  }
  return Sha256Hex(canonical);
}

}  // namespace meterline::invoicing
