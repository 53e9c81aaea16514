// What a credit note's PDF shows: laid out by the invoice renderer (title
// "Credit note", its invoice in place of the period, where the credit went
// in place of the amount due).
#pragma once

#include "credit_notes/credit_note.hpp"
#include "invoicing/invoice.hpp"
#include "invoicing/invoice_pdf_document.hpp"

namespace meterline::credit_notes {

invoicing::PdfInvoice PdfDocumentFor(const CreditNote& note, const invoicing::Invoice& invoice,
                                     const invoicing::BillTo& customer, const invoicing::Issuer& issuer);

}  // namespace meterline::credit_notes
