// invoice_run_bench: one invoice run over SUBSCRIPTIONS subscriptions, each
// with a day of hourly rollups on every metric in a closed period. Setup is
// generated in SQL (not timed); the run — usage totals, lines, tax, numbers,
// invoices, lines and audit rows — is timed end to end. Uses the configuration
// billingd would (DATABASE_URL, CLICKHOUSE_URL, …) on an empty database.
//
//   invoice_run_bench [SUBSCRIPTIONS]
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "common/bench_app.hpp"

using namespace meterline;

int main(int argc, char** argv) {
  int64_t subscriptions = argc > 1 ? std::atoll(argv[1]) : 100'000;
  SystemClock clock;
  auto a = bench::BuildAppFromEnv(clock);
  auto& db = *a->db;

  Period period = bench::LastClosedMonth(clock.Now());
  auto setup_start = std::chrono::steady_clock::now();
  if (Status s = bench::SeedSubscriptionsWithUsage(*a, subscriptions, period); !s.ok()) {
    std::fprintf(stderr, "setup: %s\n", s.error().message.c_str());
    return 1;
  }
  double setup_seconds = bench::SecondsSince(setup_start);

  auto start = std::chrono::steady_clock::now();
  auto summary = a->invoices->RunPeriodsStartingIn(period.start, period.end);
  double seconds = bench::SecondsSince(start);
  if (!summary.ok()) {
    std::fprintf(stderr, "run: %s\n", summary.error().message.c_str());
    return 1;
  }
  auto count = db.Execute("SELECT COUNT(*), COUNT(DISTINCT number), SUM(total_minor) FROM invoices");
  std::printf(
      "store=%s subscriptions=%lld rollup_rows=%lld setup_seconds=%.1f run_seconds=%.2f "
      "invoices_per_second=%.0f created=%lld distinct_numbers=%lld total_minor=%lld\n",
      storage::BackendName(db.backend()), static_cast<long long>(subscriptions),
      static_cast<long long>(subscriptions * 72), setup_seconds, seconds, summary->created / seconds,
      static_cast<long long>(summary->created), static_cast<long long>(count->rows[0].Int(1)),
      static_cast<long long>(count->rows[0].Int(2)));
  // Which kinds of lines the catalog produced (the mixed one: every model).
  auto kinds = db.Execute("SELECT kind, COUNT(*) FROM invoice_line_items GROUP BY kind ORDER BY kind");
  if (kinds.ok()) {
    std::printf("lines:");
    for (const auto& row : kinds->rows) {
      std::printf(" %s=%lld", row.Text(0).c_str(), static_cast<long long>(row.Int(1)));
    }
    std::printf("\n");
  }
  return summary->created == subscriptions ? 0 : 1;
}
