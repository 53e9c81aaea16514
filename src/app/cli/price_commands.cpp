// `billingd price`: what a plan would invoice for given usage, line by line,
// with the plan's current version in the database, or the version asked for.
#include <charconv>
#include <cstdio>
#include <iostream>

#include "app/cli/cli.hpp"
#include "app/wiring.hpp"
#include "invoicing/invoice_builder.hpp"

namespace meterline::app {

namespace {

constexpr const char* kPriceUsage =
    R"(Usage: billingd price --plan ID [--version N] [--currency CODE] [--usage METRIC=UNITS,…] [--tax-rate R]

Prints the lines, subtotal, tax and total one period of the plan would be
invoiced for this usage (metrics not named used nothing), exactly as the
invoice run computes them. --version: that version of the plan (default: the
one new subscriptions get now). --currency: the plan's prices in that currency
(default its own). --tax-rate is a decimal such as 0.19.
)";

Result<std::map<std::string, int64_t>> ParseUsage(const std::string& text) {
  std::map<std::string, int64_t> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    std::string pair = text.substr(start, end - start);
    size_t eq = pair.find('=');
    int64_t units = -1;
    if (eq != std::string::npos) {
      const char* first = pair.data() + eq + 1;
      auto [ptr, ec] = std::from_chars(first, pair.data() + pair.size(), units);
      if (ec != std::errc() || ptr != pair.data() + pair.size()) units = -1;
    }
    if (eq == std::string::npos || eq == 0 || units < 0) {
      return InvalidArgument("--usage takes METRIC=UNITS pairs (non-negative integers), got '" + pair + "'");
    }
    out[pair.substr(0, eq)] = units;
    start = end + 1;
  }
  return out;
}

}  // namespace

int RunPrice(const std::vector<std::string>& args) {
  if (WantsHelp(args)) {
    std::cout << kPriceUsage;
    return 0;
  }
  auto flags = ParseFlags(args, {"--plan", "--version", "--currency", "--usage", "--tax-rate"});
  if (!flags.ok()) {
    PrintError(flags.error().message);
    return 2;
  }
  if ((*flags)["--plan"].empty()) {
    PrintError("price needs --plan");
    return 2;
  }
  auto usage = ParseUsage((*flags)["--usage"]);
  if (!usage.ok()) {
    PrintError(usage.error().message);
    return 2;
  }
  std::optional<money::Decimal> tax_rate;
  if (flags->count("--tax-rate")) {
    tax_rate = money::Decimal::Parse((*flags)["--tax-rate"]);
    if (!tax_rate) {
      PrintError("--tax-rate must be a decimal such as 0.19");
      return 2;
    }
  }
  int64_t version = 0;
  if (flags->count("--version") && (!ParseInt((*flags)["--version"], version) || version < 1)) {
    PrintError("--version must be a positive integer");
    return 2;
  }
  return WithApp([&](App& app) {
    auto record = app.plans->Get((*flags)["--plan"]);
    if (!record.ok()) {
      PrintError(record.error().message);
      return 1;
    }
    if (version == 0) version = record->CurrentAt(app.context->clock.Now()).plan.version;
    auto found = app.plans->Version(record->id, version);
    if (!found.ok()) {
      PrintError(found.error().message);
      return 1;
    }
    const catalog::Plan* plan = *found;
    if (flags->count("--currency")) {
      plan = plan->InCurrency((*flags)["--currency"]);
      if (plan == nullptr) {
        PrintError("plan " + record->id + " has no prices in " + (*flags)["--currency"]);
        return 1;
      }
    }
    for (const auto& [metric, units] : *usage) {
      if (app.catalog->FindMetric(metric) == nullptr) {
        PrintError("no metric '" + metric + "' in the catalog");
        return 1;
      }
    }
    auto amounts = invoicing::BuildInvoice(*app.catalog, *plan, *usage, tax_rate);
    if (!amounts.ok()) {
      PrintError(amounts.error().message);
      return 1;
    }
    const money::Currency& currency = plan->currency;
    auto money_text = [&](int64_t minor) { return money::FormatMajor(minor, currency); };
    for (const invoicing::LineItem& line : amounts->lines) {
      std::printf("%-64s %16s × %-12s %14s\n", line.description.c_str(),
                  invoicing::GroupThousands(line.quantity).c_str(), line.unit_price.c_str(),
                  money_text(line.amount_minor).c_str());
    }
    std::printf("%-97s %14s\n", "Subtotal", money_text(amounts->subtotal_minor).c_str());
    std::printf("%-97s %14s\n", ("Tax" + (tax_rate ? " (" + tax_rate->ToString() + ")" : std::string())).c_str(),
                money_text(amounts->tax_minor).c_str());
    std::printf("%-97s %14s %s\n", "Total", money_text(amounts->total_minor).c_str(), currency.code.c_str());
    return 0;
  });
}

}  // namespace meterline::app
