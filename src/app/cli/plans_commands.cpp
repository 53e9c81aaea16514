// `billingd plans`: the plans in the database and their versions, for an
// operator's scripts: list, show, create, add-version, archive, and moving
// subscriptions to another version at their period end.
#include <boost/json/parse.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "app/cli/cli.hpp"
#include "app/wiring.hpp"
#include "pricing/describe.hpp"

namespace meterline::app {

namespace {

constexpr const char* kPlansUsage = R"(Usage: billingd plans list
       billingd plans show ID
       billingd plans create --file PLAN.json [--effective-at T]
       billingd plans add-version --plan ID --file PLAN.json [--effective-at T]
       billingd plans archive ID
       billingd plans migrate --plan ID --to-version N [--from-version N] --at period-end

A plan's prices never change in place: add-version writes the next version,
which new subscriptions get from --effective-at (a date or RFC 3339 timestamp;
default now). Existing subscriptions stay on their version until migrate moves
them, from the start of each one's next period. PLAN.json is a plan as in the
catalog file (id, name, currency, base_fee, limits, overage_prices, charges,
minimum_commitment; see docs/money.md); "-" reads it from stdin. archive stops
new subscriptions to the plan; existing ones keep billing.
)";

constexpr size_t kMaxPlanFile = 1 << 20;

Result<boost::json::value> ReadJsonFile(const std::string& path) {
  std::string text;
  if (path == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) return InvalidArgument("cannot read " + path);
    std::ostringstream buffer;
    buffer << in.rdbuf();
    text = buffer.str();
  }
  if (text.size() > kMaxPlanFile) return InvalidArgument(path + " is larger than 1 MiB");
  boost::system::error_code ec;
  boost::json::value doc = boost::json::parse(text, ec);
  if (ec) return InvalidArgument(path + " is not valid JSON: " + ec.message());
  return doc;
}

void PrintPlan(const plans::PlanRecord& record, const catalog::Catalog& catalog, TimePoint now) {
  int64_t current = record.CurrentAt(now).plan.version;
  std::printf("%s%s\n", record.id.c_str(), record.archived_at ? " (archived)" : "");
  for (const plans::PlanVersion& v : record.versions) {
    const catalog::Plan& plan = v.plan;
    std::printf("  version %lld%s: %s, %s %s per %s, effective %s\n", static_cast<long long>(plan.version),
                plan.version == current ? " (current)" : "", plan.name.c_str(),
                money::FormatMajor(plan.base_fee_minor, plan.currency).c_str(), plan.currency.code.c_str(),
                std::string(catalog::IntervalName(plan.interval_months)).c_str(),
                FormatIso8601(v.effective_at).c_str());
    if (plan.interval_months > 1) {
      std::printf("    allowances %s\n",
                  plan.allowances_per_interval ? "per interval, as written" : "per month, scaled to the interval");
    }
    if (plan.minimum_minor > 0) {
      std::printf("    minimum commitment %s %s\n", money::FormatMajor(plan.minimum_minor, plan.currency).c_str(),
                  plan.currency.code.c_str());
    }
    for (const catalog::Metric& metric : catalog.metrics()) {
      std::printf("    %s: %s\n", metric.id.c_str(),
                  pricing::DescribeModel(catalog::ChargeFor(plan, metric), plan.currency,
                                         pricing::WordsFor(metric.name, metric.unit))
                      .c_str());
    }
  }
}

// The plan in PLAN.json, parsed as the API parses it.
Result<catalog::Plan> PlanFromFile(const std::string& path, const catalog::Catalog& catalog, const std::string& id) {
  MTL_ASSIGN_OR_RETURN(auto doc, ReadJsonFile(path));
  if (!id.empty() && doc.is_object()) doc.as_object()["id"] = id;
  return catalog::ParsePlan(doc, catalog.metrics(), "");
}

Result<TimePoint> EffectiveAt(std::map<std::string, std::string>& flags, TimePoint now) {
  if (!flags.count("--effective-at")) return now;
  auto at = ParseIso8601(flags["--effective-at"]);
  if (!at) return InvalidArgument("--effective-at must be a date or RFC 3339 timestamp");
  return *at;
}

int Fail(const Error& error) {
  PrintError(error.message);
  return 1;
}

}  // namespace

