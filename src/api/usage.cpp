// Usage ingestion (machines) and current usage and history (console).
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <map>

#include "api/handlers.hpp"
#include "api/input.hpp"
#include "api/scope.hpp"
#include "api/usage_event_stream.hpp"
#include "api/usage_events.hpp"
#include "customers/customer_store.hpp"
#include "http/error_mapping.hpp"
#include "http/json_body.hpp"
#include "metering/ingest.hpp"
#include "metering/usage.hpp"
#include "observability/metrics.hpp"
#include "pricing/charge_json.hpp"
#include "pricing/describe.hpp"
#include "subscriptions/subscription_service.hpp"

namespace meterline::api {

namespace {

namespace json = boost::json;

// Deepest offset the usage events list takes: each step past it is read and
// skipped by the store, so deeper pages go by cursor.
constexpr int64_t kMaxEventOffset = 10000;

}  // namespace

namespace {

// Events that name their customer by external id get our id; those whose
// external id no customer has are rejected (one lookup per distinct id).
Status ResolveExternalIds(ApiContext& context, ParsedUsageBatch& batch) {
  if (batch.by_external_id.empty()) return OkStatus();
  // external id -> customer id, kept in the batch's arena ("" = none)
  std::map<std::string_view, std::string_view> resolved;
  std::vector<bool> unknown(batch.events.size(), false);
  for (size_t position : batch.by_external_id) {
    auto& event = batch.events[position].second;
    auto [it, inserted] = resolved.try_emplace(event.customer_id);
    if (inserted) {
      MTL_ASSIGN_OR_RETURN(auto customer, context.customers.FindByExternalId(std::string(event.customer_id)));
      if (customer) it->second = batch.text.Keep(customer->id);
    }
    if (it->second.empty()) {
      unknown[position] = true;
      batch.rejected.push_back({batch.events[position].first, std::string(event.id),
                                "no customer has external_customer_id '" + std::string(event.customer_id) + "'",
                                "unknown_customer"});
    } else {
      event.customer_id = it->second;
    }
  }
  size_t kept = 0;
  for (size_t i = 0; i < batch.events.size(); ++i) {
    if (unknown[i]) continue;
    if (kept != i) batch.events[kept] = std::move(batch.events[i]);  // never onto itself: that empties it
    ++kept;
  }
  batch.events.resize(kept);
  batch.by_external_id.clear();
  return OkStatus();
}

// Our batches and ndjson go through the streaming parser, which also answers
// malformed JSON (the route is streamed_json_body: the pipeline leaves it alone);
// CloudEvents, structured or binary, through a DOM as before (its JSON checked by
// the pipeline, or line by line by ParseNdjsonEvents).
Result<ParsedUsageBatch> ParseBody(const http::Request& request, size_t max_batch) {
  std::string_view content_type = request.headers.Get("Content-Type");
  bool ndjson = http::EqualsIgnoreCase(http::MediaType(content_type), "application/x-ndjson");
  bool binary_cloud_event = request.headers.Has("ce-specversion");
  if (!binary_cloud_event && !http::IsCloudEventsContentType(content_type)) {
    return ParseUsageEventsStreamed(request.body, ndjson ? UsageBodyFormat::kNdjson : UsageBodyFormat::kJsonBatch,
                                    max_batch);
  }
  json::value body;
  if (ndjson) {
    MTL_ASSIGN_OR_RETURN(body, ParseNdjsonEvents(request.body, max_batch));
    content_type = "application/json";
  } else {
    body = json::parse(request.body);  // syntax already checked by the pipeline
  }
  if (auto binary = BinaryCloudEvent(request.headers, body)) {
    body = std::move(*binary);
    content_type = "application/cloudevents+json";
  }
  return ParseUsageEvents(content_type, body, max_batch);
}

}  // namespace

http::Handler IngestUsage(ApiContext& context) {
  auto& events = context.metrics.AddCounter(
      "meterline_ingest_events_total",
      "Usage events received, by outcome (accepted, duplicate, rejected) and the reason of a rejection.",
      {"outcome", "reason"});
  auto& batch_seconds = context.metrics.AddHistogram(
      "meterline_ingest_batch_duration_seconds",
      "Time to validate and durably store one ingestion batch (the 2xx follows its commit).", {},
      observability::DefaultLatencyBuckets());
  return [&context, &events, &batch_seconds](http::Request& request) -> Result<http::Response> {
    MTL_ASSIGN_OR_RETURN(auto batch, ParseBody(request, context.ingest_max_batch));
    MTL_RETURN_IF_ERROR(ResolveExternalIds(context, batch));
    const Principal& caller = *request.principal;
    std::string only_customer = caller.role == Role::kAdmin ? "" : caller.customer_id;
    auto started = std::chrono::steady_clock::now();
    MTL_ASSIGN_OR_RETURN(auto result, context.ingest.Ingest(batch.events, std::move(batch.rejected), only_customer));
    batch_seconds.WithLabels({}).ObserveMicros(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started).count());
    if (result.accepted > 0) events.WithLabels({"accepted", ""}).Inc(static_cast<uint64_t>(result.accepted));
    if (!result.duplicates.empty()) events.WithLabels({"duplicate", ""}).Inc(result.duplicates.size());
    for (const auto& r : result.rejected) events.WithLabels({"rejected", r.code}).Inc();
    json::object out;
    out["accepted"] = result.accepted;
    json::array duplicates, refused;
    for (const auto& d : result.duplicates) duplicates.push_back({{"index", d.index}, {"id", d.id}});
    for (const auto& r : result.rejected) {
      refused.push_back({{"index", r.index}, {"id", r.id}, {"reason", r.reason}, {"code", r.code}});
    }
    out["duplicates"] = std::move(duplicates);
    out["rejected"] = std::move(refused);
    return JsonResponse(200, out);
  };
}

