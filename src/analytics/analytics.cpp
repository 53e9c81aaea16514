#include "analytics/analytics.hpp"

#include <map>

namespace meterline::analytics {

int64_t DivideHalfUp(int64_t a, int64_t b) { return (a / b) + ((a % b) * 2 >= b ? 1 : 0); }

std::optional<std::string> PercentText(int64_t part, int64_t whole) {
  if (whole <= 0 || part < 0) return std::nullopt;
  // Tenths of a percent; the operands are sums of minor units ×12, far below 2^53 / 1000.
  int64_t tenths = DivideHalfUp(part * 1000, whole);
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10);
}

Result<std::optional<RefreshInfo>> Analytics::LastRefresh() {
  MTL_ASSIGN_OR_RETURN(auto rows,
                       db_.Execute("SELECT refreshed_at, duration_ms, invoices, customers FROM analytics_refresh"));
  if (rows.rows.empty()) return std::optional<RefreshInfo>();
  const auto& row = rows.rows.front();
  return std::optional<RefreshInfo>(RefreshInfo{.refreshed_at = FromUnixMillis(row.Int(0)),
                                                .duration_ms = row.Int(1),
                                                .invoices = row.Int(2),
                                                .customers = row.Int(3)});
}

Result<std::vector<CurrencyMonths>> Analytics::Months(int months) {
  MTL_ASSIGN_OR_RETURN(
      auto rows, db_.Execute("SELECT currency, month, mrr_twelfths, new_twelfths, expansion_twelfths, "
                             "contraction_twelfths, churned_twelfths, reactivation_twelfths, paying_customers, "
                             "retained_12m_twelfths, base_12m_twelfths, revenue_minor, base_fee_minor, usage_minor, "
                             "other_minor FROM analytics_months WHERE month > $1 ORDER BY currency, month",
                             {MonthOf(clock_.Now(), months)}));
  std::vector<CurrencyMonths> out;
  for (const auto& row : rows.rows) {
    if (out.empty() || out.back().currency != row.Text(0)) out.push_back({.currency = row.Text(0), .months = {}});
    out.back().months.push_back(MonthFigures{.month = row.Text(1),
                                             .mrr_twelfths = row.Int(2),
                                             .new_twelfths = row.Int(3),
                                             .expansion_twelfths = row.Int(4),
                                             .contraction_twelfths = row.Int(5),
                                             .churned_twelfths = row.Int(6),
                                             .reactivation_twelfths = row.Int(7),
                                             .paying_customers = row.Int(8),
                                             .retained_12m_twelfths = row.Int(9),
                                             .base_12m_twelfths = row.Int(10),
                                             .revenue_minor = row.Int(11),
                                             .base_fee_minor = row.Int(12),
                                             .usage_minor = row.Int(13),
                                             .other_minor = row.Int(14)});
  }
  return out;
}

Result<std::vector<RevenueSlice>> Analytics::Revenue(int months) {
  MTL_ASSIGN_OR_RETURN(auto rows, db_.Execute("SELECT currency, month, dimension, dimension_key, amount_minor "
                                              "FROM analytics_revenue WHERE month > $1 "
                                              "ORDER BY currency, month, dimension, dimension_key",
                                              {MonthOf(clock_.Now(), months)}));
  std::vector<RevenueSlice> out;
  out.reserve(rows.rows.size());
  for (const auto& row : rows.rows) {
    out.push_back({.currency = row.Text(0),
                   .month = row.Text(1),
                   .dimension = row.Text(2),
                   .key = row.Text(3),
                   .amount_minor = row.Int(4)});
  }
  return out;
}

Result<std::vector<TopCustomer>> Analytics::TopCustomers(const std::string& ranking, int limit) {
  MTL_ASSIGN_OR_RETURN(auto rows, db_.Execute("SELECT currency, customer_id, customer_name, revenue_minor, usage_minor "
                                              "FROM analytics_top_customers WHERE ranking = $1 AND position <= $2 "
                                              "ORDER BY currency, position",
                                              {ranking, int64_t{limit}}));
  std::vector<TopCustomer> out;
  out.reserve(rows.rows.size());
  for (const auto& row : rows.rows) {
    out.push_back({.currency = row.Text(0),
                   .customer_id = row.Text(1),
                   .customer_name = row.Text(2),
                   .revenue_minor = row.Int(3),
                   .usage_minor = row.Int(4)});
  }
  return out;
}

Result<std::vector<StatusCount>> Analytics::InvoicesByStatus() {
  MTL_ASSIGN_OR_RETURN(auto rows, db_.Execute("SELECT currency, status, invoices, total_minor "
                                              "FROM analytics_invoice_status ORDER BY currency, status"));
  std::vector<StatusCount> out;
  out.reserve(rows.rows.size());
  for (const auto& row : rows.rows) {
    out.push_back({.currency = row.Text(0), .status = row.Text(1), .invoices = row.Int(2), .total_minor = row.Int(3)});
  }
  return out;
}

Result<std::vector<Aging>> Analytics::ReceivablesAging() {
  constexpr int64_t kDayMs = int64_t{24} * 3600 * 1000;
  int64_t now = ToUnixMillis(clock_.Now());
  // Bucket by how long ago the due date passed: not yet (or no due date), then
  // up to 30, 60, 90 days, and more. One pass over the covering index.
  MTL_ASSIGN_OR_RETURN(
      auto rows, db_.Execute("SELECT currency, "
                             "CASE WHEN due_at IS NULL OR due_at >= $1 THEN 0 WHEN due_at >= $2 THEN 1 "
                             "WHEN due_at >= $3 THEN 2 WHEN due_at >= $4 THEN 3 ELSE 4 END AS bucket, "
                             "COUNT(*), COALESCE(SUM(amount_due_minor - amount_paid_minor), 0) "
                             "FROM invoices WHERE status = 'open' GROUP BY currency, bucket ORDER BY currency, bucket",
                             {now, now - 30 * kDayMs, now - 60 * kDayMs, now - 90 * kDayMs}));
  std::vector<Aging> out;
  for (const auto& row : rows.rows) {
    if (out.empty() || out.back().currency != row.Text(0)) out.push_back(Aging{.currency = row.Text(0)});
    auto bucket = static_cast<size_t>(row.Int(1));
    out.back().invoices[bucket] = row.Int(2);
    out.back().amount_minor[bucket] = row.Int(3);
  }
  return out;
}

}  // namespace meterline::analytics
