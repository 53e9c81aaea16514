#include "budgets/budget_service.hpp"

#include <boost/json/object.hpp>

#include "audit/audit_log.hpp"
#include "invoicing/invoice_builder.hpp"
#include "money/money.hpp"
#include "outbox/events.hpp"

namespace meterline::budgets {

namespace json = boost::json;

namespace {

json::object Money(int64_t minor, const std::string& currency) {
  auto c = money::FindCurrency(currency).value_or(money::Currency{currency, 2});
  return {{"minor", minor}, {"currency", currency}, {"formatted", money::FormatMajor(minor, c)}};
}

json::object EventPayload(const BudgetStatus& s) {
  return {{"customer_id", s.customer_id},
          {"budget", Money(s.amount_minor, s.currency)},
          {"spend", Money(s.spend_minor, s.currency)},
          {"forecast", Money(s.forecast_minor, s.currency)},
          {"period", {{"start", FormatIso8601(s.period.start)}, {"end", FormatIso8601(s.period.end)}}}};
}

}  // namespace

Result<BudgetStatus> BudgetService::Evaluate(const std::string& customer_id, int64_t amount_minor,
                                             const std::string& currency) {
  MTL_ASSIGN_OR_RETURN(auto current, usage_.Current(customer_id));
  std::map<std::string, int64_t> so_far;
  for (const auto& m : current.metrics) so_far[m.metric->id] = m.usage;
  invoicing::InvoiceTerms terms;
  terms.share = current.share;
  MTL_ASSIGN_OR_RETURN(auto spend, invoicing::BuildInvoice(catalog_, *current.plan, so_far, std::nullopt, terms));
  MTL_ASSIGN_OR_RETURN(auto projected, forecaster_.ForCustomer(customer_id));
  BudgetStatus s{
      customer_id, amount_minor, currency, current.period, spend.subtotal_minor, projected.invoice.expected_minor,
      {},          false};
  for (int t : kThresholds) {
    // spend >= t % of the budget, in integers (amounts stay below 2^50).
    if (s.spend_minor * 100 >= s.amount_minor * t) s.thresholds_crossed.push_back(t);
  }
  s.forecast_exceeds = s.forecast_minor > s.amount_minor;
  return s;
}

Result<BudgetStatus> BudgetService::Set(const std::string& customer_id, int64_t amount_minor,
                                        const std::string& actor) {
  if (amount_minor <= 0 || amount_minor > (int64_t{1} << 50)) {
    return InvalidParam("amount_minor", "amount_minor must be a positive integer (minor units), at most 2^50");
  }
  MTL_ASSIGN_OR_RETURN(auto current, usage_.Current(customer_id));
  std::string currency = current.plan->currency.code;
  int64_t now = ToUnixMillis(clock_.Now());
  MTL_RETURN_IF_ERROR(db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
    MTL_RETURN_IF_ERROR(tx.Execute(
        "INSERT INTO customer_budgets (customer_id, amount_minor, currency, updated_by, created_at, updated_at) "
        "VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (customer_id) DO UPDATE SET amount_minor = $2, currency = $3, "
        "updated_by = $4, updated_at = $5",
        {customer_id, amount_minor, currency, actor, now}));
    return audit::Record(
        tx, clock_, {actor, "budget.set", customer_id, {{"amount_minor", amount_minor}, {"currency", currency}}, {}});
  }));
  return Evaluate(customer_id, amount_minor, currency);
}

Result<BudgetStatus> BudgetService::Get(const std::string& customer_id) {
  MTL_ASSIGN_OR_RETURN(auto rows, db_.Execute("SELECT amount_minor, currency FROM customer_budgets WHERE "
                                              "customer_id = $1",
                                              {customer_id}));
  if (rows.rows.empty()) return NotFound("customer " + customer_id + " has no budget");
  return Evaluate(customer_id, rows.rows[0].Int(0), rows.rows[0].Text(1));
}

Status BudgetService::Delete(const std::string& customer_id, const std::string& actor) {
  return db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
    MTL_ASSIGN_OR_RETURN(auto gone, tx.Execute("DELETE FROM customer_budgets WHERE customer_id = $1", {customer_id}));
    if (gone.affected_rows == 0) return NotFound("customer " + customer_id + " has no budget");
    return audit::Record(tx, clock_, {actor, "budget.delete", customer_id, json::object{}, {}});
  });
}

Result<CheckRun> BudgetService::CheckAll() {
  CheckRun run;
  MTL_ASSIGN_OR_RETURN(auto budgets, db_.Execute("SELECT customer_id, amount_minor, currency FROM customer_budgets "
                                                 "ORDER BY customer_id"));
  for (const auto& row : budgets.rows) {
    ++run.budgets;
    auto status = Evaluate(row.Text(0), row.Int(1), row.Text(2));
    if (!status.ok()) {
      if (status.error().code == ErrorCode::kNotFound) continue;  // no subscription (any more)
      return std::move(status).error();
    }
    const BudgetStatus& s = *status;
    TimePoint now = clock_.Now();
    // Each alert once per period: its row and its event in one transaction.
    auto alert = [&](const char* kind, int threshold, const char* type, json::object payload) -> Status {
      return db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
        MTL_ASSIGN_OR_RETURN(
            auto inserted,
            tx.Execute("INSERT INTO budget_alerts (customer_id, period_start, kind, threshold_percent, "
                       "created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                       {s.customer_id, ToUnixMillis(s.period.start), kind, int64_t{threshold}, ToUnixMillis(now)}));
        if (inserted.affected_rows != 1) return OkStatus();
        ++run.events;
        return outbox::Publish(tx, {type, s.customer_id, std::move(payload), now});
      });
    };
    for (int t : s.thresholds_crossed) {
      json::object payload = EventPayload(s);
      payload["threshold_percent"] = t;
      MTL_RETURN_IF_ERROR(alert("threshold", t, "budget.threshold_crossed", std::move(payload)));
    }
    if (s.forecast_exceeds) {
      MTL_RETURN_IF_ERROR(alert("forecast", 0, "budget.forecast_exceeded", EventPayload(s)));
    }
  }
  return run;
}

}  // namespace meterline::budgets
