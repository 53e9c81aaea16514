// billingd invoices run: invoice closed billing periods on demand.
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "app/cli/cli.hpp"
#include "app/wiring.hpp"
#include "money/money.hpp"

namespace meterline::app {

namespace {

constexpr const char* kInvoicesUsage = R"(Usage: billingd invoices run [--period YYYY-MM]

Creates and finalizes one invoice per subscription for each billing period
that starts in the given UTC month (default: every closed period without an
invoice). Exactly once: running it again, or from two instances at once,
never makes a second invoice. Periods that have not closed yet (their end plus
INVOICE_GRACE_MINUTES) are left for later and counted in the summary.
Exit codes: 0 done, 1 failed (e.g. another run holds the lease), 2 bad usage.
)";

// "2025-01" -> [2025-01-01, 2025-02-01) in UTC.
void ShowRunProgress(const invoicing::RunProgress& p) { ShowProgress("invoices", p.done, p.total); }

}  // namespace

int RunInvoices(const std::vector<std::string>& args) {
  if (WantsHelp(args) || args.empty() || args[0] != "run") {
    (WantsHelp(args) ? std::cout : std::cerr) << kInvoicesUsage;
    return WantsHelp(args) ? 0 : 2;
  }
  auto flags = ParseFlags({args.begin() + 1, args.end()}, {"--period"});
  if (!flags.ok()) {
    PrintError(flags.error().message);
    return 2;
  }
  std::optional<Period> month;
  if (flags->count("--period")) {
    month = ParseMonth(flags->at("--period"));
    if (!month) {
      PrintError("--period must be a month like 2025-01, got '" + flags->at("--period") + "'");
      return 2;
    }
  }
  return WithApp([&](App& app) {
    auto summary = month ? app.invoices->RunPeriodsStartingIn(month->start, month->end, ShowRunProgress)
                         : app.invoices->RunDue(ShowRunProgress);
    FinishProgress();
    if (!summary.ok()) {
      PrintError(summary.error().message);
      return 1;
    }
    std::printf("%-14s %lld\n", "subscriptions", static_cast<long long>(summary->subscriptions));
    std::printf("%-14s %lld\n", "created", static_cast<long long>(summary->created));
    std::printf("%-14s %lld\n", "already", static_cast<long long>(summary->existing));
    std::printf("%-14s %lld\n", "not closed", static_cast<long long>(summary->not_closed));
    for (const auto& [currency, minor] : summary->total_minor) {
      auto c = money::FindCurrency(currency).value_or(money::Currency{currency, 2});
      std::printf("%-14s %s %s\n", "invoiced", money::FormatMajor(minor, c).c_str(), currency.c_str());
    }
    return 0;
  });
}

}  // namespace meterline::app
