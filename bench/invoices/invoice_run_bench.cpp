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
#include <string>

#include "app/config.hpp"
#include "app/wiring.hpp"
#include "core/log.hpp"

using namespace meterline;

int main(int argc, char** argv) {
  int64_t subscriptions = argc > 1 ? std::atoll(argv[1]) : 100'000;
  log::Init(log::Level::kError);
  auto config = app::LoadConfig([](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    return v ? std::optional<std::string>(v) : std::nullopt;
  });
  if (!config.ok()) {
    std::fprintf(stderr, "%s\n", config.error().message.c_str());
    return 2;
  }
  config->migrate_on_start = true;
  SystemClock clock;
  auto built = app::BuildApp(*config, clock);
  if (!built.ok()) {
    std::fprintf(stderr, "%s\n", built.error().message.c_str());
    return 1;
  }
  app::App& a = **built;
  auto& db = *a.db;

  // Subscriptions anchored at the start of last month: that period is closed.
  TimePoint now = clock.Now();
  std::chrono::year_month_day today{std::chrono::floor<std::chrono::days>(now)};
  auto month = std::chrono::year_month(today.year(), today.month()) - std::chrono::months(1);
  TimePoint anchor = std::chrono::sys_days(month / std::chrono::day(1));
  Period period = MonthlyPeriodContaining(anchor, anchor);
  int64_t anchor_ms = ToUnixMillis(anchor);
  auto setup_start = std::chrono::steady_clock::now();
  const char* plans[] = {"starter", "growth", "scale", "enterprise"};
  // Recursive CTEs work in SQLite and PostgreSQL alike.
  std::string seq = "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < $1) ";
  Status s = db.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
    auto r = tx.Execute(seq + "INSERT INTO customers (id, name, country, currency, created_at, updated_at) "
                              "SELECT 'cus_bench_' || n, 'Bench customer ' || n, 'DE', 'USD', $2, $2 FROM seq",
                        {subscriptions, anchor_ms});
    if (!r.ok()) return std::move(r).error();
    r = tx.Execute(seq + "INSERT INTO subscriptions (id, customer_id, plan_id, status, billing_anchor, "
                         "current_period_start, current_period_end, created_at, updated_at) "
                         "SELECT 'sub_bench_' || n, 'cus_bench_' || n, CASE n % 4 WHEN 0 THEN $2 WHEN 1 THEN $3 "
                         "WHEN 2 THEN $4 ELSE $5 END, 'active', $6, $6, $7, $6, $6 FROM seq",
                   {subscriptions, plans[0], plans[1], plans[2], plans[3], anchor_ms, ToUnixMillis(period.end)});
    if (!r.ok()) return std::move(r).error();
    return OkStatus();
  });
  if (!s.ok()) {
    std::fprintf(stderr, "setup: %s\n", s.error().message.c_str());
    return 1;
  }
  // A day of hourly rollups per metric per customer (the SQL usage store;
  // enough usage on the big hours to go over some limits).
  s = db.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
    auto r = tx.Execute(
        "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < $1), "
        "hours(h) AS (SELECT 0 UNION ALL SELECT h + 1 FROM hours WHERE h < 23) "
        "INSERT INTO usage_rollups_hourly (customer_id, metric, hour_start, total, events) "
        "SELECT 'cus_bench_' || n, m.metric, CAST($2 AS BIGINT) + h * 3600000, "
        "CASE m.metric WHEN 'impressions' THEN 50000 + (n * 7919 + h * 104729) % 60000 "
        "WHEN 'api_calls' THEN 4000 + (n * 31 + h) % 6000 ELSE 2000000000 + (n * 17 + h) % 1000000000 END, 1 "
        "FROM seq CROSS JOIN hours CROSS JOIN (SELECT 'impressions' AS metric UNION ALL SELECT 'api_calls' "
        "UNION ALL SELECT 'data_transfer') m",
        {subscriptions, anchor_ms + 3'600'000});
    if (!r.ok()) return std::move(r).error();
    return OkStatus();
  });
  if (!s.ok()) {
    std::fprintf(stderr, "setup rollups: %s\n", s.error().message.c_str());
    return 1;
  }
  // Planner statistics, as a database that has been running would have them.
  if (auto analyzed = db.Execute("ANALYZE"); !analyzed.ok()) {
    std::fprintf(stderr, "analyze: %s\n", analyzed.error().message.c_str());
    return 1;
  }
  double setup_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - setup_start).count();

  auto start = std::chrono::steady_clock::now();
  auto summary = a.invoices->RunPeriodsStartingIn(period.start, period.end);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!summary.ok()) {
    std::fprintf(stderr, "run: %s\n", summary.error().message.c_str());
    return 1;
  }
  auto count = db.Execute("SELECT COUNT(*), COUNT(DISTINCT number), SUM(total_minor) FROM invoices");
  std::printf("store=%s subscriptions=%lld rollup_rows=%lld setup_seconds=%.1f run_seconds=%.2f "
              "invoices_per_second=%.0f created=%lld distinct_numbers=%lld total_minor=%lld\n",
              storage::BackendName(db.backend()), static_cast<long long>(subscriptions),
              static_cast<long long>(subscriptions * 72), setup_seconds, seconds, summary->created / seconds,
              static_cast<long long>(summary->created), static_cast<long long>(count->rows[0].Int(1)),
              static_cast<long long>(count->rows[0].Int(2)));
  return summary->created == subscriptions ? 0 : 1;
}