http::Handler CurrentUsage(ApiContext& context) {
  auto& read_seconds =
      context.metrics.AddHistogram("meterline_usage_current_read_duration_seconds",
                                   "Time to read a customer's current-period usage (GET /billing/usage/current).", {},
                                   observability::DefaultLatencyBuckets());
  return [&context, &read_seconds](http::Request& request) -> Result<http::Response> {
    const Principal& caller = *request.principal;
    std::string customer_id = request.QueryParam("customer_id").value_or(caller.customer_id);
    if (customer_id.empty()) return InvalidParam("customer_id", "customer_id is required for admins");
    if (!CanSeeCustomer(caller, customer_id)) return NotVisible("customer", customer_id);
    auto started = std::chrono::steady_clock::now();
    auto usage = context.usage.Current(customer_id);
    read_seconds.WithLabels({}).ObserveMicros(
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started).count());
    if (!usage.ok()) return std::move(usage).error();
    const auto& currency = usage->plan->currency;
    json::array metrics;
    for (const auto& m : usage->metrics) {
      json::object o;
      o["metric"] = m.metric->id;
      o["name"] = m.metric->name;
      o["unit"] = m.metric->unit;
      o["aggregation"] = catalog::AggregationName(m.metric->aggregation);
      o["usage"] = m.usage;
      o["limit"] = m.limit;
      o["percent"] = m.permille / 10.0;  // display only; never used for money
      o["overage_units"] = m.overage_units;
      o["overage_unit_price"] = money::PerUnitText(m.overage_price);
      o["overage_price"] = {{"amount", m.overage_price.amount.ToString()}, {"per", m.overage_price.per_units}};
      o["overage_amount"] = AmountJson(m.overage_minor, currency.code);
      o["charge"] = pricing::ChargeJson(m.charge);
      o["pricing"] = pricing::DescribeModel(m.charge, currency, pricing::WordsFor(m.metric->name, m.metric->unit));
      metrics.push_back(std::move(o));
    }
    json::object out;
    out["customer_id"] = customer_id;
    out["subscription"] = {{"id", usage->subscription.id},
                           {"status", subscriptions::StatusName(usage->subscription.status)}};
    out["plan"] = {{"id", usage->plan->id},
                   {"name", usage->plan->name},
                   {"interval", catalog::IntervalName(usage->plan->interval_months)},
                   {"base_fee", AmountJson(usage->plan->base_fee_minor, currency.code)}};
    out["period"] = {{"start", FormatIso8601(usage->period.start)}, {"end", FormatIso8601(usage->period.end)}};
    out["currency"] = currency.code;
    out["metrics"] = std::move(metrics);
    out["total_overage"] = AmountJson(usage->total_overage_minor, currency.code);
    return JsonResponse(200, out);
  };
}

