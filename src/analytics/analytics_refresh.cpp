// Analytics::Refresh: rebuilds the summary tables from invoices and
// subscriptions, a page of customers at a time (so memory stays bounded by the
// page, not the customer base), then replaces the summaries in one transaction.
//
// Definitions (docs/analytics.md):
// - MRR of a closed month: the base fees invoiced for billing periods that
//   start in it, each spread evenly over its plan's interval (a year's fee is a
//   twelfth per month); of the current month: the base fee of every active or
//   past-due subscription's plan version, over its interval.
// - Movements compare a customer's MRR with the month before: new (from 0, never
//   paid before in the window), reactivation (from 0, paid before), expansion,
//   contraction, churned (to 0).
// - Revenue of a month: the lines of the open, paid and uncollectible invoices
//   whose period starts in it, before tax; usage = usage, overage and minimum lines.
#include <algorithm>
#include <array>
#include <chrono>
#include <map>

#include "analytics/analytics.hpp"
#include "core/log.hpp"
#include "plans/plan_book.hpp"
#include "storage/bulk.hpp"

namespace meterline::analytics {

namespace {

constexpr int64_t kCustomersPerPage = 2000;

int MonthIndex(TimePoint t) {
  std::chrono::year_month_day ymd{std::chrono::floor<std::chrono::days>(t)};
  return static_cast<int>(ymd.year()) * 12 + static_cast<int>(static_cast<unsigned>(ymd.month())) - 1;
}

std::string MonthText(int index) {
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02d", index / 12, index % 12 + 1);
  return text;
}

TimePoint MonthStart(int index) {
  std::chrono::year_month_day ymd{std::chrono::year(index / 12),
                                  std::chrono::month(static_cast<unsigned>(index % 12 + 1)), std::chrono::day(1)};
  return TimePoint(std::chrono::sys_days(ymd).time_since_epoch());
}

using Series = std::array<int64_t, kMonthsKept>;

// One customer's figures in one currency, by month of the window.
struct CustomerSeries {
  Series mrr{};
  Series revenue{};
  Series usage{};
};

struct CurrencyTotals {
  std::array<MonthFigures, kMonthsKept> months{};
  std::map<std::tuple<int, std::string, std::string>, int64_t> slices;  // (month, dimension, key) -> amount
};

struct CustomerTotal {
  std::string currency;
  std::string id;
  std::string name;
  int64_t revenue = 0;
  int64_t usage = 0;
};

// A subscription's plan versions: (effective_from ms, plan id, version), ascending.
using VersionHistory = std::vector<std::tuple<int64_t, std::string, int64_t>>;

const std::tuple<int64_t, std::string, int64_t>* VersionAt(const VersionHistory& history, int64_t at_ms) {
  const std::tuple<int64_t, std::string, int64_t>* found = history.empty() ? nullptr : &history.front();
  for (const auto& entry : history) {
    if (std::get<0>(entry) <= at_ms) found = &entry;
  }
  return found;
}

bool IsUsageKind(const std::string& kind) { return kind == "usage" || kind == "overage" || kind == "minimum"; }

class Refresher {
 public:
  Refresher(storage::Database& db, plans::PlanBook& plans, TimePoint now)
      : db_(db), plans_(plans), now_(now), current_(MonthIndex(now)), first_(current_ - (kMonthsKept - 1)) {}

  Result<RefreshInfo> Run() {
    auto started = std::chrono::steady_clock::now();
    std::string after;
    while (true) {
      MTL_ASSIGN_OR_RETURN(auto page, db_.Execute("SELECT id, name FROM customers WHERE id > $1 ORDER BY id LIMIT $2",
                                                  {after, kCustomersPerPage}));
      if (page.rows.empty()) break;
      MTL_RETURN_IF_ERROR(ReadPage(page));
      after = page.rows.back().Text(0);
      customers_ += static_cast<int64_t>(page.rows.size());
      if (static_cast<int64_t>(page.rows.size()) < kCustomersPerPage) break;
    }
    MTL_ASSIGN_OR_RETURN(auto statuses,
                         db_.Execute("SELECT currency, status, COUNT(*), COALESCE(SUM(total_minor), 0) FROM invoices "
                                     "GROUP BY currency, status ORDER BY currency, status"));
    RefreshInfo info{.refreshed_at = now_, .duration_ms = 0, .invoices = 0, .customers = customers_};
    for (const auto& row : statuses.rows) info.invoices += row.Int(2);
    info.duration_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
    MTL_RETURN_IF_ERROR(Write(statuses, info));
    return info;
  }

