// Billing analytics and exports, once per backend, against figures worked out
// by hand: a fixture of four customers over four months (a steady one, one
// that expands, one that churns, one on a yearly plan in another currency),
// with void, open and past-due invoices; then exports compared row by row with
// the database, streamed over HTTP and written by `billingd export` at a
// million rows in bounded memory.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <filesystem>
#include <fstream>

#include "analytics/analytics.hpp"
#include "metering/usage_shards.hpp"
#include "security/security_fixture.hpp"
#include "support/child_process.hpp"

namespace meterline::testing {
namespace {

namespace json = boost::json;

TimePoint At(const char* text) { return *ParseIso8601(text); }

struct Line {
  std::string kind;
  std::string metric;  // "" for none
  int64_t amount;
};

class AnalyticsTest : public SecurityTest {
 protected:
  AnalyticsTest() { fake_now_ = At("2026-11-15T12:00:00Z"); }

  storage::Database& db() { return billingd_->database().db(); }

  // An invoice for the month starting at `month` ("2026-08-01"), with its lines.
  void AddInvoice(const std::string& customer, const std::string& subscription, const std::string& status,
                  const std::string& currency, const char* month, int months, std::optional<TimePoint> due,
                  const std::vector<Line>& lines, int64_t paid = 0) {
    static int serial = 0;
    std::string id = "inv_fixture_" + std::to_string(++serial);
    TimePoint start = At(month);
    std::chrono::year_month_day ymd{std::chrono::floor<std::chrono::days>(start)};
    ymd += std::chrono::months(months);
    TimePoint end = TimePoint(std::chrono::sys_days(ymd).time_since_epoch());
    int64_t total = 0;
    for (const auto& l : lines) total += l.amount;
    std::vector<storage::Value> params = {id,
                                          customer,
                                          subscription,
                                          ToUnixMillis(start),
                                          ToUnixMillis(end),
                                          status,
                                          currency,
                                          total,
                                          status == "open" ? total : int64_t{0},
                                          paid,
                                          ToUnixMillis(end) + serial,
                                          nullptr};
    if (due) params.back() = ToUnixMillis(*due);
    if (subscription.empty()) params[2] = nullptr;
    auto inserted = db().Execute(
        "INSERT INTO invoices (id, customer_id, subscription_id, period_start, period_end, status, currency, "
        "subtotal_minor, total_minor, amount_due_minor, amount_paid_minor, created_at, updated_at, due_at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10, $11, $11, $12)",
        params);
    ASSERT_TRUE(inserted.ok()) << inserted.error().message;
    int position = 0;
    for (const auto& l : lines) {
      ++position;
      std::vector<storage::Value> line = {id + "_" + std::to_string(position),
                                          id,
                                          int64_t{position},
                                          l.kind,
                                          nullptr,
                                          "line, with \"quotes\"",
                                          l.amount};
      if (!l.metric.empty()) line[4] = l.metric;
      auto r = db().Execute(
          "INSERT INTO invoice_line_items (id, invoice_id, position, kind, metric, description, quantity, "
          "unit_price, amount_minor) VALUES ($1, $2, $3, $4, $5, $6, 1, '1.00', $7)",
          line);
      ASSERT_TRUE(r.ok()) << r.error().message;
    }
  }

  std::string Subscribe(const std::string& customer, const std::string& plan, const char* anchor) {
    auto sub =
        billingd_->app().subscriptions->Create(customer, plan, At(anchor), subscriptions::Status::kActive, "test");
    EXPECT_TRUE(sub.ok()) << sub.error().message;
    return sub.ok() ? sub->id : "";
  }

  json::object Get(const std::string& path, const SignedIn& who) {
    HttpResult r = Client().Get(path, {who.Cookie()});
    EXPECT_EQ(r.status, 200) << path << ": " << r.body;
    return r.status == 200 ? json::parse(r.body).as_object() : json::object();
  }

