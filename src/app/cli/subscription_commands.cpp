// billingd subscription create | show | change | preview | withdraw-change | cancel | reactivate
#include <cstdio>
#include <iostream>

#include "app/cli/cli.hpp"
#include "app/config.hpp"
#include "app/wiring.hpp"
#include "money/money.hpp"

namespace meterline::app {

namespace {

constexpr const char* kSubscriptionUsage =
    R"(Usage: billingd subscription create --customer cus_… --plan starter|growth|scale|enterprise
                                  [--anchor 2025-01-01T00:00:00Z] [--status active|trialing|past_due|canceled]
                                  [--trial-days N]
       billingd subscription show (--customer cus_… | --subscription sub_…)
       billingd subscription change (--customer … | --subscription …) --plan ID [--version N]
                                  [--effective now|period_end]
       billingd subscription preview (--customer … | --subscription …) --plan ID [--version N]
                                  [--effective now|period_end]
       billingd subscription withdraw-change (--customer … | --subscription …)
       billingd subscription cancel (--customer … | --subscription …) [--at period_end|now]
       billingd subscription reactivate (--customer … | --subscription …)

create      Puts a customer on a plan. Periods last the plan's interval (a month, quarter or
            year) from the anchor (default: now), in UTC. --trial-days (default: the plan's
            trial; 0 for none) starts it with a free trial from the anchor; the periods then
            run from the trial's end.
show        Prints the plan now, the current period, and any scheduled change or end.
change      Moves to another plan (or version). now: from the start of the current hour, the
            period split and both parts prorated; period_end: from the next period. Default:
            now for an upgrade (a higher base fee), else period_end. See docs/subscriptions.md.
preview     Prints the invoices such a change would make, from the usage so far; changes nothing.
withdraw-change  Drops the plan change scheduled for the period's end.
cancel      Ends the subscription at the period's end (default; reactivate undoes it until
            then) or now (at the end of the current hour, with a prorated final invoice).
reactivate  Withdraws a cancellation at period end.
)";

constexpr const char* kSelectors[] = {"--customer", "--subscription"};

int Usage(bool help) {
  (help ? std::cout : std::cerr) << kSubscriptionUsage;
  return help ? 0 : 2;
}

// The subscription a command names, by its id or its customer's.
Result<subscriptions::Subscription> Named(App& app, std::map<std::string, std::string>& flags) {
  if (flags.count("--subscription")) return app.subscriptions->Get(flags["--subscription"]);
  return app.subscriptions->ForCustomer(flags["--customer"]);
}

void PrintSubscription(const subscriptions::Subscription& sub, TimePoint now) {
  const subscriptions::Phase& phase = sub.PhaseAt(now);
  std::printf("%s  customer %s  %s version %lld  %s\n", sub.id.c_str(), sub.customer_id.c_str(), phase.plan_id.c_str(),
              static_cast<long long>(phase.version), subscriptions::StatusName(sub.status));
  if (auto segment = sub.SegmentAt(now)) {
    std::printf("  period   %s to %s\n", FormatIso8601(segment->period.start).c_str(),
                FormatIso8601(segment->period.end).c_str());
    if (!segment->Whole()) {
      std::printf("  this part %s to %s (%s)\n", FormatIso8601(segment->span.start).c_str(),
                  FormatIso8601(segment->span.end).c_str(), segment->Share().Describe().c_str());
    }
  }
  if (const subscriptions::Phase* next = sub.ScheduledChange(now)) {
    std::printf("  changes to %s version %lld at %s\n", next->plan_id.c_str(), static_cast<long long>(next->version),
                FormatIso8601(next->from).c_str());
  }
  if (sub.trial) {
    std::printf("  trial    %s to %s\n", FormatIso8601(sub.trial->start).c_str(),
                FormatIso8601(sub.trial->end).c_str());
  }
  if (sub.ends_at) {
    std::printf("  %s %s\n", sub.EndedBy(now) ? "ended at" : "ends at", FormatIso8601(*sub.ends_at).c_str());
  }
}

Result<subscriptions::PlanChangeRequest> ChangeRequest(std::map<std::string, std::string>& flags) {
  subscriptions::PlanChangeRequest out;
  out.plan_id = flags["--plan"];
  if (out.plan_id.empty()) return InvalidArgument("--plan is required");
  if (flags.count("--version") && (!ParseInt(flags["--version"], out.version) || out.version < 1)) {
    return InvalidArgument("--version must be a positive integer");
  }
  if (flags.count("--effective")) {
    out.timing = subscriptions::ParseTiming(flags["--effective"]);
    if (!out.timing) return InvalidArgument("--effective must be now or period_end");
  }
  return out;
}

int Create(const std::vector<std::string>& args) {
  auto parsed_flags = ParseFlags(args, {"--customer", "--plan", "--anchor", "--status", "--trial-days"});
  if (!parsed_flags.ok()) {
    PrintError(parsed_flags.error().message);
    return 2;
  }
  auto& flags = *parsed_flags;
  if (!flags.count("--customer") || !flags.count("--plan")) {
    PrintError("subscription create needs --customer and --plan");
    return 2;
  }
  TimePoint anchor = SystemClock().Now();
  if (flags.count("--anchor")) {
    auto parsed = ParseIso8601(flags["--anchor"]);
    if (!parsed) {
      PrintError("--anchor must be an RFC 3339 timestamp");
      return 2;
    }
    anchor = *parsed;
  }
  auto status = subscriptions::ParseStatus(flags.count("--status") ? flags["--status"] : "active");
  if (!status) {
    PrintError("--status must be trialing, active, past_due or canceled");
    return 2;
  }
  std::optional<int> trial_days;
  if (flags.count("--trial-days")) {
    int64_t days = 0;
    if (!ParseInt(flags["--trial-days"], days) || days < 0 || days > catalog::kMaxTrialDays) {
      PrintError("--trial-days must be a whole number from 0 to " + std::to_string(catalog::kMaxTrialDays));
      return 2;
    }
    trial_days = static_cast<int>(days);
  }
  return WithApp([&](App& app) {
    auto sub = app.subscriptions->Create(flags["--customer"], flags["--plan"], anchor, *status, "cli", trial_days);
    if (!sub.ok()) {
      PrintError(sub.error().message);
      return 1;
    }
    std::printf("%s\n", sub->id.c_str());
    return 0;
  });
}

