// The admin analytics at scale (bench/analytics/run): CUSTOMERS customers
// (default 100,000) with up to fourteen months of invoices each (1.26 million
// for 100,000, with 2.5 lines on average), two currencies, customers who start
// late and ones who churn, open, paid, void and uncollectible invoices. Times the refresh that
// rebuilds the summaries, then each analytics route answered through the whole
// middleware pipeline (authentication, rate limit, RBAC, handler, JSON) with
// an admin API key: p50, p99 and max over REPEAT requests.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "common/bench_app.hpp"
#include "http/middleware/pipeline.hpp"

namespace meterline::bench {
namespace {

TimePoint MonthStart(TimePoint now, int months_back) {
  std::chrono::year_month_day today{std::chrono::floor<std::chrono::days>(now)};
  auto month = std::chrono::year_month(today.year(), today.month()) - std::chrono::months(months_back);
  return std::chrono::sys_days(month / std::chrono::day(1));
}

Status Seed(storage::Database& db, int64_t customers, TimePoint now) {
  const std::string seq = "WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < $1) ";
  // Fees of the four demo plans by n % 4; usage a spread of amounts.
  const std::string fee = "(CASE n % 4 WHEN 0 THEN 4900 WHEN 1 THEN 29900 WHEN 2 THEN 99900 ELSE 299900 END)";
  auto usage_by = [](const std::string& back) {
    return "((n * 7919 + CAST(" + back + " AS BIGINT) * 104729) % 50000)";
  };
  const std::string usage = usage_by("$3");
  const std::string api = "(CASE WHEN n % 2 = 0 THEN (n * 31) % 9000 ELSE 0 END)";
  constexpr int64_t kMonths = 14;
  // Customers n % 7 == 0 start six months ago (new MRR); n % 10 == 3 stopped
  // three months ago (churn): their subscriptions are canceled.
  auto billed_by = [](const std::string& back) {
    return "NOT (n % 7 = 0 AND CAST(" + back + " AS BIGINT) > 6) AND NOT (n % 10 = 3 AND CAST(" + back +
           " AS BIGINT) <= 3)";
  };
  const std::string billed = billed_by("$3");
  int64_t created = ToUnixMillis(MonthStart(now, kMonths + 1));
  return db.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
    MTL_RETURN_IF_ERROR(tx.Execute(
        seq + "INSERT INTO customers (id, name, country, currency, created_at, updated_at) "
              "SELECT 'cus_bench_' || n, 'Bench customer ' || n, 'DE', CASE WHEN n % 10 = 0 THEN 'EUR' ELSE 'USD' END, "
              "$2, $2 FROM seq",
        {customers, created}));
    MTL_RETURN_IF_ERROR(tx.Execute(
        seq + "INSERT INTO subscriptions (id, customer_id, plan_id, status, billing_anchor, current_period_start, "
              "current_period_end, created_at, updated_at) "
              "SELECT 'sub_bench_' || n, 'cus_bench_' || n, CASE n % 4 WHEN 0 THEN 'starter' WHEN 1 THEN 'growth' "
              "WHEN 2 THEN 'scale' ELSE 'enterprise' END, CASE WHEN n % 10 = 3 THEN 'canceled' WHEN n % 20 = 1 "
              "THEN 'past_due' ELSE 'active' END, $2, $3, $4, $2, $2 FROM seq",
        {customers, created, ToUnixMillis(MonthStart(now, 0)), ToUnixMillis(MonthStart(now, -1))}));
    MTL_RETURN_IF_ERROR(tx.Execute(
        seq + "INSERT INTO subscription_plan_versions (subscription_id, effective_from, plan_version, plan_id, "
              "source, created_by, created_at) SELECT 'sub_bench_' || n, 0, 1, CASE n % 4 WHEN 0 THEN 'starter' "
              "WHEN 1 THEN 'growth' WHEN 2 THEN 'scale' ELSE 'enterprise' END, 'create', 'bench', $2 FROM seq",
        {customers, created}));
    for (int64_t back = 1; back <= kMonths; ++back) {
      int64_t start = ToUnixMillis(MonthStart(now, static_cast<int>(back)));
      int64_t end = ToUnixMillis(MonthStart(now, static_cast<int>(back) - 1));
      // Last month's are open (a fifth paid already); older ones paid, with a
      // few still open (past due), uncollectible or void.
      std::string status = back == 1 ? "CASE WHEN n % 5 = 0 THEN 'paid' ELSE 'open' END"
                                     : "CASE WHEN n % 97 = 0 THEN 'open' WHEN n % 89 = 0 THEN 'uncollectible' "
                                       "WHEN n % 83 = 0 THEN 'void' ELSE 'paid' END";
      std::string total = "(" + fee + " + " + usage + " + " + api + ")";
      MTL_RETURN_IF_ERROR(tx.Execute(
          seq +
              "INSERT INTO invoices (id, number, customer_id, subscription_id, period_start, period_end, status, "
              "currency, subtotal_minor, total_minor, amount_due_minor, amount_paid_minor, due_at, created_at, "
              "finalized_at, updated_at) "
              "SELECT 'inv_bench_' || n || '_' || CAST($3 AS TEXT), NULL, 'cus_bench_' || n, 'sub_bench_' || n, "
              "$2, $4, " +
              status + ", CASE WHEN n % 10 = 0 THEN 'EUR' ELSE 'USD' END, " + total + ", " + total + ", " + total +
              ", CASE WHEN " + status + " = 'paid' THEN " + total +
              " ELSE 0 END, $4 + 2592000000, $4, $4, $4 "
              "FROM seq WHERE " +
              billed,
          {customers, start, back, end}));
      MTL_RETURN_IF_ERROR(tx.Execute(
          seq +
              "INSERT INTO invoice_line_items (id, invoice_id, position, kind, metric, description, quantity, "
              "unit_price, amount_minor) SELECT 'il_bench_' || n || '_' || CAST($2 AS TEXT) || '_1', "
              "'inv_bench_' || n || '_' || CAST($2 AS TEXT), 1, 'base_fee', NULL, 'Plan fee', 1, 'fee', " +
              fee + " FROM seq WHERE " + billed_by("$2"),
          {customers, back}));
      MTL_RETURN_IF_ERROR(tx.Execute(
          seq +
              "INSERT INTO invoice_line_items (id, invoice_id, position, kind, metric, description, quantity, "
              "unit_price, amount_minor) SELECT 'il_bench_' || n || '_' || CAST($2 AS TEXT) || '_2', "
              "'inv_bench_' || n || '_' || CAST($2 AS TEXT), 2, 'overage', 'impressions', 'Impressions', " +
              usage_by("$2") + ", '0.001', " + usage_by("$2") + " FROM seq WHERE " + billed_by("$2"),
          {customers, back}));
      MTL_RETURN_IF_ERROR(tx.Execute(
          seq +
              "INSERT INTO invoice_line_items (id, invoice_id, position, kind, metric, description, quantity, "
              "unit_price, amount_minor) SELECT 'il_bench_' || n || '_' || CAST($2 AS TEXT) || '_3', "
              "'inv_bench_' || n || '_' || CAST($2 AS TEXT), 3, 'usage', 'api_calls', 'API calls', " +
              api + ", '0.01', " + api + " FROM seq WHERE n % 2 = 0 AND " + billed_by("$2"),
          {customers, back}));
      std::fprintf(stderr, "\rseeded %lld of %lld months", static_cast<long long>(back),
                   static_cast<long long>(kMonths));
    }
    std::fprintf(stderr, "\n");
    return OkStatus();
  });
}