  static json::object Currency(const json::object& view, const std::string& currency) {
    for (const auto& c : view.at("currencies").as_array()) {
      if (c.at("currency").as_string() == currency) return c.as_object();
    }
    ADD_FAILURE() << "no " << currency << " in " << json::serialize(view);
    return {};
  }
  static json::object Month(const json::object& currency, const std::string& month) {
    for (const auto& m : currency.at("months").as_array()) {
      if (m.at("month").as_string() == month) return m.as_object();
    }
    ADD_FAILURE() << "no " << month;
    return {};
  }
  static int64_t Minor(const json::object& obj, const char* field) { return obj.at(field).at("minor").as_int64(); }

  // The fixture (fees: starter $49, growth $299; "yearly-eur" €1,200 a year).
  void BuildFixture() {
    auto& app = billingd_->app();
    auth::RequestOrigin origin{"127.0.0.1", "test"};
    auto c = app.customers->Create({"Churned Co", "", "US", "USD"}, "test", origin);
    auto d = app.customers->Create({"Euro GmbH", "", "DE", "EUR"}, "test", origin);
    ASSERT_TRUE(c.ok() && d.ok());
    churned_ = c->id;
    euro_ = d->id;
    SignedIn root = SignIn("root@meterline.test");
    HttpResult plan =
        Client().Post("/api/v1/admin/plans",
                      R"({"id":"yearly-eur","name":"Yearly EUR","currency":"EUR","base_fee":"1200.00","interval":"year",
          "limits":{"impressions":1000000,"api_calls":100000,"data_transfer":1000000000}})",
                      {root.Cookie(), "X-CSRF-Token: " + root.csrf, "Content-Type: application/json"});
    ASSERT_EQ(plan.status, 201) << plan.body;

    // A: starter throughout, usage in Sep and Oct; its August invoice was voided and reissued.
    std::string a = Subscribe(customer_a_, "starter", "2026-08-01T00:00:00Z");
    AddInvoice(customer_a_, a, "void", "USD", "2026-08-01T00:00:00Z", 1, std::nullopt, {{"base_fee", "", 9999}});
    AddInvoice(customer_a_, "", "paid", "USD", "2026-08-01T00:00:00Z", 1, std::nullopt, {{"base_fee", "", 4900}});
    AddInvoice(customer_a_, a, "paid", "USD", "2026-09-01T00:00:00Z", 1, std::nullopt,
               {{"base_fee", "", 4900}, {"overage", "impressions", 1000}});
    // October's is open, due Nov 10: 5 days past due.
    AddInvoice(customer_a_, a, "open", "USD", "2026-10-01T00:00:00Z", 1, At("2026-11-10T00:00:00Z"),
               {{"base_fee", "", 4900}, {"overage", "impressions", 2500}});

    // B: starter in Aug and Sep, growth from October (expansion).
    std::string b = Subscribe(customer_b_, "starter", "2026-08-01T00:00:00Z");
    auto change = db().Execute(
        "INSERT INTO subscription_plan_versions (subscription_id, effective_from, plan_version, plan_id, source, "
        "created_by, created_at) VALUES ($1, $2, 1, 'growth', 'change', 'test', $2)",
        {b, ToUnixMillis(At("2026-10-01T00:00:00Z"))});
    ASSERT_TRUE(change.ok()) << change.error().message;
    ASSERT_TRUE(db().Execute("UPDATE subscriptions SET plan_id = 'growth' WHERE id = $1", {b}).ok());
    AddInvoice(customer_b_, b, "paid", "USD", "2026-08-01T00:00:00Z", 1, std::nullopt, {{"base_fee", "", 4900}});
    AddInvoice(customer_b_, b, "paid", "USD", "2026-09-01T00:00:00Z", 1, std::nullopt,
               {{"base_fee", "", 4900}, {"usage", "api_calls", 300}});
    AddInvoice(customer_b_, b, "paid", "USD", "2026-10-01T00:00:00Z", 1, std::nullopt,
               {{"base_fee", "", 29900}, {"adjustment", "", -1500}});