http::Handler UsageHistory(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    const Principal& caller = *request.principal;
    std::string customer_id = request.QueryParam("customer_id").value_or(caller.customer_id);
    if (customer_id.empty()) return InvalidParam("customer_id", "customer_id is required for admins");
    if (!CanSeeCustomer(caller, customer_id)) return NotVisible("customer", customer_id);
    std::string granularity_text = request.QueryParam("granularity").value_or("day");
    metering::Granularity granularity;
    if (granularity_text == "hour") {
      granularity = metering::Granularity::kHour;
    } else if (granularity_text == "day") {
      granularity = metering::Granularity::kDay;
    } else {
      return InvalidParam("granularity", "granularity must be hour or day");
    }
    // Default range: the current billing period up to now.
    auto sub = context.subscriptions.ForCustomer(customer_id);
    if (!sub.ok() && sub.error().code == ErrorCode::kNotFound) {
      // Without a subscription there is still history, but not for a customer that does not exist.
      MTL_RETURN_IF_ERROR(context.customers.Get(customer_id));
    } else if (!sub.ok()) {
      return std::move(sub).error();
    }
    TimePoint now = context.clock.Now();
    TimePoint from = sub.ok() ? sub->PeriodAt(now).start : now - std::chrono::hours(24 * 30);
    TimePoint to = now;
    if (auto text = request.QueryParam("from")) {
      auto parsed = ParseIso8601(*text);
      if (!parsed) return InvalidParam("from", "from must be a date or RFC 3339 timestamp");
      from = *parsed;
    }
    if (auto text = request.QueryParam("to")) {
      auto parsed = ParseIso8601(*text);
      if (!parsed) return InvalidParam("to", "to must be a date or RFC 3339 timestamp");
      to = *parsed;
    }
    if (from >= to) return InvalidParam("from", "from must be before to");
    auto max_span =
        granularity == metering::Granularity::kHour ? std::chrono::hours(24 * 31) : std::chrono::hours(24 * 366);
    if (to - from > max_span) {
      return InvalidParam("to", granularity == metering::Granularity::kHour ? "hourly history covers at most 31 days"
                                                                            : "daily history covers at most 366 days");
    }
    MTL_ASSIGN_OR_RETURN(auto history, context.usage.History(customer_id, from, to, granularity));
    json::array series;
    for (const auto& s : history) {
      json::array points;
      for (const auto& p : s.points) points.push_back({{"start", FormatIso8601(p.start)}, {"value", p.value}});
      series.push_back({{"metric", s.metric}, {"points", std::move(points)}});
    }
    json::object out{{"customer_id", customer_id},
                     {"granularity", granularity_text},
                     {"from", FormatIso8601(from)},
                     {"to", FormatIso8601(to)},
                     {"series", std::move(series)}};
    return JsonResponse(200, out);
  };
}

// A customer's usage events as stored, newest first, paged by cursor (the
// list grows without bound) or, for the first 10,000, by offset.
http::Handler ListUsageEvents(ApiContext& context) {
  return [&context](http::Request& request) -> Result<http::Response> {
    const Principal& caller = *request.principal;
    MTL_ASSIGN_OR_RETURN(auto page, PageOf(request, {.default_limit = 50, .max_limit = 500, .cursors = true}));
    if (page.offset > kMaxEventOffset) {
      return InvalidParam(
          "offset", "offset must be at most " + std::to_string(kMaxEventOffset) + "; page further with starting_after");
    }
    metering::EventFilter filter;
    filter.customer_id = request.QueryParam("customer_id").value_or(caller.customer_id);
    if (filter.customer_id.empty()) return InvalidParam("customer_id", "customer_id is required for admins");
    if (!CanSeeCustomer(caller, filter.customer_id)) return NotVisible("customer", filter.customer_id);
    MTL_RETURN_IF_ERROR(context.customers.Get(filter.customer_id));
    filter.metric = request.QueryParam("metric").value_or("");
    if (!filter.metric.empty() && context.catalog.FindMetric(filter.metric) == nullptr) {
      return InvalidParam("metric", "no metric '" + filter.metric.substr(0, 64) + "' in the catalog");
    }
    for (auto [name, bound] : {std::pair{"from", &filter.from}, std::pair{"to", &filter.to}}) {
      auto text = request.QueryParam(name);
      if (!text) continue;
      *bound = ParseIso8601(*text);
      if (!*bound) return InvalidParam(name, std::string(name) + " must be a date or RFC 3339 timestamp");
    }
    if (filter.from && filter.to && *filter.from >= *filter.to) return InvalidParam("from", "from must be before to");
    MTL_ASSIGN_OR_RETURN(auto events, context.usage_store.ListEvents(filter, page));
    return JsonResponse(200, ListJson(events, page, [](const metering::StoredEvent& stored) -> json::object {
                          const metering::UsageEvent& e = stored.event;
                          json::value properties = nullptr;
                          if (!e.properties_json.empty()) {
                            boost::system::error_code ec;
                            json::value parsed = json::parse(e.properties_json, ec);
                            if (!ec) properties = std::move(parsed);
                          }
                          return {{"object", "usage_event"},
                                  {"id", e.id},
                                  {"customer_id", e.customer_id},
                                  {"metric", e.metric},
                                  {"value", e.value},
                                  {"timestamp", FormatIso8601(e.timestamp)},
                                  {"received_at", FormatIso8601(stored.received_at)},
                                  {"properties", std::move(properties)}};
                        }));
  };
}

}  // namespace meterline::api
