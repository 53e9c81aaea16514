#include "credit_notes/credit_note_pdf.hpp"

#include "invoicing/invoice_builder.hpp"

namespace meterline::credit_notes {

invoicing::PdfInvoice PdfDocumentFor(const CreditNote& note, const invoicing::Invoice& invoice,
                                     const invoicing::BillTo& customer, const invoicing::Issuer& issuer) {
  using invoicing::PdfMoney;
  invoicing::PdfInvoice doc;
  doc.title = "Credit note";
  doc.number = note.number;
  doc.status = "issued";
  doc.issue_date = invoicing::PdfDate(note.created_at);
  doc.period_label = "Invoice";
  doc.period = invoice.number;
  doc.issuer = {issuer.name, issuer.address};
  doc.logo_png_path = issuer.logo_png_path;
  doc.customer.name = customer.name;
  if (!customer.email.empty()) doc.customer.lines.push_back(customer.email);
  if (!customer.country.empty()) doc.customer.lines.push_back(customer.country);
  doc.customer.lines.push_back("Customer " + note.customer_id);
  for (const CreditNoteLine& l : note.lines) {
    std::string quantity = l.quantity ? invoicing::GroupThousands(*l.quantity) : "";
    std::string unit_price;
    if (l.quantity && l.invoice_line && *l.invoice_line <= static_cast<int64_t>(invoice.lines.size())) {
      unit_price = invoice.lines[static_cast<size_t>(*l.invoice_line - 1)].unit_price + " " + note.currency;
    }
    doc.lines.push_back({l.description, quantity, unit_price, PdfMoney(l.amount_minor, note.currency)});
  }
  doc.currency = note.currency;
  doc.subtotal = PdfMoney(note.subtotal_minor, note.currency);
  doc.tax_label = invoice.tax_rate.empty() ? "Tax" : "Tax (" + invoice.tax_rate + ")";
  doc.tax = PdfMoney(note.tax_minor, note.currency);
  doc.total = PdfMoney(note.total_minor, note.currency);
  if (note.pre_payment_minor != 0) {
    doc.adjustments.push_back({"Taken off the amount due", PdfMoney(note.pre_payment_minor, note.currency)});
  }
  if (note.post_payment_minor != 0) {
    doc.adjustments.push_back({note.refund_to == RefundTo::kStripeRefund ? "Refunded" : "Added to your credit balance",
                               PdfMoney(note.post_payment_minor, note.currency)});
  }
  doc.payment_terms = "Reason: " + std::string(ReasonName(note.reason)) + (note.memo.empty() ? "." : ". " + note.memo);
  return doc;
}

}  // namespace meterline::credit_notes