    // C: starter in Aug and Sep, then canceled (churned in October). September's
    // is still open, due Oct 1: 45 days past due; August's half paid, due Jul 1: over 90.
    std::string cs = Subscribe(churned_, "starter", "2026-08-01T00:00:00Z");
    AddInvoice(churned_, cs, "open", "USD", "2026-08-01T00:00:00Z", 1, At("2026-07-01T00:00:00Z"),
               {{"base_fee", "", 4900}}, 2000);
    AddInvoice(churned_, cs, "open", "USD", "2026-09-01T00:00:00Z", 1, At("2026-10-01T00:00:00Z"),
               {{"base_fee", "", 4900}});
    ASSERT_TRUE(db().Execute("UPDATE subscriptions SET status = 'canceled' WHERE id = $1", {cs}).ok());

    // D: a yearly plan in euros from September: €100 of MRR a month, open, not yet due.
    std::string ds = Subscribe(euro_, "yearly-eur", "2026-09-01T00:00:00Z");
    AddInvoice(euro_, ds, "open", "EUR", "2026-09-01T00:00:00Z", 12, At("2026-12-01T00:00:00Z"),
               {{"base_fee", "", 120000}});
    // A draft is no revenue yet.
    AddInvoice(euro_, ds, "draft", "EUR", "2026-10-01T00:00:00Z", 1, std::nullopt, {{"usage", "impressions", 777}});

    auto refreshed = billingd_->app().analytics->Refresh();
    ASSERT_TRUE(refreshed.ok()) << refreshed.error().message;
  }

  std::string churned_, euro_;
};

TEST_P(AnalyticsTest, MrrMovementsAndRetentionMatchTheFixtureWorkedByHand) {
  SignedIn root = SignIn("root@meterline.test");
  // Before any refresh: no figures, and said so.
  json::object empty = Get("/api/v1/admin/analytics/mrr", root);
  EXPECT_TRUE(empty.at("as_of").is_null());
  EXPECT_TRUE(empty.at("currencies").as_array().empty());
  BuildFixture();

  json::object mrr = Get("/api/v1/admin/analytics/mrr?months=4", root);
  EXPECT_EQ(mrr.at("as_of").as_string(), "2026-11-15T12:00:00.000Z");
  ASSERT_EQ(mrr.at("currencies").as_array().size(), 2u) << "currencies are never added";
  json::object usd = Currency(mrr, "USD");
  ASSERT_EQ(usd.at("months").as_array().size(), 4u);
  // August: A (the reissued invoice, not the void one), B and C new at $49.
  json::object aug = Month(usd, "2026-08");
  EXPECT_EQ(Minor(aug, "mrr"), 14700);
  EXPECT_EQ(Minor(aug, "new"), 14700);
  EXPECT_EQ(aug.at("paying_customers").as_int64(), 3);
  // September: unchanged; NRR 100 %.
  json::object sep = Month(usd, "2026-09");
  EXPECT_EQ(Minor(sep, "mrr"), 14700);
  EXPECT_EQ(Minor(sep, "expansion") + Minor(sep, "contraction") + Minor(sep, "churned"), 0);
  EXPECT_EQ(sep.at("net_revenue_retention").as_string(), "100.0");
  // October: B expands by $250, C churns $49: 4,900 + 29,900.
  json::object oct = Month(usd, "2026-10");
  EXPECT_EQ(Minor(oct, "mrr"), 34800);
  EXPECT_EQ(Minor(oct, "expansion"), 25000);
  EXPECT_EQ(Minor(oct, "churned"), 4900);
  EXPECT_EQ(Minor(oct, "new"), 0);
  EXPECT_EQ(oct.at("paying_customers").as_int64(), 2);
  EXPECT_EQ(Minor(oct, "arpu"), 17400);
  // (14,700 + 25,000 - 4,900) / 14,700 = 236.7 %
  EXPECT_EQ(oct.at("net_revenue_retention").as_string(), "236.7");
  // November (now): from the live subscriptions, A on starter and B on growth.
  EXPECT_EQ(Minor(usd, "mrr"), 34800);
  EXPECT_EQ(Minor(usd, "arr"), 417600);
  EXPECT_EQ(usd.at("paying_customers").as_int64(), 2);
  EXPECT_TRUE(usd.at("net_revenue_retention_12m").is_null()) << "nobody paid 12 months ago";

  // Euros: a twelfth of the yearly fee each month from September.
  json::object eur = Currency(mrr, "EUR");
  EXPECT_EQ(Minor(Month(eur, "2026-08"), "mrr"), 0);
  EXPECT_EQ(Minor(Month(eur, "2026-09"), "mrr"), 10000);
  EXPECT_EQ(Minor(Month(eur, "2026-09"), "new"), 10000);
  EXPECT_EQ(Minor(Month(eur, "2026-10"), "mrr"), 10000);
  EXPECT_EQ(Minor(eur, "mrr"), 10000);
  EXPECT_EQ(Minor(eur, "arr"), 120000);
  EXPECT_EQ(eur.at("mrr").at("currency").as_string(), "EUR");

  EXPECT_EQ(Client().Get("/api/v1/admin/analytics/mrr?months=0", {root.Cookie()}).status, 400);
  EXPECT_EQ(Client().Get("/api/v1/admin/analytics/mrr?months=25", {root.Cookie()}).status, 400);
}

