// Billing analytics for admins (docs/analytics.md): MRR and its movements,
// revenue by metric and plan, top customers, invoices by status and
// accounts-receivable aging, each per currency (amounts in different
// currencies are never added).
//
// Everything but the aging is read from summary tables (migration 0025) that
// Refresh() rebuilds from invoices and subscriptions; the serve job
// "analytics-refresh" runs it every ANALYTICS_REFRESH_SECONDS, and each answer
// carries the time of the refresh it comes from. The aging is read live from
// the open invoices (a covering index). Thread-safe.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "storage/database.hpp"

namespace meterline::plans {
class PlanBook;
}

namespace meterline::analytics {

// The summaries cover this many months up to and including the current one.
inline constexpr int kMonthsKept = 25;
inline constexpr int kTopCustomersKept = 100;

// One currency's month. MRR figures are ×12 in minor units ("twelfths"):
// exact for 1-, 3- and 12-month plans; MrrMinor() rounds them to minor units.
struct MonthFigures {
  std::string month;  // "2026-11"
  int64_t mrr_twelfths = 0;
  int64_t new_twelfths = 0;
  int64_t expansion_twelfths = 0;
  int64_t contraction_twelfths = 0;
  int64_t churned_twelfths = 0;
  int64_t reactivation_twelfths = 0;
  int64_t paying_customers = 0;
  int64_t retained_12m_twelfths = 0;  // MRR this month of the customers paying 12 months before
  int64_t base_12m_twelfths = 0;      // their MRR then
  int64_t revenue_minor = 0;          // invoiced before tax
  int64_t base_fee_minor = 0;
  int64_t usage_minor = 0;
  int64_t other_minor = 0;
};

struct CurrencyMonths {
  std::string currency;
  std::vector<MonthFigures> months;  // ascending
};

struct RevenueSlice {
  std::string currency;
  std::string month;
  std::string dimension;  // "metric" | "plan"
  std::string key;
  int64_t amount_minor = 0;
};

struct TopCustomer {
  std::string currency;
  std::string customer_id;
  std::string customer_name;
  int64_t revenue_minor = 0;  // the last 12 months, before tax
  int64_t usage_minor = 0;    // of which usage charges
};

struct StatusCount {
  std::string currency;
  std::string status;
  int64_t invoices = 0;
  int64_t total_minor = 0;
};

// Open invoices' outstanding amounts by days past due.
struct Aging {
  std::string currency;
  static constexpr const char* kBuckets[] = {"current", "1_30", "31_60", "61_90", "over_90"};
  int64_t amount_minor[5] = {};
  int64_t invoices[5] = {};
};

struct RefreshInfo {
  TimePoint refreshed_at;
  int64_t duration_ms = 0;
  int64_t invoices = 0;
  int64_t customers = 0;
};

// a / b rounded half up. REQUIRES: a >= 0, b > 0.
int64_t DivideHalfUp(int64_t a, int64_t b);
// Tenths of a percent of part / whole, rounded half up, as "104.2"; nullopt when whole is 0.
std::optional<std::string> PercentText(int64_t part, int64_t whole);
// "YYYY-MM" of the month `months_back` before the one holding `t` (UTC).
std::string MonthOf(TimePoint t, int months_back = 0);

class Analytics {
 public:
  Analytics(storage::Database& db, plans::PlanBook& plans, const Clock& clock)
      : db_(db), plans_(plans), clock_(clock) {}

  // Rebuilds the summaries. kConflict "refresh_running" while another runs in
  // this process.
  Result<RefreshInfo> Refresh();
  // nullopt before the first refresh.
  Result<std::optional<RefreshInfo>> LastRefresh();

  // The last `months` months (1..kMonthsKept) of every currency.
  Result<std::vector<CurrencyMonths>> Months(int months);
  Result<std::vector<RevenueSlice>> Revenue(int months);
  // ranking: "revenue" | "usage"; at most `limit` (<= kTopCustomersKept) per currency.
  Result<std::vector<TopCustomer>> TopCustomers(const std::string& ranking, int limit);
  Result<std::vector<StatusCount>> InvoicesByStatus();
  // Live, as of the clock's now.
  Result<std::vector<Aging>> ReceivablesAging();

 private:
  storage::Database& db_;
  plans::PlanBook& plans_;
  const Clock& clock_;
  std::mutex refresh_mutex_;
};

}  // namespace meterline::analytics