// The lifecycle commands: each names one subscription and may take a few flags more.
int Lifecycle(const std::string& command, const std::vector<std::string>& args) {
  std::initializer_list<const char*> change_flags = {"--customer", "--subscription", "--plan", "--version",
                                                     "--effective"};
  std::initializer_list<const char*> cancel_flags = {"--customer", "--subscription", "--at"};
  std::initializer_list<const char*> plain_flags = {"--customer", "--subscription"};
  bool changes = command == "change" || command == "preview";
  auto parsed_flags = ParseFlags(args, changes ? change_flags : command == "cancel" ? cancel_flags : plain_flags);
  if (!parsed_flags.ok()) {
    PrintError(parsed_flags.error().message);
    return 2;
  }
  auto& flags = *parsed_flags;
  if (flags.count(kSelectors[0]) == flags.count(kSelectors[1])) {
    PrintError("subscription " + command + " needs one of --customer or --subscription");
    return 2;
  }
  subscriptions::PlanChangeRequest request;
  if (changes) {
    auto parsed = ChangeRequest(flags);
    if (!parsed.ok()) {
      PrintError(parsed.error().message);
      return 2;
    }
    request = *parsed;
  }
  auto timing = subscriptions::ParseTiming(flags.count("--at") ? flags["--at"] : "period_end");
  if (!timing) {
    PrintError("--at must be period_end or now");
    return 2;
  }
  return WithApp([&](App& app) {
    auto sub = Named(app, flags);
    if (!sub.ok()) {
      PrintError(sub.error().message);
      return 1;
    }
    TimePoint now = SystemClock().Now();
    Result<subscriptions::Subscription> after = *sub;
    if (command == "show") {
      // as is
    } else if (command == "change") {
      auto change = app.subscriptions->ChangePlan(sub->id, request, "cli");
      if (!change.ok()) {
        PrintError(change.error().message);
        return 1;
      }
      std::printf("%s: %s version %lld -> %s version %lld, %s (%s)\n", sub->id.c_str(), change->from_plan.c_str(),
                  static_cast<long long>(change->from_version), change->to_plan.c_str(),
                  static_cast<long long>(change->to_version), FormatIso8601(change->at).c_str(),
                  subscriptions::TimingName(change->timing));
      after = change->after;
    } else if (command == "preview") {
      auto change = app.subscriptions->PlanChangeFor(*sub, request);
      if (!change.ok()) {
        PrintError(change.error().message);
        return 1;
      }
      std::printf("%s -> %s at %s (%s)\n", change->from_plan.c_str(), change->to_plan.c_str(),
                  FormatIso8601(change->at).c_str(), subscriptions::TimingName(change->timing));
      for (TimePoint at : {change->at - std::chrono::milliseconds(1), change->at}) {
        auto segment = change->after.SegmentAt(at);
        if (!segment) continue;
        auto amounts = app.invoices->Preview(change->after, *segment);
        if (!amounts.ok()) {
          PrintError(amounts.error().message);
          return 1;
        }
        auto currency = money::FindCurrency(change->after.currency);
        std::printf("\n%s version %lld, %s to %s\n", segment->plan_id.c_str(), static_cast<long long>(segment->version),
                    FormatIso8601(segment->span.start).c_str(), FormatIso8601(segment->span.end).c_str());
        for (const invoicing::LineItem& line : amounts->lines) {
          std::printf("  %-70s %14s\n", line.description.c_str(),
                      currency ? money::FormatMajor(line.amount_minor, *currency).c_str() : "");
        }
        std::printf("  %-70s %14s %s\n", "Total",
                    currency ? money::FormatMajor(amounts->total_minor, *currency).c_str() : "",
                    change->after.currency.c_str());
      }
      return 0;
    } else if (command == "withdraw-change") {
      after = app.subscriptions->WithdrawScheduledChange(sub->id, "cli");
    } else if (command == "cancel") {
      after = app.subscriptions->Cancel(sub->id, *timing, "cli");
    } else {
      after = app.subscriptions->Reactivate(sub->id, "cli");
    }
    if (!after.ok()) {
      PrintError(after.error().message);
      return 1;
    }
    PrintSubscription(*after, now);
    return 0;
  });
}

}  // namespace

int RunSubscription(const std::vector<std::string>& args) {
  if (WantsHelp(args) || args.empty()) return Usage(WantsHelp(args));
  const std::string& command = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (command == "create") return Create(rest);
  for (const char* known : {"show", "change", "preview", "withdraw-change", "cancel", "reactivate"}) {
    if (command == known) return Lifecycle(command, rest);
  }
  PrintError("unknown subscription command '" + command + "' (see billingd subscription --help)");
  return 2;
}

}  // namespace meterline::app
