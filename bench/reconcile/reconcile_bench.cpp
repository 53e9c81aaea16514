// reconcile_bench: reconciling SUBSCRIPTIONS subscriptions against a fake
// Stripe that serves invoice list pages (bench/reconcile/stripe_lists.py).
// Two phases, run by bench/reconcile/run:
//
//   reconcile_bench setup SUBSCRIPTIONS FILE
//     Not timed. Seeds the subscriptions with a day of usage in last month,
//     runs the invoice run, gives every invoice a Stripe id, and writes what
//     Stripe billed to FILE (one JSON object per line) for the fake to serve,
//     with planted differences: every 200th invoice's first line 10 % higher,
//     every 1000th missing, and 10 Stripe invoices naming invoices we do not
//     have. FILE.expect gets what was planted: the invoices of each kind and
//     the discrepancy total they make.
//   reconcile_bench run FILE
//     ReconciliationService::Run for last month, timed end to end, with
//     STRIPE_API_BASE pointing at the fake; then the same work's two inputs
//     timed apart, after it (warm caches: an indication of the split, not a
//     measure of either). Exit 1 unless the findings name exactly the planted
//     invoices and the discrepancy total is the planted one.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <string>

#include "common/bench_app.hpp"
#include "reconciliation/reconciliation_service.hpp"
#include "stripe/client.hpp"

using namespace meterline;

namespace {

constexpr int64_t kTaxPosition = 10'000;  // as stripe/invoice_sync.cpp sends tax
constexpr int64_t kExtraStripeInvoices = 10;

struct Planted {
  int64_t invoices = 0;
  int64_t discrepancy_minor = 0;
  std::set<std::string> drifted, missing, extra;  // our invoice ids
};

int Fail(const char* what, const Error& e) {
  std::fprintf(stderr, "%s: %s\n", what, e.message.c_str());
  return 1;
}

int Setup(int64_t subscriptions, const std::string& file) {
  SystemClock clock;
  auto a = bench::BuildAppFromEnv(clock);
  auto& db = *a->db;
  Period month = bench::LastClosedMonth(clock.Now());
  auto start = std::chrono::steady_clock::now();
  if (Status s = bench::SeedSubscriptionsWithUsage(*a, subscriptions, month); !s.ok()) return Fail("seed", s.error());
  auto run = a->invoices->RunPeriodsStartingIn(month.start, month.end);
  if (!run.ok()) return Fail("invoice run", run.error());
  // As if invoice sync had pushed every invoice: in_<our id without "inv_">.
  auto linked = db.Execute("UPDATE invoices SET stripe_invoice_id = 'in_' || substr(id, 5)");
  if (!linked.ok()) return Fail("link", linked.error());

  auto rows = db.Execute(
      "SELECT i.id, i.customer_id, i.stripe_invoice_id, i.total_minor, i.tax_minor, l.position, l.amount_minor "
      "FROM invoices i JOIN invoice_line_items l ON l.invoice_id = i.id ORDER BY i.id, l.position");
  if (!rows.ok()) return Fail("export", rows.error());
  std::ofstream out(file);
  Planted planted;
  // Ids are [a-z0-9_] only, so they go into JSON without escaping.
  auto write = [&](const std::string& meta, const std::string& customer, const std::string& stripe_id, int64_t total,
                   const std::vector<std::pair<int64_t, int64_t>>& lines) {
    out << R"({"id":")" << stripe_id << R"(","meta":")" << meta << R"(","customer":")" << customer << R"(","total":)"
        << total << R"(,"lines":[)";
    for (size_t i = 0; i < lines.size(); ++i) {
      out << (i ? "," : "") << '[' << lines[i].first << ',' << lines[i].second << ']';
    }
    out << "]}\n";
  };
  for (size_t i = 0; i < rows->rows.size();) {
    const storage::Row& head = rows->rows[i];
    std::string id = head.Text(0), customer = head.Text(1), stripe_id = head.Text(2);
    int64_t total = head.Int(3), tax = head.Int(4);
    std::vector<std::pair<int64_t, int64_t>> lines;
    for (; i < rows->rows.size() && rows->rows[i].Text(0) == id; ++i) {
      lines.emplace_back(rows->rows[i].Int(5), rows->rows[i].Int(6));
    }
    if (tax != 0) lines.emplace_back(kTaxPosition, tax);
    int64_t k = planted.invoices++;
    if (k % 1000 == 13) {
      planted.missing.insert(id);
      planted.discrepancy_minor += total;
      continue;
    }
    if (k % 200 == 7) {
      int64_t delta = lines.front().second / 10 + 100;
      lines.front().second += delta;
      total += delta;
      planted.drifted.insert(id);
      planted.discrepancy_minor += delta;
    }
    write(id, customer, stripe_id, total, lines);
  }
  for (int64_t n = 1; n <= kExtraStripeInvoices; ++n) {
    std::string suffix = "bench_unknown_" + std::to_string(n);
    write("inv_" + suffix, "cus_bench_1", "in_" + suffix, 10'000, {{1, 10'000}});
    planted.extra.insert("inv_" + suffix);
    planted.discrepancy_minor += 10'000;
  }
  out.close();
  if (!out) {
    std::fprintf(stderr, "cannot write %s\n", file.c_str());
    return 1;
  }
  std::ofstream expect(file + ".expect");
  expect << planted.invoices << ' ' << planted.discrepancy_minor << '\n';
  for (const auto& [kind, ids] : {std::pair{"drifted", &planted.drifted}, std::pair{"missing", &planted.missing},
                                  std::pair{"extra", &planted.extra}}) {
    for (const std::string& id : *ids) expect << kind << ' ' << id << '\n';
  }
  std::printf(
      "setup: subscriptions=%lld invoices=%lld drifted=%lld missing_in_stripe=%lld extra_in_stripe=%lld "
      "seconds=%.1f\n",
      static_cast<long long>(subscriptions), static_cast<long long>(planted.invoices),
      static_cast<long long>(planted.drifted.size()), static_cast<long long>(planted.missing.size()),
      static_cast<long long>(planted.extra.size()), bench::SecondsSince(start));
  return 0;
}