TEST_P(AnalyticsTest, RevenueByKindMetricAndPlanTopCustomersAndInvoicesByStatus) {
  BuildFixture();
  SignedIn root = SignIn("root@meterline.test");
  json::object revenue = Get("/api/v1/admin/analytics/revenue?months=4", root);
  json::object usd = Currency(revenue, "USD");
  json::object oct = Month(usd, "2026-10");
  EXPECT_EQ(Minor(oct, "total"), 4900 + 2500 + 29900 - 1500);
  EXPECT_EQ(Minor(oct, "base_fees"), 34800);
  EXPECT_EQ(Minor(oct, "usage"), 2500);
  EXPECT_EQ(Minor(oct, "other"), -1500);
  std::map<std::string, int64_t> plans, metrics;
  for (const auto& p : oct.at("by_plan").as_array())
    plans[std::string(p.at("plan_id").as_string())] = Minor(p.as_object(), "amount");
  json::object sep = Month(usd, "2026-09");
  for (const auto& m : sep.at("by_metric").as_array()) {
    metrics[std::string(m.at("metric").as_string())] = Minor(m.as_object(), "amount");
  }
  EXPECT_EQ(plans, (std::map<std::string, int64_t>{{"growth", 28400}, {"starter", 7400}}));
  EXPECT_EQ(metrics, (std::map<std::string, int64_t>{{"api_calls", 300}, {"impressions", 1000}}));
  // Aug + Sep + Oct + Nov: the void invoice and the draft are not revenue.
  EXPECT_EQ(Minor(usd, "total"), 14700 + 16000 + 35800);
  json::object eur = Currency(revenue, "EUR");
  EXPECT_EQ(Minor(eur, "total"), 120000);
  std::map<std::string, int64_t> by_status;
  for (const auto& s : usd.at("invoices_by_status").as_array()) {
    by_status[std::string(s.at("status").as_string())] = s.at("invoices").as_int64();
  }
  EXPECT_EQ(by_status, (std::map<std::string, int64_t>{{"open", 3}, {"paid", 5}, {"void", 1}}));

  json::object top = Get("/api/v1/admin/analytics/top-customers?limit=2", root);
  json::array customers = Currency(top, "USD").at("customers").as_array();
  ASSERT_EQ(customers.size(), 2u);
  EXPECT_EQ(customers[0].at("customer_id").as_string(), customer_b_);  // 9,800 + 300 + 28,400
  EXPECT_EQ(Minor(customers[0].as_object(), "revenue"), 38500);
  EXPECT_EQ(customers[1].at("customer_id").as_string(), customer_a_);  // 14,700 + 3,500
  EXPECT_EQ(customers[1].at("name").as_string(), "Acme Ads");
  json::object by_usage = Get("/api/v1/admin/analytics/top-customers?by=usage", root);
  json::array users = Currency(by_usage, "USD").at("customers").as_array();
  ASSERT_EQ(users.size(), 2u) << "customers without usage are not ranked by it";
  EXPECT_EQ(users[0].at("customer_id").as_string(), customer_a_);
  EXPECT_EQ(Minor(users[0].as_object(), "usage"), 3500);
  EXPECT_EQ(Client().Get("/api/v1/admin/analytics/top-customers?by=margin", {root.Cookie()}).status, 400);
}