 private:
  Status ReadPage(const storage::QueryResult& page) {
    const std::string& low = page.rows.front().Text(0);
    const std::string& high = page.rows.back().Text(0);
    std::map<std::string, std::string> names;
    for (const auto& row : page.rows) names[row.Text(0)] = row.Text(1);

    // The plan versions of the page's subscriptions, to name each invoice's plan.
    std::map<std::string, VersionHistory> versions;
    std::vector<std::tuple<std::string, std::string, std::string>> live;  // customer, subscription, status
    MTL_ASSIGN_OR_RETURN(
        auto subs, db_.Execute("SELECT s.customer_id, s.id, s.status, v.effective_from, v.plan_id, v.plan_version "
                               "FROM subscriptions s JOIN subscription_plan_versions v ON v.subscription_id = s.id "
                               "WHERE s.customer_id >= $1 AND s.customer_id <= $2 "
                               "ORDER BY s.id, v.effective_from",
                               {low, high}));
    for (const auto& row : subs.rows) {
      auto& history = versions[row.Text(1)];
      if (history.empty()) live.emplace_back(row.Text(0), row.Text(1), row.Text(2));
      history.emplace_back(row.Int(3), row.Text(4), row.Int(5));
    }

    // customer -> currency -> series
    std::map<std::string, std::map<std::string, CustomerSeries>> series;
    MTL_ASSIGN_OR_RETURN(
        auto lines,
        db_.Execute("SELECT i.customer_id, i.currency, i.period_start, i.subscription_id, l.kind, l.metric, "
                    "l.amount_minor FROM invoices i JOIN invoice_line_items l ON l.invoice_id = i.id "
                    "WHERE i.customer_id >= $1 AND i.customer_id <= $2 AND i.period_start >= $3 "
                    "AND i.status IN ('open', 'paid', 'uncollectible')",
                    {low, high, ToUnixMillis(MonthStart(first_))}));
    for (const auto& row : lines.rows) {
      int month = MonthIndex(FromUnixMillis(row.Int(2)));
      if (month < first_ || month > current_) continue;
      const std::string& currency = row.Text(1);
      const std::string& kind = row.Text(4);
      int64_t amount = row.Int(6);
      CustomerSeries& s = series[row.Text(0)][currency];
      CurrencyTotals& totals = by_currency_[currency];
      MonthFigures& figures = totals.months[month - first_];
      int slot = month - first_;

      std::string plan_id;
      int interval = 1;
      if (auto sub = row.OptText(3)) {
        if (const auto* version = VersionAt(versions[*sub], row.Int(2))) {
          plan_id = std::get<1>(*version);
          if (auto plan = plans_.Version(plan_id, std::get<2>(*version))) interval = (*plan)->interval_months;
        }
      }
      figures.revenue_minor += amount;
      s.revenue[slot] += amount;
      if (kind == "base_fee") {
        figures.base_fee_minor += amount;
        // Spread over the interval; the current month's MRR comes from the subscriptions.
        for (int k = 0; k < interval && month + k < current_; ++k) s.mrr[slot + k] += amount * 12 / interval;
      } else if (IsUsageKind(kind)) {
        figures.usage_minor += amount;
        s.usage[slot] += amount;
        if (auto metric = row.OptText(5)) totals.slices[{month, "metric", *metric}] += amount;
      } else {
        figures.other_minor += amount;
      }
      if (!plan_id.empty()) totals.slices[{month, "plan", plan_id}] += amount;
    }

    // The current month: what the live subscriptions' plans charge.
    int64_t now_ms = ToUnixMillis(now_);
    for (const auto& [customer, subscription, status] : live) {
      if (status != "active" && status != "past_due") continue;
      const auto* version = VersionAt(versions[subscription], now_ms);
      if (version == nullptr) continue;
      auto plan = plans_.Version(std::get<1>(*version), std::get<2>(*version));
      if (!plan) continue;
      const catalog::Plan& p = **plan;
      series[customer][p.currency.code].mrr[kMonthsKept - 1] += p.base_fee_minor * 12 / p.interval_months;
    }

    for (const auto& [customer, currencies] : series) {
      for (const auto& [currency, s] : currencies) Accumulate(customer, names[customer], currency, s);
    }
    return OkStatus();
  }

