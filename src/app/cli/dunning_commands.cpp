// billingd dunning list | run: the campaigns that retry failed payments (docs/dunning.md).
#include <cstdio>
#include <iostream>

#include "app/cli/cli.hpp"
#include "app/config.hpp"
#include "app/wiring.hpp"
#include "dunning/campaign_store.hpp"

namespace meterline::app {

namespace {

constexpr const char* kUsage =
    R"(Usage: billingd dunning list [--state active|recovered|exhausted|closed] [--customer cus_…] [--limit N]
       billingd dunning run

list   Prints the campaigns, newest first: invoice, state, retries made of planned,
       the next retry and the latest failure.
run    Ends the campaigns whose invoice was paid or voided meanwhile and makes the retries
       that are due now (what 'billingd serve' does every DUNNING_RUN_SECONDS). Needs
       STRIPE_SECRET_KEY.
)";

int Fail(const Error& error, int code = 1) {
  PrintError(error.message);
  return code;
}

}  // namespace

int RunDunning(const std::vector<std::string>& args) {
  if (args.empty() || WantsHelp(args)) {
    (args.empty() ? std::cerr : std::cout) << kUsage;
    return args.empty() ? 2 : 0;
  }
  const std::string& command = args.front();
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (command == "list") {
    auto flags = ParseFlags(rest, {"--state", "--customer", "--limit"});
    if (!flags.ok()) return Fail(flags.error(), 2);
    dunning::CampaignFilter filter{(*flags)["--customer"], (*flags)["--state"]};
    if (!filter.state.empty() && filter.state != "active" && filter.state != "recovered" &&
        filter.state != "exhausted" && filter.state != "closed") {
      return Fail(InvalidArgument("--state must be active, recovered, exhausted or closed"), 2);
    }
    int64_t limit = 50;
    if (flags->count("--limit") && (!ParseInt((*flags)["--limit"], limit) || limit < 1 || limit > 1000)) {
      return Fail(InvalidArgument("--limit must be between 1 and 1000"), 2);
    }
    return WithApp([&](App& app) {
      auto page = dunning::CampaignStore::List(*app.db, filter, {.limit = limit});
      if (!page.ok()) return Fail(page.error());
      if (page->items.empty()) std::printf("no dunning campaigns\n");
      for (const auto& c : page->items) {
        std::printf("%s  invoice %s  %s  %-9s retries %d/%d  next %s  final %s%s%s\n", c.id.c_str(),
                    c.invoice_id.c_str(), c.customer_id.c_str(), c.state.c_str(), c.attempts, c.attempts_total(),
                    c.next_attempt_at ? FormatIso8601(*c.next_attempt_at).c_str() : "-",
                    dunning::FinalActionName(c.final_action),
                    c.last_failure.empty() ? "" : "  last: ", c.last_failure.c_str());
      }
      if (page->total && *page->total > static_cast<int64_t>(page->items.size())) {
        std::printf("(%zu of %lld; --limit for more)\n", page->items.size(), static_cast<long long>(*page->total));
      }
      return 0;
    });
  }
  if (command != "run" || !rest.empty()) {
    std::cerr << kUsage;
    return 2;
  }
  return WithApp([&](App& app) {
    if (app.config.stripe_secret_key.empty()) {
      return Fail(
          Error(ErrorCode::kUnavailable, "not_configured", "dunning retries go through Stripe: set STRIPE_SECRET_KEY"));
    }
    auto run = app.dunning_worker->RunOnce();
    if (!run.ok()) return Fail(run.error());
    std::printf("settled %lld, recovered %lld, declined %lld, exhausted %lld, postponed %lld\n",
                static_cast<long long>(run->settled), static_cast<long long>(run->recovered),
                static_cast<long long>(run->declined), static_cast<long long>(run->exhausted),
                static_cast<long long>(run->errors));
    return run->errors > 0 ? 1 : 0;
  });
}

}  // namespace meterline::app