TEST_P(AnalyticsTest, ReceivablesAgeByDaysPastDueLiveAndOnlyAdminsSeeAnalytics) {
  BuildFixture();
  SignedIn root = SignIn("root@meterline.test");
  json::object aging = Get("/api/v1/admin/analytics/ar-aging", root);
  json::object usd = Currency(aging, "USD");
  std::map<std::string, std::pair<int64_t, int64_t>> buckets;
  for (const auto& b : usd.at("buckets").as_array()) {
    buckets[std::string(b.at("bucket").as_string())] = {b.at("invoices").as_int64(), Minor(b.as_object(), "amount")};
  }
  using P = std::pair<int64_t, int64_t>;
  EXPECT_EQ(buckets["current"], P(0, 0));
  EXPECT_EQ(buckets["1_30"], P(1, 7400));   // A's October, 5 days
  EXPECT_EQ(buckets["31_60"], P(1, 4900));  // C's September, 45 days
  EXPECT_EQ(buckets["61_90"], P(0, 0));
  EXPECT_EQ(buckets["over_90"], P(1, 2900));  // C's August, 137 days, $20 of $49 paid
  EXPECT_EQ(Minor(usd, "outstanding"), 15200);
  json::object eur = Currency(aging, "EUR");
  EXPECT_EQ(Minor(eur, "outstanding"), 120000);
  EXPECT_EQ(eur.at("buckets").as_array()[0].at("invoices").as_int64(), 1);  // not yet due

  // Paid now: gone from the aging at once (no refresh needed).
  ASSERT_TRUE(db().Execute("UPDATE invoices SET status = 'paid', amount_paid_minor = total_minor "
                           "WHERE customer_id = $1 AND status = 'open'",
                           {customer_a_})
                  .ok());
  EXPECT_EQ(Minor(Currency(Get("/api/v1/admin/analytics/ar-aging", root), "USD"), "outstanding"), 7800);

  SignedIn alice = SignIn("alice@acme.test");
  for (const char* path :
       {"/api/v1/admin/analytics/mrr", "/api/v1/admin/analytics/revenue", "/api/v1/admin/analytics/top-customers",
        "/api/v1/admin/analytics/ar-aging", "/api/v1/admin/exports/invoices?from=2026-01-01&to=2027-01-01"}) {
    EXPECT_EQ(Client().Get(path, {alice.Cookie()}).status, 403) << path;
  }
  EXPECT_EQ(Client()
                .Send("POST", "/api/v1/admin/analytics/refresh", "", {alice.Cookie(), "X-CSRF-Token: " + alice.csrf})
                .status,
            403);
  HttpResult refreshed =
      Client().Send("POST", "/api/v1/admin/analytics/refresh", "", {root.Cookie(), "X-CSRF-Token: " + root.csrf});
  ASSERT_EQ(refreshed.status, 200) << refreshed.body;
  EXPECT_EQ(json::parse(refreshed.body).at("customers").as_int64(), 4);
}

// The expected CSV line of an invoice row, written here independently of the exporter.
std::string CsvTime(const storage::Row& row, size_t col) {
  return row.IsNull(col) ? "" : FormatIso8601(FromUnixMillis(row.Int(col)));
}