// Peak resident set, and how much of the current one is file pages: SQLite
// reads the database through mmap (PRAGMA mmap_size), and those pages count
// in the resident set although they are the kernel's page cache.
struct Memory {
  double peak_rss_mib = 0;
  double file_rss_mib = 0;
};

Memory MemoryNow() {
  Memory m;
  std::ifstream status("/proc/self/status");
  std::string key;
  double kib = 0;
  std::string unit;
  while (status >> key) {
    if (key == "VmHWM:" && status >> kib >> unit)
      m.peak_rss_mib = kib / 1024;
    else if (key == "RssFile:" && status >> kib >> unit)
      m.file_rss_mib = kib / 1024;
    else
      status.ignore(1 << 12, '\n');
  }
  return m;
}

int Run(const std::string& file) {
  Planted planted;
  std::ifstream expect(file + ".expect");
  if (!(expect >> planted.invoices >> planted.discrepancy_minor)) {
    std::fprintf(stderr, "cannot read %s.expect (run the setup phase first)\n", file.c_str());
    return 2;
  }
  for (std::string kind, id; expect >> kind >> id;) {
    (kind == "drifted" ? planted.drifted : kind == "missing" ? planted.missing : planted.extra).insert(id);
  }
  SystemClock clock;
  auto a = bench::BuildAppFromEnv(clock);
  std::string period = reconciliation::ReconciliationService::LastClosedPeriod(clock.Now());

  auto start = std::chrono::steady_clock::now();
  auto result = a->reconciliations->Run(period, "bench");
  double seconds = bench::SecondsSince(start);
  if (!result.ok()) return Fail("reconcile", result.error());
  Memory memory = MemoryNow();

  // The run's two inputs on their own, to see where its time goes.
  Period month = bench::LastClosedMonth(clock.Now());
  start = std::chrono::steady_clock::now();
  auto expected = a->invoices->ExpectedForPeriodsStartingIn(month.start, month.end);
  double pricing_seconds = bench::SecondsSince(start);
  if (!expected.ok()) return Fail("pricing", expected.error());
  start = std::chrono::steady_clock::now();
  int64_t pages = 0, listed = 0;
  std::string after;
  for (bool more = true; more; ++pages) {
    stripe::FormParams query = {{"limit", "100"}, {"created[gte]", std::to_string(ToUnixMillis(month.start) / 1000)}};
    if (!after.empty()) query.emplace_back("starting_after", after);
    auto page = a->stripe->Get("invoices", query);
    if (!page.ok()) return Fail("list", page.error());
    const auto& data = page->at("data").as_array();
    listed += static_cast<int64_t>(data.size());
    if (!data.empty()) after = std::string(data.back().at("id").as_string());
    more = page->at("has_more").as_bool() && !data.empty();
  }
  double list_seconds = bench::SecondsSince(start);

  std::map<std::string, int64_t> kinds;
  std::map<std::string, std::set<std::string>> flagged;  // kind -> invoice ids
  for (const auto& f : result->findings) {
    ++kinds[reconciliation::FindingKindName(f.kind)];
    flagged[reconciliation::FindingKindName(f.kind)].insert(f.invoice_id);
  }
  const auto& r = *result;
  std::printf(
      "store=%s subscriptions=%lld invoices_compared=%lld stripe_invoices=%lld stripe_pages=%lld "
      "run_seconds=%.2f subscriptions_per_second=%.0f pricing_seconds=%.2f stripe_list_seconds=%.2f "
      "peak_rss_mib=%.0f (file pages %.0f) findings=%lld amount_mismatch=%lld (invoices %zu) missing_in_stripe=%lld "
      "missing_internal=%lld discrepancy_minor=%lld alert=%s\n",
      storage::BackendName(a->db->backend()), static_cast<long long>(r.subscriptions_checked),
      static_cast<long long>(r.invoices_compared), static_cast<long long>(listed), static_cast<long long>(pages),
      seconds, static_cast<double>(r.subscriptions_checked) / seconds, pricing_seconds, list_seconds,
      memory.peak_rss_mib, memory.file_rss_mib, static_cast<long long>(r.findings_count),
      static_cast<long long>(kinds["amount_mismatch"]), flagged["amount_mismatch"].size(),
      static_cast<long long>(kinds["missing_in_stripe"]), static_cast<long long>(kinds["missing_internal"]),
      static_cast<long long>(r.discrepancy_total_minor), r.alert_raised ? "raised" : "no");
  bool ok = r.subscriptions_checked == planted.invoices &&
            r.invoices_compared == planted.invoices - static_cast<int64_t>(planted.missing.size()) &&
            flagged["amount_mismatch"] == planted.drifted && flagged["missing_in_stripe"] == planted.missing &&
            flagged["missing_internal"] == planted.extra &&
            kinds["missing_in_stripe"] == static_cast<int64_t>(planted.missing.size()) &&
            kinds["missing_internal"] == static_cast<int64_t>(planted.extra.size()) &&
            r.discrepancy_total_minor == planted.discrepancy_minor;
  std::printf("check: %s (planted drifted=%zu missing_in_stripe=%zu extra_in_stripe=%zu discrepancy_minor=%lld)\n",
              ok ? "the findings name exactly the planted invoices, and the discrepancy is the planted one"
                 : "FINDINGS DIFFER from what was planted",
              planted.drifted.size(), planted.missing.size(), planted.extra.size(),
              static_cast<long long>(planted.discrepancy_minor));
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string phase = argc > 1 ? argv[1] : "";
  if (phase == "setup" && argc == 4) return Setup(std::atoll(argv[2]), argv[3]);
  if (phase == "run" && argc == 3) return Run(argv[2]);
  std::fprintf(stderr, "usage: reconcile_bench setup SUBSCRIPTIONS FILE | reconcile_bench run FILE\n");
  return 2;
}