  void Accumulate(const std::string& customer, const std::string& name, const std::string& currency,
                  const CustomerSeries& s) {
    auto& months = by_currency_[currency].months;
    bool paid_before = s.mrr[0] > 0;
    for (int m = 0; m < kMonthsKept; ++m) {
      MonthFigures& f = months[m];
      int64_t cur = s.mrr[m];
      f.mrr_twelfths += cur;
      if (cur > 0) ++f.paying_customers;
      if (m >= 12 && s.mrr[m - 12] > 0) {
        f.base_12m_twelfths += s.mrr[m - 12];
        f.retained_12m_twelfths += cur;
      }
      if (m == 0) continue;
      int64_t prev = s.mrr[m - 1];
      if (prev == 0 && cur > 0) {
        (paid_before ? f.reactivation_twelfths : f.new_twelfths) += cur;
      } else if (prev > 0 && cur == 0) {
        f.churned_twelfths += prev;
      } else if (cur > prev && prev > 0) {
        f.expansion_twelfths += cur - prev;
      } else if (cur < prev && cur > 0) {
        f.contraction_twelfths += prev - cur;
      }
      paid_before = paid_before || cur > 0;
    }
    CustomerTotal total{.currency = currency, .id = customer, .name = name};
    for (int m = kMonthsKept - 12; m < kMonthsKept; ++m) {
      total.revenue += s.revenue[m];
      total.usage += s.usage[m];
    }
    if (total.revenue != 0 || total.usage != 0 || s.mrr[kMonthsKept - 1] != 0) totals_.push_back(std::move(total));
  }

