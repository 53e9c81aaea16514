#include "invoicing/invoice.hpp"

namespace meterline::invoicing {

const char* StatusName(InvoiceStatus status) {
  switch (status) {
    case InvoiceStatus::kDraft: return "draft";
    case InvoiceStatus::kOpen: return "open";
    case InvoiceStatus::kPaid: return "paid";
    case InvoiceStatus::kVoid: return "void";
    case InvoiceStatus::kUncollectible: return "uncollectible";
  }
  return "draft";
}

std::optional<InvoiceStatus> ParseStatus(std::string_view name) {
  for (InvoiceStatus s : {InvoiceStatus::kDraft, InvoiceStatus::kOpen, InvoiceStatus::kPaid, InvoiceStatus::kVoid,
                          InvoiceStatus::kUncollectible}) {
    if (name == StatusName(s)) return s;
  }
  return std::nullopt;
}

bool CanTransition(InvoiceStatus from, InvoiceStatus to) {
  using S = InvoiceStatus;
  switch (from) {
    case S::kDraft: return to == S::kOpen;
    case S::kOpen: return to == S::kPaid || to == S::kVoid || to == S::kUncollectible;
    case S::kUncollectible: return to == S::kPaid || to == S::kVoid;
    case S::kPaid:
    case S::kVoid: return false;
  }
  return false;
}

}  // namespace meterline::invoicing