struct Latency {
  double p50, p99, max;
};

Latency Measure(http::Pipeline& pipeline, const std::string& target, const std::string& key, int repeat) {
  std::vector<double> ms;
  for (int i = 0; i < repeat; ++i) {
    http::Request request;
    request.method = http::Method::kGet;
    request.target = target;
    auto question = target.find('?');
    request.path = target.substr(0, question);
    if (question != std::string::npos) request.query = target.substr(question + 1);
    request.headers.Add("Authorization", "Bearer " + key);
    request.remote_address = "127.0.0.1";
    auto start = std::chrono::steady_clock::now();
    http::Response response = pipeline.Handle(request);
    ms.push_back(SecondsSince(start) * 1000);
    if (response.status != 200) {
      std::fprintf(stderr, "%s answered %d: %s\n", target.c_str(), response.status, response.body.c_str());
      std::exit(1);
    }
  }
  std::sort(ms.begin(), ms.end());
  auto at = [&](double q) {
    return ms[std::min(ms.size() - 1, static_cast<size_t>(q * static_cast<double>(ms.size())))];
  };
  return {at(0.50), at(0.99), ms.back()};
}

int Run(int64_t customers, int repeat) {
  SystemClock clock;
  auto app = BuildAppFromEnv(clock);
  storage::Database& db = *app->db;
  auto existing = db.Execute("SELECT COUNT(*) FROM invoices");
  if (!existing.ok()) return 1;
  if (existing->rows[0].Int(0) == 0) {
    auto start = std::chrono::steady_clock::now();
    Status seeded = Seed(db, customers, clock.Now());
    if (!seeded.ok()) {
      std::fprintf(stderr, "seed failed: %s\n", seeded.error().message.c_str());
      return 1;
    }
    (void)db.Execute("ANALYZE");
    std::printf("seeded %lld customers in %.1f s\n", static_cast<long long>(customers), SecondsSince(start));
  }
  auto counts = db.Execute("SELECT (SELECT COUNT(*) FROM invoices), (SELECT COUNT(*) FROM invoice_line_items)");
  std::printf("backend %s: %lld invoices, %lld lines\n", storage::BackendName(db.backend()),
              static_cast<long long>(counts->rows[0].Int(0)), static_cast<long long>(counts->rows[0].Int(1)));

  for (int i = 0; i < 2; ++i) {
    auto refreshed = app->analytics->Refresh();
    if (!refreshed.ok()) {
      std::fprintf(stderr, "refresh failed: %s\n", refreshed.error().message.c_str());
      return 1;
    }
    std::printf("refresh %d: %lld customers, %lld invoices in %.2f s\n", i + 1,
                static_cast<long long>(refreshed->customers), static_cast<long long>(refreshed->invoices),
                static_cast<double>(refreshed->duration_ms) / 1000);
  }

  auto key = app->identity->CreateApiKey("analytics bench", Role::kAdmin, "", "bench", {"127.0.0.1", "bench"});
  if (!key.ok()) return 1;
  std::printf("%-48s %9s %9s %9s\n", "route", "p50 ms", "p99 ms", "max ms");
  for (const char* target :
       {"/api/v1/admin/analytics/mrr?months=12", "/api/v1/admin/analytics/revenue?months=12",
        "/api/v1/admin/analytics/top-customers?by=revenue&limit=10",
        "/api/v1/admin/analytics/top-customers?by=usage&limit=100", "/api/v1/admin/analytics/ar-aging"}) {
    Measure(*app->pipeline, target, key->secret, 5);  // warm the caches
    Latency l = Measure(*app->pipeline, target, key->secret, repeat);
    std::printf("%-48s %9.2f %9.2f %9.2f\n", target, l.p50, l.p99, l.max);
  }
  return 0;
}

}  // namespace
}  // namespace meterline::bench

int main(int argc, char** argv) {
  int64_t customers = argc > 1 ? std::stoll(argv[1]) : 100000;
  int repeat = argc > 2 ? std::stoi(argv[2]) : 200;
  return meterline::bench::Run(customers, repeat);
}