  Status Write(const storage::QueryResult& statuses, const RefreshInfo& info) {
    std::vector<storage::Value> months;
    std::vector<storage::Value> slices;
    for (auto& [currency, totals] : by_currency_) {
      for (int m = 0; m < kMonthsKept; ++m) {
        const MonthFigures& f = totals.months[m];
        for (storage::Value v :
             {storage::Value(currency), storage::Value(MonthText(first_ + m)), storage::Value(f.mrr_twelfths),
              storage::Value(f.new_twelfths), storage::Value(f.expansion_twelfths),
              storage::Value(f.contraction_twelfths), storage::Value(f.churned_twelfths),
              storage::Value(f.reactivation_twelfths), storage::Value(f.paying_customers),
              storage::Value(f.retained_12m_twelfths), storage::Value(f.base_12m_twelfths),
              storage::Value(f.revenue_minor), storage::Value(f.base_fee_minor), storage::Value(f.usage_minor),
              storage::Value(f.other_minor)}) {
          months.push_back(std::move(v));
        }
      }
      for (const auto& [key, amount] : totals.slices) {
        const auto& [month, dimension, name] = key;
        for (storage::Value v : {storage::Value(currency), storage::Value(MonthText(month)), storage::Value(dimension),
                                 storage::Value(name), storage::Value(amount)}) {
          slices.push_back(std::move(v));
        }
      }
    }
    std::vector<storage::Value> top;
    for (const char* ranking : {"revenue", "usage"}) {
      bool by_usage = std::string_view(ranking) == "usage";
      auto key = [by_usage](const CustomerTotal& t) { return by_usage ? t.usage : t.revenue; };
      std::stable_sort(totals_.begin(), totals_.end(), [&](const CustomerTotal& a, const CustomerTotal& b) {
        if (a.currency != b.currency) return a.currency < b.currency;
        if (key(a) != key(b)) return key(a) > key(b);
        return a.id < b.id;
      });
      std::map<std::string, int64_t> positions;
      for (const auto& t : totals_) {
        int64_t position = ++positions[t.currency];
        if (position > kTopCustomersKept || key(t) <= 0) continue;
        for (storage::Value v :
             {storage::Value(t.currency), storage::Value(std::string(ranking)), storage::Value(position),
              storage::Value(t.id), storage::Value(t.name), storage::Value(t.revenue), storage::Value(t.usage)}) {
          top.push_back(std::move(v));
        }
      }
    }
    std::vector<storage::Value> status_rows;
    for (const auto& row : statuses.rows) {
      for (storage::Value v : {storage::Value(row.Text(0)), storage::Value(row.Text(1)), storage::Value(row.Int(2)),
                               storage::Value(row.Int(3))}) {
        status_rows.push_back(std::move(v));
      }
    }
    return db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
      for (const char* table :
           {"analytics_months", "analytics_revenue", "analytics_top_customers", "analytics_invoice_status"}) {
        MTL_RETURN_IF_ERROR(tx.Execute(std::string("DELETE FROM ") + table));
      }
      if (!months.empty()) {
        MTL_RETURN_IF_ERROR(storage::InsertRows(
            tx,
            "INSERT INTO analytics_months (currency, month, mrr_twelfths, new_twelfths, expansion_twelfths, "
            "contraction_twelfths, churned_twelfths, reactivation_twelfths, paying_customers, retained_12m_twelfths, "
            "base_12m_twelfths, revenue_minor, base_fee_minor, usage_minor, other_minor)",
            15, months));
      }
      if (!slices.empty()) {
        MTL_RETURN_IF_ERROR(storage::InsertRows(
            tx, "INSERT INTO analytics_revenue (currency, month, dimension, dimension_key, amount_minor)", 5, slices));
      }
      if (!top.empty()) {
        MTL_RETURN_IF_ERROR(storage::InsertRows(tx,
                                                "INSERT INTO analytics_top_customers (currency, ranking, position, "
                                                "customer_id, customer_name, revenue_minor, usage_minor)",
                                                7, top));
      }
      if (!status_rows.empty()) {
        MTL_RETURN_IF_ERROR(storage::InsertRows(
            tx, "INSERT INTO analytics_invoice_status (currency, status, invoices, total_minor)", 4, status_rows));
      }
      MTL_RETURN_IF_ERROR(tx.Execute("DELETE FROM analytics_refresh"));
      MTL_RETURN_IF_ERROR(
          tx.Execute("INSERT INTO analytics_refresh (id, refreshed_at, duration_ms, invoices, customers) "
                     "VALUES (1, $1, $2, $3, $4)",
                     {ToUnixMillis(info.refreshed_at), info.duration_ms, info.invoices, info.customers}));
      return OkStatus();
    });
  }

  storage::Database& db_;
  plans::PlanBook& plans_;
  TimePoint now_;
  int current_;
  int first_;
  int64_t customers_ = 0;
  std::map<std::string, CurrencyTotals> by_currency_;
  std::vector<CustomerTotal> totals_;
};

}  // namespace

std::string MonthOf(TimePoint t, int months_back) { return MonthText(MonthIndex(t) - months_back); }

Result<RefreshInfo> Analytics::Refresh() {
  std::unique_lock lock(refresh_mutex_, std::try_to_lock);
  if (!lock.owns_lock()) return Error(ErrorCode::kConflict, "refresh_running", "an analytics refresh is running");
  Refresher refresher(db_, plans_, clock_.Now());
  auto info = refresher.Run();
  if (info) {
    log::Info("analytics refreshed",
              {{"customers", info->customers}, {"invoices", info->invoices}, {"duration_ms", info->duration_ms}});
  }
  return info;
}

}  // namespace meterline::analytics
