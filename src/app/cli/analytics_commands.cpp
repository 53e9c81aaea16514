// billingd analytics refresh | show, and billingd export: the admin analytics
// and the streamed exports (docs/analytics.md).
#include <cstdio>
#include <iostream>

#include "analytics/analytics.hpp"
#include "app/cli/cli.hpp"
#include "app/wiring.hpp"
#include "exports/export_stream.hpp"
#include "money/money.hpp"

namespace meterline::app {

namespace {

constexpr const char* kAnalyticsUsage = R"(Usage: billingd analytics refresh
       billingd analytics show [--months N]

refresh  Rebuilds the analytics' summaries from the invoices and subscriptions
         (what 'serve' does every ANALYTICS_REFRESH_SECONDS).
show     MRR, ARR, paying customers and revenue of the last N months (default 12)
         per currency, from the last refresh.
)";

constexpr const char* kExportUsage =
    R"(Usage: billingd export KIND --from DATE --to DATE [--format csv|jsonl] [--output FILE]

Writes every row of KIND in [from, to) to FILE or standard output, a page at a
time (memory stays constant), with a progress bar on a terminal.
KIND     invoices | invoice_lines (by invoice creation) | usage_rollups (by hour) | audit
DATE     2026-01-31 (midnight UTC) or an RFC 3339 time
--format csv (RFC 4180, the default) or jsonl (JSON Lines)
)";

int Fail(const Error& error, int code = 1) {
  PrintError(error.message);
  return code;
}

std::string Money(int64_t minor, const std::string& currency) {
  auto c = money::FindCurrency(currency).value_or(money::Currency{currency, 2});
  return money::FormatMajor(minor, c);
}

int Show(App& app, int months) {
  auto last = app.analytics->LastRefresh();
  if (!last.ok()) return Fail(last.error());
  if (!*last) return Fail(NotFound("no analytics yet: run 'billingd analytics refresh'"));
  auto currencies = app.analytics->Months(months);
  if (!currencies.ok()) return Fail(currencies.error());
  std::printf("as of %s\n", FormatIso8601((*last)->refreshed_at).c_str());
  for (const auto& c : *currencies) {
    const auto& now = c.months.back();
    std::printf("\n%s  MRR %s  ARR %s  paying customers %lld\n", c.currency.c_str(),
                Money(analytics::DivideHalfUp(now.mrr_twelfths, 12), c.currency).c_str(),
                Money(now.mrr_twelfths, c.currency).c_str(), static_cast<long long>(now.paying_customers));
    std::printf("%-8s %14s %14s %14s %10s\n", "month", "MRR", "revenue", "usage", "paying");
    for (const auto& f : c.months) {
      std::printf("%-8s %14s %14s %14s %10lld\n", f.month.c_str(),
                  Money(analytics::DivideHalfUp(f.mrr_twelfths, 12), c.currency).c_str(),
                  Money(f.revenue_minor, c.currency).c_str(), Money(f.usage_minor, c.currency).c_str(),
                  static_cast<long long>(f.paying_customers));
    }
  }
  return 0;
}

}  // namespace

int RunAnalytics(const std::vector<std::string>& args) {
  if (args.empty() || WantsHelp(args)) {
    (args.empty() ? std::cerr : std::cout) << kAnalyticsUsage;
    return args.empty() ? 2 : 0;
  }
  const std::string& command = args.front();
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (command == "refresh") {
    if (!rest.empty()) return Fail(InvalidArgument("analytics refresh takes no flags"), 2);
    return WithApp([](App& app) {
      auto run = app.analytics->Refresh();
      if (!run.ok()) return Fail(run.error());
      std::printf("refreshed: %lld customers, %lld invoices in %lld ms\n", static_cast<long long>(run->customers),
                  static_cast<long long>(run->invoices), static_cast<long long>(run->duration_ms));
      return 0;
    });
  }
  if (command != "show") {
    std::cerr << kAnalyticsUsage;
    return 2;
  }
  auto flags = ParseFlags(rest, {"--months"});
  if (!flags.ok()) return Fail(flags.error(), 2);
  int64_t months = 12;
  if (flags->count("--months") &&
      (!ParseInt((*flags)["--months"], months) || months < 1 || months >= analytics::kMonthsKept)) {
    return Fail(InvalidArgument("--months must be between 1 and " + std::to_string(analytics::kMonthsKept - 1)), 2);
  }
  return WithApp([&](App& app) { return Show(app, static_cast<int>(months)); });
}

int RunExport(const std::vector<std::string>& args) {
  if (args.empty() || WantsHelp(args)) {
    (args.empty() ? std::cerr : std::cout) << kExportUsage;
    return args.empty() ? 2 : 0;
  }
  auto kind = exports::ParseKind(args.front());
  if (!kind) {
    return Fail(InvalidArgument("unknown export '" + args.front().substr(0, 40) +
                                "': use invoices, invoice_lines, usage_rollups or audit"),
                2);
  }
  auto flags =
      ParseFlags(std::vector<std::string>(args.begin() + 1, args.end()), {"--from", "--to", "--format", "--output"});
  if (!flags.ok()) return Fail(flags.error(), 2);
  auto format = exports::ParseFormat(flags->count("--format") ? (*flags)["--format"] : "csv");
  if (!format) return Fail(InvalidArgument("--format must be csv or jsonl"), 2);
  std::optional<TimePoint> from, to;
  if (flags->count("--from")) from = ParseIso8601((*flags)["--from"]);
  if (flags->count("--to")) to = ParseIso8601((*flags)["--to"]);
  if (!from || !to)
    return Fail(InvalidArgument("--from and --to are required: a date (2026-01-31) or RFC 3339 time"), 2);
  if (!(*from < *to)) return Fail(InvalidArgument("--to must be after --from"), 2);
  std::string output = flags->count("--output") ? (*flags)["--output"] : "";

  return WithApp([&](App& app) {
    exports::ExportStream stream(*app.db, *kind, *format, exports::Range{*from, *to}, app.usage_databases);
    auto total = stream.CountRows();
    if (!total.ok()) return Fail(total.error());
    FILE* out = output.empty() ? stdout : std::fopen(output.c_str(), "wb");
    if (out == nullptr) return Fail(InvalidArgument("cannot write " + output));
    int code = 0;
    std::string piece;
    while (true) {
      piece.clear();
      auto more = stream.Next(piece);
      if (!more.ok()) {
        code = Fail(more.error());
        break;
      }
      if (!piece.empty() && std::fwrite(piece.data(), 1, piece.size(), out) != piece.size()) {
        code = Fail(Internal("writing the export failed"));
        break;
      }
      ShowProgress(exports::KindName(*kind), stream.rows_written(), *total);
      if (!*more) break;
    }
    FinishProgress();
    if (std::fflush(out) != 0 && code == 0) code = Fail(Internal("writing the export failed"));
    if (out != stdout) std::fclose(out);
    if (code == 0) {
      std::fprintf(stderr, "exported %lld %s rows\n", static_cast<long long>(stream.rows_written()),
                   exports::KindName(*kind));
    }
    return code;
  });
}

}  // namespace meterline::app