int RunPlans(const std::vector<std::string>& args) {
  if (args.empty() || WantsHelp(args)) {
    std::cout << kPlansUsage;
    return args.empty() ? 2 : 0;
  }
  const std::string& sub = args.front();
  std::vector<std::string> rest(args.begin() + 1, args.end());
  std::string positional;
  if ((sub == "show" || sub == "archive") && !rest.empty() && rest.front().rfind("--", 0) != 0) {
    positional = rest.front();
    rest.erase(rest.begin());
  }
  auto flags = sub == "migrate"       ? ParseFlags(rest, {"--plan", "--to-version", "--from-version", "--at"})
               : sub == "create"      ? ParseFlags(rest, {"--file", "--effective-at"})
               : sub == "add-version" ? ParseFlags(rest, {"--plan", "--file", "--effective-at"})
                                      : ParseFlags(rest, {});
  if (!flags.ok()) {
    PrintError(flags.error().message);
    return 2;
  }
  if (sub == "list") {
    return WithApp([&](App& app) {
      PageRequest page{.limit = 100};
      std::printf("%-24s %-32s %-8s %8s %8s %s\n", "ID", "NAME", "CURRENCY", "CURRENT", "VERSIONS", "STATUS");
      for (;;) {
        auto listed = app.plans->List(page);
        if (!listed.ok()) return Fail(listed.error());
        for (const plans::PlanRecord& record : listed->items) {
          const catalog::Plan& current = record.CurrentAt(app.context->clock.Now()).plan;
          std::printf("%-24s %-32s %-8s %8lld %8zu %s\n", record.id.c_str(), current.name.c_str(),
                      current.currency.code.c_str(), static_cast<long long>(current.version), record.versions.size(),
                      record.archived_at ? "archived" : "active");
        }
        if (!listed->has_more) return 0;
        page.offset += page.limit;
      }
    });
  }
  if (sub == "show" || sub == "archive") {
    if (positional.empty()) {
      PrintError("plans " + sub + " needs a plan id");
      return 2;
    }
    return WithApp([&](App& app) {
      auto record = sub == "show" ? app.plans->Get(positional) : app.plans->Archive(positional, "cli");
      if (!record.ok()) return Fail(record.error());
      PrintPlan(*record, *app.catalog, app.context->clock.Now());
      return 0;
    });
  }
  if (sub == "create" || sub == "add-version") {
    if ((*flags)["--file"].empty() || (sub == "add-version" && (*flags)["--plan"].empty())) {
      PrintError(sub == "create" ? "plans create needs --file" : "plans add-version needs --plan and --file");
      return 2;
    }
    return WithApp([&](App& app) {
      TimePoint now = app.context->clock.Now();
      auto at = EffectiveAt(*flags, now);
      if (!at.ok()) return Fail(at.error());
      auto plan = PlanFromFile((*flags)["--file"], *app.catalog, sub == "create" ? "" : (*flags)["--plan"]);
      if (!plan.ok()) return Fail(plan.error());
      auto record = sub == "create" ? app.plans->Create(*plan, *at, "cli")
                                    : app.plans->AddVersion((*flags)["--plan"], *plan, *at, "cli");
      if (!record.ok()) return Fail(record.error());
      PrintPlan(*record, *app.catalog, now);
      return 0;
    });
  }
  if (sub == "migrate") {
    subscriptions::VersionMove move;
    move.plan_id = (*flags)["--plan"];
    if (move.plan_id.empty() || !ParseInt((*flags)["--to-version"], move.to_version) || move.to_version < 1) {
      PrintError("plans migrate needs --plan and --to-version N (a positive integer)");
      return 2;
    }
    if (flags->count("--from-version") &&
        (!ParseInt((*flags)["--from-version"], move.from_version) || move.from_version < 1)) {
      PrintError("--from-version must be a positive integer");
      return 2;
    }
    if ((*flags)["--at"] != "period-end") {
      // A change inside a period is prorated: that is a plan change, not a price migration.
      PrintError("plans migrate needs --at period-end (the only point a price version changes)");
      return 2;
    }
    return WithApp([&](App& app) {
      auto moved = app.subscriptions->MoveAtPeriodEnd(move, "cli");
      if (!moved.ok()) return Fail(moved.error());
      std::printf("moved %lld subscriptions of %s to version %lld from their next period (%lld already there)\n",
                  static_cast<long long>(moved->moved), move.plan_id.c_str(), static_cast<long long>(move.to_version),
                  static_cast<long long>(moved->unchanged));
      return 0;
    });
  }
  PrintError("unknown plans command '" + sub + "'; run 'billingd plans --help'");
  return 2;
}

}  // namespace meterline::app
