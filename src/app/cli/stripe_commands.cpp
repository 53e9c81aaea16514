// billingd stripe sync: send queued invoices to Stripe, or one invoice, by hand.
#include <cstdio>
#include <iostream>

#include "app/cli/cli.hpp"
#include "app/wiring.hpp"

namespace meterline::app {

namespace {

constexpr const char* kStripeUsage = R"(Usage: billingd stripe sync [--invoice ID] [--pull]

Without --invoice: sends every due invoice in the Stripe outbox (what the
worker inside 'billingd serve' does every STRIPE_SYNC_SECONDS) and prints how
many were synced and how many failed (they are retried later).
With --invoice ID: pushes that invoice to Stripe now, or with --pull fetches
it from Stripe and applies its status (syncInvoiceFromStripe).
Needs STRIPE_SECRET_KEY (and STRIPE_API_BASE for a non-default endpoint).
Exit codes: 0 done, 1 Stripe or the database failed, 2 bad usage.
)";

}  // namespace

int RunStripe(const std::vector<std::string>& args) {
  if (WantsHelp(args) || args.empty() || args[0] != "sync") {
    (WantsHelp(args) ? std::cout : std::cerr) << kStripeUsage;
    return WantsHelp(args) ? 0 : 2;
  }
  std::vector<std::string> rest(args.begin() + 1, args.end());
  bool pull = false;
  std::erase_if(rest, [&](const std::string& a) { return a == "--pull" && (pull = true); });
  auto flags = ParseFlags(rest, {"--invoice"});
  if (!flags.ok()) {
    PrintError(flags.error().message);
    return 2;
  }
  if (pull && !flags->count("--invoice")) {
    PrintError("--pull needs --invoice");
    return 2;
  }
  return WithApp([&](App& app) {
    if (app.config.stripe_secret_key.empty()) {
      PrintError("STRIPE_SECRET_KEY is not set");
      return 1;
    }
    if (flags->count("--invoice")) {
      const std::string& id = flags->at("--invoice");
      auto r = pull ? app.invoice_sync->PullInvoice(id) : app.invoice_sync->PushInvoice(id);
      if (!r.ok()) {
        PrintError(r.error().message);
        return 1;
      }
      std::printf("%s %s\n", id.c_str(), r->c_str());
      return 0;
    }
    auto run = app.invoice_sync->RunOutbox(1000);
    if (!run.ok()) {
      PrintError(run.error().message);
      return 1;
    }
    std::printf("synced %lld, failed %lld\n", static_cast<long long>(run->done), static_cast<long long>(run->failed));
    return run->failed > 0 ? 1 : 0;
  });
}

}  // namespace meterline::app
