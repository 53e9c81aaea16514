// Invoice builder: the lines and totals of one period's invoice, from the
// plan and the period's usage. Pure: no storage, no clock.
//
// Lines: the plan's base fee (for this period, or the next one when billed in
// advance, and credits for unused time: InvoiceTerms), then each metric's lines as its charge
// model prices them (src/pricing/): today one overage line per metric used
// beyond its limit (quantity = units over, exact unit price, amount rounded
// half to even once per line, as money::ChargeMinor does); included slices of
// other models are left out. Last, when the plan's minimum commitment exceeds
// those charges, a 'minimum' line for the difference. The subtotal is the
// sum of the line amounts; tax is subtotal x rate rounded half to even once;
// total = subtotal + tax. So the lines add up to the subtotal and subtotal +
// tax = total exactly, by construction.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "catalog/catalog.hpp"
#include "core/period.hpp"
#include "core/result.hpp"
#include "invoicing/invoice.hpp"
#include "money/decimal.hpp"
#include "money/share.hpp"

namespace meterline::invoicing {

struct InvoiceAmounts {
  std::vector<LineItem> lines;
  int64_t subtotal_minor = 0;
  int64_t tax_minor = 0;
  int64_t total_minor = 0;
};

// What an invoice holds besides its usage. The default: a whole period, the
// plan's own base fee in arrears.
struct InvoiceTerms {
  // The share of its billing period the invoice covers (a segment after a
  // plan change or a cancellation): allowances of sum and count metrics, the
  // minimum commitment and a fee in arrears are prorated by it.
  money::Share share;
  // The base fee lines, when the caller decides them (fees in advance and
  // credits for their unused time: InvoiceService); nullopt: the plan's base
  // fee for `share`, in arrears, without dates (BaseFeeLine).
  std::optional<std::vector<LineItem>> fee_lines;
  // False for the opening invoice of a base fee in advance: its fee lines
  // alone, no usage and no minimum; and for a free trial whose usage is free.
  bool with_usage = true;
  // False for a free trial: no minimum commitment applies to it.
  bool with_minimum = true;
};

// The base fee line of `plan` for `share` of a period: "Growth plan, monthly
// fee", with the dates it pays for when given and the share when partial
// ("…, 2026-11-10 to 2026-12-01 (21 of 30 days)").
LineItem BaseFeeLine(const catalog::Plan& plan, const money::Share& share, const std::optional<Period>& dates);
// The line of a free trial (`dates`) on `plan`: no base fee, amount 0.
LineItem TrialLine(const catalog::Plan& plan, const Period& dates);
// The credit for a base fee paid in advance that the rest of its period
// (`dates`, `share` of it) no longer uses: negative.
LineItem UnusedTimeLine(const catalog::Plan& plan, const money::Share& share, const Period& dates);

// `usage`: metric id -> units used in the period (missing = 0).
// `tax_rate`: nullopt for no tax; else 0 <= rate < 1.
// kInvalidArgument for a negative usage or a bad rate; OverflowError (422) when an amount does not fit.
Result<InvoiceAmounts> BuildInvoice(const catalog::Catalog& catalog, const catalog::Plan& plan,
                                    const std::map<std::string, int64_t>& usage,
                                    const std::optional<money::Decimal>& tax_rate, const InvoiceTerms& terms = {});

// round_half_even(subtotal_minor x rate) to a multiple of `step` (the
// currency's, money::Currency::step): the tax in minor units.
Result<int64_t> TaxMinor(int64_t subtotal_minor, const money::Decimal& rate, int64_t step = 1);

// "1,234,567" for line descriptions.
std::string GroupThousands(int64_t value);

// A usage amount for people: grouped units, or GB (10^9 bytes, two decimals)
// for byte metrics. Display only; amounts are computed from exact units.
std::string DisplayAmount(int64_t units, const catalog::Metric& metric);

}  // namespace meterline::invoicing
