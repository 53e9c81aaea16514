// `billingd usage events`: a customer's stored usage events, newest first,
// one per line, for scripts that check what a sender delivered.
#include <charconv>
#include <cstdio>
#include <iostream>

#include "app/cli/cli.hpp"
#include "app/wiring.hpp"
#include "core/clock.hpp"
#include "customers/customer_store.hpp"
#include "metering/usage_store.hpp"

namespace meterline::app {

namespace {

constexpr const char* kUsageUsage =
    R"(Usage: billingd usage events --customer ID [--metric M] [--from T] [--to T] [--limit N]

Prints the customer's stored usage events, newest first (by timestamp, then
id), one per line: TIMESTAMP METRIC VALUE ID. --from/--to bound the timestamp
as [from, to) (a date or RFC 3339 timestamp); --limit is 1..1000000 (100).
)";

constexpr int64_t kMaxLimit = 1'000'000;
constexpr int64_t kPageSize = 1000;

int ListEvents(std::map<std::string, std::string>& flags) {
  metering::EventFilter filter;
  filter.customer_id = flags["--customer"];
  if (filter.customer_id.empty()) {
    PrintError("usage events needs --customer");
    return 2;
  }
  filter.metric = flags["--metric"];
  for (auto [name, bound] : {std::pair{"--from", &filter.from}, std::pair{"--to", &filter.to}}) {
    if (!flags.count(name)) continue;
    *bound = ParseIso8601(flags[name]);
    if (!*bound) {
      PrintError(std::string(name) + " must be a date or RFC 3339 timestamp");
      return 2;
    }
  }
  if (filter.from && filter.to && *filter.from >= *filter.to) {
    PrintError("--from must be before --to");
    return 2;
  }
  int64_t limit = 100;
  if (flags.count("--limit")) {
    const std::string& text = flags["--limit"];
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), limit);
    if (ec != std::errc() || end != text.data() + text.size() || limit < 1 || limit > kMaxLimit) {
      PrintError("--limit must be an integer between 1 and " + std::to_string(kMaxLimit));
      return 2;
    }
  }
  return WithApp([&](App& app) {
    if (auto customer = app.customers->Get(filter.customer_id); !customer.ok()) {
      PrintError(customer.error().message);
      return 1;
    }
    if (!filter.metric.empty() && app.catalog->FindMetric(filter.metric) == nullptr) {
      PrintError("no metric '" + filter.metric + "' in the catalog");
      return 1;
    }
    std::printf("%-24s %-16s %20s %s\n", "TIMESTAMP", "METRIC", "VALUE", "ID");
    PageRequest page;
    for (int64_t printed = 0; printed < limit;) {
      page.limit = std::min(kPageSize, limit - printed);
      auto events = app.usage_store->ListEvents(filter, page);
      if (!events.ok()) {
        PrintError(events.error().message);
        return 1;
      }
      for (const auto& stored : events->items) {
        const metering::UsageEvent& e = stored.event;
        std::printf("%-24s %-16s %20lld %s\n", FormatIso8601(e.timestamp).c_str(), e.metric.c_str(),
                    static_cast<long long>(e.value), e.id.c_str());
      }
      printed += static_cast<int64_t>(events->items.size());
      if (!events->has_more || events->items.empty()) break;
      page.after = events->items.back().event.id;
    }
    return 0;
  });
}

}  // namespace

int RunUsage(const std::vector<std::string>& args) {
  const std::string command = args.empty() ? "" : args[0];
  if (WantsHelp(args) || command != "events") {
    (WantsHelp(args) ? std::cout : std::cerr) << kUsageUsage;
    return WantsHelp(args) ? 0 : 2;
  }
  auto flags = ParseFlags({args.begin() + 1, args.end()}, {"--customer", "--metric", "--from", "--to", "--limit"});
  if (!flags.ok()) {
    PrintError(flags.error().message);
    return 2;
  }
  return ListEvents(*flags);
}

}  // namespace meterline::app
