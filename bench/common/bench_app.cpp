#include "bench_app.hpp"

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "app/config.hpp"
#include "core/log.hpp"
#include "metering/usage_shards.hpp"
#include "storage/bulk.hpp"

namespace meterline::bench {

std::unique_ptr<app::App> BuildAppFromEnv(const Clock& clock) {
  log::Init(log::Level::kError);
  auto config = app::LoadConfig([](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    return v ? std::optional<std::string>(v) : std::nullopt;
  });
  if (!config.ok()) {
    std::fprintf(stderr, "%s\n", config.error().message.c_str());
    std::exit(2);
  }
  config->migrate_on_start = true;
  auto built = app::BuildApp(*config, clock);
  if (!built.ok()) {
    std::fprintf(stderr, "%s\n", built.error().message.c_str());
    std::exit(1);
  }
  return std::move(built).value();
}

Period LastClosedMonth(TimePoint now) {
  std::chrono::year_month_day today{std::chrono::floor<std::chrono::days>(now)};
  auto month = std::chrono::year_month(today.year(), today.month()) - std::chrono::months(1);
  TimePoint start = std::chrono::sys_days(month / std::chrono::day(1));
  return MonthlyPeriodContaining(start, start);
}

Status SeedSubscriptionsWithUsage(app::App& app, int64_t subscriptions, const Period& month) {
  storage::Database& db = *app.db;
  const int64_t anchor_ms = ToUnixMillis(month.start);
  const char* plans[] = {"starter", "growth", "scale", "enterprise"};
  // Recursive CTEs work in SQLite and PostgreSQL alike.
  const std::string seq = "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < $1) ";
  MTL_RETURN_IF_ERROR(db.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
    auto r = tx.Execute(seq +
                            "INSERT INTO customers (id, name, country, currency, created_at, updated_at) "
                            "SELECT 'cus_bench_' || n, 'Bench customer ' || n, 'DE', 'USD', $2, $2 FROM seq",
                        {subscriptions, anchor_ms});
    if (!r.ok()) return std::move(r).error();
    r = tx.Execute(seq +
                       "INSERT INTO subscriptions (id, customer_id, plan_id, status, billing_anchor, "
                       "current_period_start, current_period_end, created_at, updated_at) "
                       "SELECT 'sub_bench_' || n, 'cus_bench_' || n, CASE n % 4 WHEN 0 THEN $2 WHEN 1 THEN $3 "
                       "WHEN 2 THEN $4 ELSE $5 END, 'active', $6, $6, $7, $6, $6 FROM seq",
                   {subscriptions, plans[0], plans[1], plans[2], plans[3], anchor_ms, ToUnixMillis(month.end)});
    if (!r.ok()) return std::move(r).error();
    // Each on version 1 of its plan, as billingd subscribes them.
    r = tx.Execute(seq +
                       "INSERT INTO subscription_plan_versions (subscription_id, effective_from, plan_version, "
                       "created_by, created_at) SELECT 'sub_bench_' || n, 0, 1, 'bench', $2 FROM seq",
                   {subscriptions, anchor_ms});
    if (!r.ok()) return std::move(r).error();
    return OkStatus();
  }));
  // A day of hourly rollups per metric per customer, where billingd keeps that
  // customer's usage (a SQLite shard file, or the database itself; the SQL
  // usage store: enough usage on the big hours to go over some limits).
  std::vector<storage::Database*> usage_dbs = app.usage_databases;
  if (usage_dbs.empty()) usage_dbs.push_back(&db);
  for (size_t k = 0; k < usage_dbs.size(); ++k) {
    std::vector<storage::Value> numbers;
    for (int64_t n = 1; n <= subscriptions; ++n) {
      if (metering::ShardOf("cus_bench_" + std::to_string(n), static_cast<int>(usage_dbs.size())) ==
          static_cast<int>(k)) {
        numbers.emplace_back(n);
      }
    }
    storage::Database& usage_db = *usage_dbs[k];
    MTL_RETURN_IF_ERROR(usage_db.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
      MTL_RETURN_IF_ERROR(tx.Execute("CREATE TEMP TABLE IF NOT EXISTS bench_customers (n BIGINT)"));
      MTL_RETURN_IF_ERROR(tx.Execute("DELETE FROM bench_customers"));
      if (numbers.empty()) return OkStatus();
      MTL_RETURN_IF_ERROR(storage::InsertRows(tx, "INSERT INTO bench_customers (n)", 1, numbers));
      auto r = tx.Execute(
          "WITH RECURSIVE hours(h) AS (SELECT 0 UNION ALL SELECT h + 1 FROM hours WHERE h < 23) "
          "INSERT INTO usage_rollups_hourly (customer_id, metric, hour_start, total, events) "
          "SELECT 'cus_bench_' || n, m.metric, CAST($1 AS BIGINT) + h * 3600000, "
          "CASE m.metric WHEN 'impressions' THEN 50000 + (n * 7919 + h * 104729) % 60000 "
          "WHEN 'api_calls' THEN 4000 + (n * 31 + h) % 6000 ELSE 2000000000 + (n * 17 + h) % 1000000000 END, 1 "
          "FROM bench_customers CROSS JOIN hours CROSS JOIN (SELECT 'impressions' AS metric UNION ALL SELECT "
          "'api_calls' UNION ALL SELECT 'data_transfer') m",
          {anchor_ms + 3'600'000});
      if (!r.ok()) return std::move(r).error();
      return OkStatus();
    }));
    if (&usage_db != &db) MTL_RETURN_IF_ERROR(usage_db.Execute("ANALYZE"));
  }
  auto analyzed = db.Execute("ANALYZE");
  if (!analyzed.ok()) return std::move(analyzed).error();
  return OkStatus();
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace meterline::bench
