// Catalog: the plans customers subscribe to and the metered metrics, loaded
// from a JSON file (CATALOG_PATH) or the built-in default (the spec's tiers),
// validated once at start. Immutable and thread-safe after loading.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "money/money.hpp"
#include "money/share.hpp"
#include "pricing/charge_model.hpp"

namespace meterline::catalog {

// How a metric turns a period's events into the quantity it bills.
enum class Aggregation {
  kSum,    // the events' values added up (impressions, bytes)
  kCount,  // the number of events, whatever their values
  kMax,    // the largest value (peak seats, storage high-water mark)
  kLast,   // the value of the latest event (by timestamp; the larger value on a tie)
};
std::string_view AggregationName(Aggregation aggregation);  // "sum" | "count" | "max" | "last"

struct Metric {
  std::string id;                  // "impressions", "api_calls", "data_transfer"
  std::string name;                // "Ad impressions"
  std::string unit;                // "impression", "call", "byte"
  money::UnitPrice overage_price;  // default price of usage over a plan's limit
  Aggregation aggregation = Aggregation::kSum;
  // The events it reads: those sent with this metric name ("event"; its own
  // id when absent) whose properties hold every value of `filter` (JSON
  // strings, integers or booleans, compared exactly).
  std::string event;
  std::vector<std::pair<std::string, boost::json::value>> filter;

  // A metric that reads another name's events, or only some of them, keeps
  // rollups of its own, filled at ingestion (a "derived" rollup).
  bool Derived() const { return event != id || !filter.empty(); }
  // Whether an event of `event` with these properties (a JSON object's text,
  // or "") counts toward this metric.
  bool Matches(const boost::json::object* properties) const;
};

struct Plan {
  std::string id;       // "starter"
  int64_t version = 1;  // plans/plan_book.hpp: a price change is a new version
  std::string name;     // "Starter"
  money::Currency currency;
  // The billing interval in months ("interval": month 1, quarter 3, year 12;
  // the same in every version). The base fee, the minimum commitment and tier
  // boundaries are per interval, as written.
  int interval_months = 1;
  // Limits, included units and free units are monthly and scale with the
  // interval (false, "allowances": "per_month", the default), or per interval
  // as written (true, "per_interval").
  bool allowances_per_interval = false;
  // The base fee is invoiced at the start of its period, with the usage of the
  // period before ("base_fee_timing": "in_advance"), rather than at its end
  // with its own usage ("in_arrears", the default). The same in every version.
  bool base_fee_in_advance = false;
  int64_t base_fee_minor = 0;                       // per interval
  std::map<std::string, int64_t> limits;            // metric id -> included units (see LimitOf)
  std::map<std::string, money::UnitPrice> overage;  // metric id -> price (plan override or metric default)
  // metric id -> its charge model when the plan sets one ("charges" in the
  // catalog, pricing/charge_json.hpp); `limits` then only drive meters and alerts.
  std::map<std::string, pricing::MetricCharge> charges;
  int64_t minimum_minor = 0;  // minimum commitment per period ("minimum_commitment"); 0: none
  // A free trial new subscriptions start with ("trial": {"days", "usage",
  // "requires_payment_method"}; docs/subscriptions.md). No base fee and no
  // minimum during it.
  struct Trial {
    int days = 0;                          // 0: no trial (a subscription may still ask for one)
    bool usage_billed = false;             // "usage": "billed" prices its usage; "free" (the default) does not
    bool requires_payment_method = false;  // without one on file at its end, the subscription is canceled
  } trial;
  // The same plan priced in other currencies ("prices": {"EUR": {…}}): the
  // same id, version, name and limits, their own base fee, prices, charges
  // and minimum. Each has no other_currencies of its own.
  std::vector<Plan> other_currencies;

  // This plan's prices in `code`: itself, one of other_currencies, or null
  // when the plan has no prices in that currency.
  const Plan* InCurrency(std::string_view code) const;
  // Every currency it has prices in, its own first.
  std::vector<std::string> Currencies() const;
  // The same for people: "USD, EUR, JPY".
  std::string CurrencyList() const;
  // Sets the version number here and in every other currency's prices.
  void SetVersion(int64_t number);
  // How many times the written allowances of `metric` one period includes:
  // the interval's months for quantities that add up over time (sum, count),
  // else 1 (a peak or a latest value does not grow with the period; nor do
  // allowances written per interval).
  int AllowanceScale(const Metric& metric) const;
  // A metric's meter limit for one period (its written limit, scaled; saturates),
  // or for a `share` of one: sum and count allowances are prorated.
  int64_t LimitOf(const Metric& metric, const money::Share& share = {}) const;
  // The base fee and minimum commitment for a share of a period (prorated
  // to the currency's step).
  int64_t BaseFeeFor(const money::Share& share) const { return share.Apply(base_fee_minor, currency.step); }
  int64_t MinimumFor(const money::Share& share) const { return share.Apply(minimum_minor, currency.step); }
};

// "month" | "quarter" | "year" for 1, 3, 12 months.
std::string_view IntervalName(int months);

// The longest trial a plan or a subscription may have, in days (two years).
constexpr int kMaxTrialDays = 730;

// How `plan` prices a metric's usage in a period: its charge when the plan
// sets one, else the plan's included allowance, then its overage price per
// block (pricing::IncludedThenOverage, the spec's plans). Included and free
// units are scaled to the period (Plan::AllowanceScale), and for a partial
// period those of sum and count metrics prorated by its `share` (tier
// boundaries are not, as in Stripe).
pricing::MetricCharge ChargeFor(const Plan& plan, const Metric& metric, const money::Share& share = {});

// One plan from its JSON object (the catalog file's "plans" entries, and the
// body of POST /api/v1/admin/plans), validated against `metrics`. Errors are
// InvalidParam naming the field under `path` ("" at the top level), e.g.
// "charges.impressions.tiers[2].up_to must be greater than …".
Result<Plan> ParsePlan(const boost::json::value& value, const std::vector<Metric>& metrics, const std::string& path);
// The plan in that JSON form, every metric's limit and price written out:
// ParsePlan reads it back to the same plan. How a version is stored.
boost::json::object PlanDefinition(const Plan& plan);
// Whether two plans bill the same (everything but their names and versions).
bool SamePricing(const Plan& a, const Plan& b);

class Catalog {
 public:
  // Parses and validates a catalog document. Errors name the offending path,
  // e.g. "catalog: plans[1].limits.impressions must be a non-negative integer".
  static Result<Catalog> Parse(std::string_view json);
  // The built-in catalog: Starter, Growth, Scale, Enterprise (see README).
  static const Catalog& Default();

  const std::vector<Metric>& metrics() const { return metrics_; }
  const std::vector<Plan>& plans() const { return plans_; }
  const Plan* FindPlan(std::string_view id) const;
  const Metric* FindMetric(std::string_view id) const;

  // Whether usage events may be sent with this metric name: some metric reads them.
  bool AcceptsEvent(std::string_view event_name) const;
  // The derived metrics (Metric::Derived) an event counts toward: those that
  // read its name and whose filter its properties (JSON object text, or "")
  // match. Empty, without parsing anything, when no derived metric reads it.
  std::vector<std::string> DerivedMetricsOf(std::string_view event_name, std::string_view properties_json) const;
  // A metric's quantity is read with its aggregation; other rollup keys
  // (events no plain metric reads) add up.
  Aggregation AggregationOf(std::string_view metric_id) const;

 private:
  static Result<Catalog> ParseDocument(const boost::json::object& root);

  std::vector<Metric> metrics_;
  std::vector<Plan> plans_;
};

}  // namespace meterline::catalog
