// Billing analytics for admins (docs/analytics.md): one route per view, each
// answering per currency from the summaries of the last refresh ("as_of").
#include "analytics/analytics.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "api/handlers.hpp"
#include "api/input.hpp"

namespace meterline::api {

namespace {

namespace json = boost::json;
using analytics::DivideHalfUp;
using analytics::MonthFigures;

json::value PercentOrNull(int64_t part, int64_t whole) {
  auto text = analytics::PercentText(part, whole);
  return text ? json::value(*text) : json::value(nullptr);
}

// MRR is kept ×12; answered rounded half up to minor units (ARR is exact).
json::object Mrr(int64_t twelfths, const std::string& currency) {
  return AmountJson(DivideHalfUp(twelfths, 12), currency);
}

json::object MonthJson(const MonthFigures& f, const MonthFigures* before, const std::string& currency) {
  int64_t start = before != nullptr ? before->mrr_twelfths : 0;
  // Month-over-month net retention: what last month's customers pay now.
  int64_t kept = start + f.expansion_twelfths - f.contraction_twelfths - f.churned_twelfths;
  return {{"month", f.month},
          {"mrr", Mrr(f.mrr_twelfths, currency)},
          {"arr", AmountJson(f.mrr_twelfths, currency)},
          {"paying_customers", f.paying_customers},
          {"arpu",
           AmountJson(f.paying_customers > 0 ? DivideHalfUp(f.mrr_twelfths, 12 * f.paying_customers) : 0, currency)},
          {"new", Mrr(f.new_twelfths, currency)},
          {"expansion", Mrr(f.expansion_twelfths, currency)},
          {"contraction", Mrr(f.contraction_twelfths, currency)},
          {"churned", Mrr(f.churned_twelfths, currency)},
          {"reactivation", Mrr(f.reactivation_twelfths, currency)},
          {"net_revenue_retention", before != nullptr ? PercentOrNull(kept, start) : json::value(nullptr)},
          {"net_revenue_retention_12m", PercentOrNull(f.retained_12m_twelfths, f.base_12m_twelfths)}};
}

Result<json::value> AsOf(analytics::Analytics& analytics) {
  MTL_ASSIGN_OR_RETURN(auto last, analytics.LastRefresh());
  return last ? json::value(FormatIso8601(last->refreshed_at)) : json::value(nullptr);
}

Result<int> MonthsQuery(const http::Request& request) {
  MTL_ASSIGN_OR_RETURN(auto months, IntQuery(request, "months", 12, 1, analytics::kMonthsKept - 1));
  return static_cast<int>(months);
}

}  // namespace

http::Handler AnalyticsMrr(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    MTL_ASSIGN_OR_RETURN(int months, MonthsQuery(request));
    MTL_ASSIGN_OR_RETURN(auto as_of, AsOf(context.analytics));
    // One month more than shown, for the first month's movements.
    MTL_ASSIGN_OR_RETURN(auto currencies, context.analytics.Months(months + 1));
    json::array out;
    for (const auto& c : currencies) {
      json::array series;
      for (size_t i = 1; i < c.months.size(); ++i)
        series.push_back(MonthJson(c.months[i], &c.months[i - 1], c.currency));
      if (c.months.size() == 1) series.push_back(MonthJson(c.months[0], nullptr, c.currency));
      const MonthFigures& now = c.months.back();
      json::object entry = MonthJson(now, c.months.size() > 1 ? &c.months[c.months.size() - 2] : nullptr, c.currency);
      entry["currency"] = c.currency;
      entry["months"] = std::move(series);
      out.push_back(std::move(entry));
    }
    return JsonResponse(200, json::object{{"object", "analytics.mrr"}, {"as_of", as_of}, {"currencies", out}});
  };
}

