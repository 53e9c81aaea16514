// billingd reconcile: compare what we computed with what Stripe billed for
// the periods starting in one month; exit 1 when the alert threshold is crossed.
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "app/cli/cli.hpp"
#include "app/wiring.hpp"
#include "money/money.hpp"

namespace meterline::app {

namespace {

constexpr const char* kReconcileUsage = R"(Usage: billingd reconcile [--period YYYY-MM]

Compares, for every active subscription's periods starting in the month
(default: last month), the charges computed from usage and the catalog with
the synced Stripe invoices, line by line, with RECONCILE_TOLERANCE (0.005).
Stores the result (GET /api/v1/billing/reconciliations), writes each finding
to billing_audit, and prints a summary and the findings.
Needs STRIPE_SECRET_KEY (and STRIPE_API_BASE for a non-default endpoint).
Totals are kept per currency; each has its own alert threshold
(RECONCILE_ALERT_THRESHOLD, e.g. 1000 or 1000,JPY=150000).
Exit codes: 0 done, below the alert threshold; 1 a currency's discrepancy
crossed RECONCILE_ALERT_THRESHOLD (an alert was raised) or the run failed;
2 bad usage.
)";

std::string Money(int64_t minor, const std::string& currency) {
  auto c = money::FindCurrency(currency).value_or(money::Currency{currency, 2});
  return money::FormatMajor(minor, c) + " " + currency;
}

}  // namespace

int RunReconcile(const std::vector<std::string>& args) {
  if (WantsHelp(args)) {
    std::cout << kReconcileUsage;
    return 0;
  }
  auto flags = ParseFlags(args, {"--period"});
  if (!flags.ok()) {
    PrintError(flags.error().message);
    return 2;
  }
  std::string period = flags->count("--period") ? flags->at("--period") : "";
  if (!period.empty() && !ParseMonth(period)) {
    PrintError("--period must be a month like 2025-01, got '" + period + "'");
    return 2;
  }
  return WithApp([&](App& app) {
    if (app.config.stripe_secret_key.empty()) {
      PrintError("STRIPE_SECRET_KEY is not set");
      return 1;
    }
    std::string month =
        period.empty() ? reconciliation::ReconciliationService::LastClosedPeriod(SystemClock().Now()) : period;
    auto r = app.reconciliations->Run(
        month, "cli", [](const reconciliation::Progress& p) { ShowProgress(p.stage, p.done, p.total); });
    FinishProgress();
    if (!r.ok()) {
      PrintError(r.error().message);
      return 1;
    }
    std::printf("%-22s %s\n", "reconciliation", r->id.c_str());
    std::printf("%-22s %s\n", "period", r->period.c_str());
    std::printf("%-22s %lld\n", "subscriptions", static_cast<long long>(r->subscriptions_checked));
    std::printf("%-22s %lld\n", "invoices compared", static_cast<long long>(r->invoices_compared));
    std::printf("%-22s %s\n", "expected", Money(r->expected_total_minor, r->currency).c_str());
    std::printf("%-22s %s\n", "billed in Stripe", Money(r->billed_total_minor, r->currency).c_str());
    std::printf("%-22s %s\n", "discrepancy", Money(r->discrepancy_total_minor, r->currency).c_str());
    std::printf("%-22s %lld\n", "findings", static_cast<long long>(r->findings_count));
    std::printf("%-22s %s\n", "alert", r->alert_raised ? "RAISED" : "no");
    if (r->totals.size() > 1) {  // the lines above are the main currency's
      std::printf("\n%-8s %13s %20s %20s %20s %20s %6s\n", "currency", "subscriptions", "expected", "billed",
                  "discrepancy", "alert threshold", "alert");
      for (const auto& t : r->totals) {
        std::printf("%-8s %13lld %20s %20s %20s %20s %6s\n", t.currency.c_str(),
                    static_cast<long long>(t.subscriptions_checked), Money(t.expected_total_minor, t.currency).c_str(),
                    Money(t.billed_total_minor, t.currency).c_str(),
                    Money(t.discrepancy_total_minor, t.currency).c_str(),
                    Money(t.alert_threshold_minor, t.currency).c_str(), t.alert_raised ? "RAISED" : "no");
      }
    }
    if (!r->findings.empty()) {
      std::printf("\n%-18s %-24s %-18s %-14s %16s %16s\n", "kind", "customer", "invoice", "line", "expected", "billed");
      size_t shown = 0;
      for (const auto& f : r->findings) {
        if (++shown > 50) {
          std::printf("… %zu more (GET /api/v1/billing/reconciliations/%s)\n", r->findings.size() - 50, r->id.c_str());
          break;
        }
        std::printf("%-18s %-24.24s %-18.18s %-14.14s %16s %16s\n", reconciliation::FindingKindName(f.kind),
                    (f.customer_name.empty() ? f.customer_id : f.customer_name).c_str(), f.invoice_id.c_str(),
                    f.line.c_str(), Money(f.expected_minor, f.currency).c_str(),
                    Money(f.billed_minor, f.currency).c_str());
      }
    }
    return r->alert_raised ? 1 : 0;
  });
}

}  // namespace meterline::app