TEST_P(AnalyticsTest, ExportsStreamEveryRowOfTheRangeAsCsvAndJsonLines) {
  BuildFixture();
  SignedIn root = SignIn("root@meterline.test");
  auto get = [&](const std::string& path) { return Client().Get(path, {root.Cookie()}); };
  HttpResult csv = get("/api/v1/admin/exports/invoice_lines?from=2026-01-01&to=2027-12-01");
  ASSERT_EQ(csv.status, 200) << csv.body;
  EXPECT_EQ(csv.Header("Content-Type"), "text/csv; charset=utf-8");
  EXPECT_EQ(csv.Header("Transfer-Encoding"), "chunked");
  EXPECT_NE(csv.Header("Content-Disposition").find("invoice_lines-2026-01-01-2027-12-01.csv"), std::string::npos);
  // Row by row against the database, in the export's order.
  auto rows = db().Execute(
      "SELECT l.invoice_id, i.customer_id, i.currency, i.created_at, l.position, l.kind, l.metric, l.amount_minor "
      "FROM invoices i JOIN invoice_line_items l ON l.invoice_id = i.id ORDER BY i.created_at, i.id, l.position");
  ASSERT_TRUE(rows.ok());
  std::istringstream lines(csv.body);
  std::string line;
  std::getline(lines, line);
  EXPECT_EQ(line,
            "invoice_id,invoice_number,customer_id,currency,invoice_created_at,position,kind,metric,description,"
            "quantity,unit_price,amount_minor\r");
  for (const auto& row : rows->rows) {
    ASSERT_TRUE(std::getline(lines, line));
    std::string expected = row.Text(0) + ",," + row.Text(1) + "," + row.Text(2) + "," + CsvTime(row, 3) + "," +
                           row.Text(4) + "," + row.Text(5) + "," + row.OptText(6).value_or("") +
                           R"(,"line, with ""quotes""",1,1.00,)" + row.Text(7) + "\r";
    EXPECT_EQ(line, expected);
  }
  EXPECT_FALSE(std::getline(lines, line)) << "no extra rows";
  EXPECT_EQ(rows->rows.size(), 15u);

  // JSON Lines: typed values, nulls, and only the range asked for (created in October and later).
  HttpResult jsonl = get("/api/v1/admin/exports/invoices?from=2026-10-01T00:00:00Z&to=2026-12-01&format=jsonl");
  ASSERT_EQ(jsonl.status, 200);
  EXPECT_EQ(jsonl.Header("Content-Type"), "application/x-ndjson");
  std::istringstream records(jsonl.body);
  int count = 0;
  for (std::string record; std::getline(records, record); ++count) {
    json::object invoice = json::parse(record).as_object();
    EXPECT_TRUE(invoice.at("number").is_null());
    EXPECT_TRUE(invoice.at("total_minor").is_int64());
    EXPECT_GE(invoice.at("created_at").as_string(), "2026-10-01");
  }
  auto in_range = db().Execute("SELECT COUNT(*) FROM invoices WHERE created_at >= $1 AND created_at < $2",
                               {ToUnixMillis(At("2026-10-01T00:00:00Z")), ToUnixMillis(At("2026-12-01T00:00:00Z"))});
  EXPECT_EQ(count, in_range->rows[0].Int(0));
  EXPECT_GT(count, 0);

  // The export itself is audited; bad requests are 4xx with the error schema.
  HttpResult audit = get("/api/v1/admin/exports/audit?from=2026-11-01&to=2026-12-01&format=jsonl");
  EXPECT_NE(audit.body.find("\"action\":\"export.create\""), std::string::npos);
  EXPECT_EQ(get("/api/v1/admin/exports/passwords?from=2026-01-01&to=2027-01-01").status, 404);
  EXPECT_EQ(get("/api/v1/admin/exports/invoices?to=2027-01-01").status, 400);
  EXPECT_EQ(get("/api/v1/admin/exports/invoices?from=2027-01-01&to=2026-01-01").status, 400);
  HttpResult bad_format = get("/api/v1/admin/exports/invoices?from=2026-01-01&to=2027-01-01&format=xlsx");
  EXPECT_EQ(bad_format.status, 400);
  EXPECT_NE(bad_format.body.find("\"param\":\"format\""), std::string::npos);
}

// A million usage rollups: `billingd export` writes every one, in order and
// exactly as stored, while its memory stays a fraction of the output's size.
TEST_P(AnalyticsTest, ExportCommandWritesAMillionRowsInBoundedMemory) {
  constexpr int64_t kRows = 1000000;
  TimePoint base = At("2025-01-01T00:00:00Z");
  // Row i: customer a (even i) or b (odd), hour i / 2. Each customer's rows
  // go where its usage lives (a SQLite shard file, or the database itself).
  auto& usage_dbs = billingd_->app().usage_databases;
  for (int parity : {0, 1}) {
    const std::string& customer = parity == 0 ? customer_a_ : customer_b_;
    storage::Database& usage_db =
        *usage_dbs.at(static_cast<size_t>(metering::ShardOf(customer, static_cast<int>(usage_dbs.size()))));
    auto seeded = usage_db.Execute(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $1) "
        "INSERT INTO usage_rollups_hourly (customer_id, metric, hour_start, total, events, peak, latest, latest_at) "
        "SELECT CAST($2 AS TEXT), 'impressions', CAST($3 AS BIGINT) + CAST(i / 2 AS BIGINT) * 3600000, i * 7, "
        "i % 13, i % 101, i % 5, 0 FROM n WHERE i % 2 = $4",
        {kRows - 1, customer, ToUnixMillis(base), int64_t{parity}});
    ASSERT_TRUE(seeded.ok()) << seeded.error().message;
  }

  std::string dir = ::testing::TempDir() + "/export_" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  // Exports the rollups of [2025, `to`) to `file`; returns the exporter's peak
  // anonymous memory (heap and stacks, not the database file's mapped pages)
  // in KiB, sampled from /proc while it runs.
  auto run_export = [&](const char* to, const std::string& file) -> long {
    ChildProcess child(
        BillingdPath(), {"export", "usage_rollups", "--from", "2025-01-01", "--to", to, "--output", file},
        {{"DATABASE_URL", billingd_->database().url()}, {"DATA_DIR", dir}, {"CONSOLE_DIR", "/nonexistent"}});
    long peak = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
    std::optional<int> code;
    while (!(code = child.Wait(std::chrono::milliseconds(20))) && std::chrono::steady_clock::now() < deadline) {
      std::ifstream status("/proc/" + std::to_string(child.pid()) + "/status");
      for (std::string field; status >> field;) {
        if (field == "RssAnon:") {
          long kb = 0;
          status >> kb;
          peak = std::max(peak, kb);
        }
      }
    }
    EXPECT_EQ(code, 0) << child.Stderr();
    return peak;
  };
  // A tenth of the rows (five years of hours), then all of them: the
  // difference in peak memory is what the exporter holds for 900,000 more
  // rows, 60 MiB more output: a page, not the rows.
  std::string small = dir + "/rollups-small.csv", file = dir + "/rollups.csv";
  long small_peak = run_export("2030-01-01", small);
  long full_peak = run_export("2100-01-01", file);
  auto small_size = std::filesystem::file_size(small), size = std::filesystem::file_size(file);
  EXPECT_GT(size - small_size, uint64_t{60} << 20);
  EXPECT_GT(small_peak, 0);
  EXPECT_LT(full_peak - small_peak, 16 * 1024) << "peak anonymous memory " << small_peak << " KiB for " << small_size
                                               << " bytes, " << full_peak << " KiB for " << size;

  std::ifstream in(file, std::ios::binary);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "customer_id,metric,hour_start,total,events,peak,latest\r");
  // By hour, then customer: the export's order, whichever files the rows are in.
  int64_t compared = 0;
  bool a_first = customer_a_ < customer_b_;
  for (int64_t hour = 0; hour < kRows / 2; ++hour) {
    for (int64_t i : {a_first ? 2 * hour : 2 * hour + 1, a_first ? 2 * hour + 1 : 2 * hour}) {
      ASSERT_TRUE(std::getline(in, line)) << "missing rows after " << compared;
      std::string expected = (i % 2 == 0 ? customer_a_ : customer_b_) + ",impressions," +
                             FormatIso8601(base + std::chrono::hours(hour)) + "," + std::to_string(i * 7) + "," +
                             std::to_string(i % 13) + "," + std::to_string(i % 101) + "," + std::to_string(i % 5) +
                             "\r";
      if (line != expected) {
        ASSERT_EQ(line, expected) << "row " << compared;
      }
      ++compared;
    }
  }
  EXPECT_EQ(compared, kRows);
  EXPECT_FALSE(std::getline(in, line)) << "no extra rows";
  std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Backends, AnalyticsTest, ::testing::ValuesIn(TestBackends()),
                         [](const auto& info) { return BackendParamName(info.param); });

}  // namespace
}  // namespace meterline::testing