http::Handler AnalyticsRevenue(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    MTL_ASSIGN_OR_RETURN(int months, MonthsQuery(request));
    MTL_ASSIGN_OR_RETURN(auto as_of, AsOf(context.analytics));
    MTL_ASSIGN_OR_RETURN(auto currencies, context.analytics.Months(months));
    MTL_ASSIGN_OR_RETURN(auto slices, context.analytics.Revenue(months));
    MTL_ASSIGN_OR_RETURN(auto statuses, context.analytics.InvoicesByStatus());
    json::array out;
    for (const auto& c : currencies) {
      json::array series;
      int64_t total = 0;
      for (const auto& f : c.months) {
        json::array by_metric;
        json::array by_plan;
        for (const auto& s : slices) {
          if (s.currency != c.currency || s.month != f.month) continue;
          json::object slice{{s.dimension == "metric" ? "metric" : "plan_id", s.key},
                             {"amount", AmountJson(s.amount_minor, c.currency)}};
          (s.dimension == "metric" ? by_metric : by_plan).push_back(std::move(slice));
        }
        total += f.revenue_minor;
        series.push_back(json::object{{"month", f.month},
                                      {"total", AmountJson(f.revenue_minor, c.currency)},
                                      {"base_fees", AmountJson(f.base_fee_minor, c.currency)},
                                      {"usage", AmountJson(f.usage_minor, c.currency)},
                                      {"other", AmountJson(f.other_minor, c.currency)},
                                      {"by_metric", std::move(by_metric)},
                                      {"by_plan", std::move(by_plan)}});
      }
      json::array by_status;
      for (const auto& s : statuses) {
        if (s.currency != c.currency) continue;
        by_status.push_back(json::object{
            {"status", s.status}, {"invoices", s.invoices}, {"total", AmountJson(s.total_minor, c.currency)}});
      }
      out.push_back(json::object{{"currency", c.currency},
                                 {"total", AmountJson(total, c.currency)},
                                 {"months", std::move(series)},
                                 {"invoices_by_status", std::move(by_status)}});
    }
    return JsonResponse(200, json::object{{"object", "analytics.revenue"}, {"as_of", as_of}, {"currencies", out}});
  };
}

http::Handler AnalyticsTopCustomers(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    std::string by = request.QueryParam("by").value_or("revenue");
    if (by != "revenue" && by != "usage") return InvalidParam("by", "by must be revenue or usage");
    MTL_ASSIGN_OR_RETURN(auto limit, IntQuery(request, "limit", 10, 1, analytics::kTopCustomersKept));
    MTL_ASSIGN_OR_RETURN(auto as_of, AsOf(context.analytics));
    MTL_ASSIGN_OR_RETURN(auto top, context.analytics.TopCustomers(by, static_cast<int>(limit)));
    json::array out;
    for (const auto& t : top) {
      if (out.empty() || out.back().as_object()["currency"].as_string() != t.currency) {
        out.push_back(json::object{{"currency", t.currency}, {"customers", json::array()}});
      }
      out.back().as_object()["customers"].as_array().push_back(
          json::object{{"customer_id", t.customer_id},
                       {"name", t.customer_name},
                       {"revenue", AmountJson(t.revenue_minor, t.currency)},
                       {"usage", AmountJson(t.usage_minor, t.currency)}});
    }
    return JsonResponse(
        200, json::object{{"object", "analytics.top_customers"}, {"as_of", as_of}, {"by", by}, {"currencies", out}});
  };
}

http::Handler AnalyticsReceivablesAging(ApiContext& context) {
  return [&context](http::Request&) -> Result<http::Response> {
    MTL_ASSIGN_OR_RETURN(auto aging, context.analytics.ReceivablesAging());
    json::array out;
    for (const auto& a : aging) {
      json::array buckets;
      int64_t total = 0;
      int64_t invoices = 0;
      for (size_t i = 0; i < std::size(analytics::Aging::kBuckets); ++i) {
        total += a.amount_minor[i];
        invoices += a.invoices[i];
        buckets.push_back(json::object{{"bucket", analytics::Aging::kBuckets[i]},
                                       {"invoices", a.invoices[i]},
                                       {"amount", AmountJson(a.amount_minor[i], a.currency)}});
      }
      out.push_back(json::object{{"currency", a.currency},
                                 {"outstanding", AmountJson(total, a.currency)},
                                 {"invoices", invoices},
                                 {"buckets", std::move(buckets)}});
    }
    return JsonResponse(
        200, json::object{
                 {"object", "analytics.ar_aging"}, {"as_of", FormatIso8601(context.clock.Now())}, {"currencies", out}});
  };
}

http::Handler RefreshAnalytics(ApiContext& context) {
  return [&context](http::Request&) -> Result<http::Response> {
    MTL_ASSIGN_OR_RETURN(auto info, context.analytics.Refresh());
    return JsonResponse(200, json::object{{"object", "analytics.refresh"},
                                          {"refreshed_at", FormatIso8601(info.refreshed_at)},
                                          {"duration_ms", info.duration_ms},
                                          {"customers", info.customers},
                                          {"invoices", info.invoices}});
  };
}

}  // namespace meterline::api
