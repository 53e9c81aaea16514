#include "metering/clickhouse_usage_store.hpp"

#include <charconv>
#include <unordered_map>

#include "core/period.hpp"
#include "customers/customer_store.hpp"
#include "metering/batch_keys.hpp"
#include "metering/usage_limits.hpp"

namespace meterline::metering {

namespace {

using clickhouse::Quote;

Result<int64_t> ParseInt(const std::string& text) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return Internal("ClickHouse: not an integer: " + text);
  return value;
}

std::string Ms(int64_t ms) { return std::to_string(ms); }

// Sums of rollup totals as two halves that cannot overflow (see JoinSplitSum):
// ClickHouse's sum() of Int64 wraps silently.
constexpr const char* kSplitSum = "sum(intDiv(total, 4294967296)), sum(total % 4294967296)";

// Joins the two halves at `column` and `column + 1` of a row.
Result<int64_t> JoinSums(const std::vector<std::string>& row, size_t column, const std::string& what) {
  MTL_ASSIGN_OR_RETURN(auto high, ParseInt(row.at(column)));
  MTL_ASSIGN_OR_RETURN(auto low, ParseInt(row.at(column + 1)));
  return JoinSplitSum(high, low, what);
}

// Everything each aggregation needs, read after kSplitSum (see TotalsAt).
constexpr const char* kAggregates =
    "sum(intDiv(total, 4294967296)), sum(total % 4294967296), sum(events), maxMerge(peak), argMaxMerge(latest)";

// The totals of a row whose kAggregates start at `column`.
Result<RollupTotals> TotalsAt(const std::vector<std::string>& row, size_t column, const std::string& what) {
  RollupTotals totals;
  MTL_ASSIGN_OR_RETURN(totals.sum, JoinSums(row, column, what));
  MTL_ASSIGN_OR_RETURN(totals.count, ParseInt(row.at(column + 2)));
  MTL_ASSIGN_OR_RETURN(totals.peak, ParseInt(row.at(column + 3)));
  MTL_ASSIGN_OR_RETURN(totals.latest, ParseInt(row.at(column + 4)));
  return totals;
}

// A ClickHouse array of strings as TSV text: ['a','b'] (Quote escapes tabs
// and newlines too, so the field stays one TSV field).
void AppendTsvStringArray(std::string& out, const std::vector<std::string>& items) {
  out += '[';
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += Quote(items[i]);
  }
  out += ']';
}

// An integer's decimal text without a heap allocation.
class IntText {
 public:
  explicit IntText(int64_t value) : end_(std::to_chars(digits_, digits_ + sizeof digits_, value).ptr) {}
  std::string_view view() const { return {digits_, static_cast<size_t>(end_ - digits_)}; }

 private:
  char digits_[24];
  char* end_;
};

}  // namespace

Result<std::vector<std::vector<std::string>>> ClickHouseUsageStore::Select(
    const std::string& sql, const std::vector<clickhouse::ExternalTable>& tables) {
  MTL_ASSIGN_OR_RETURN(auto body, client_.Query(sql + " FORMAT TabSeparated", tables));
  return clickhouse::ParseTsv(body);
}

Result<WriteOutcome> ClickHouseUsageStore::Write(const std::vector<UsageEventRef>& events, TimePoint received,
                                                 const AfterWrite& after) {
  WriteOutcome outcome;
  MTL_RETURN_IF_ERROR(db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
    outcome = WriteOutcome{};
    // The per-customer lock, taken in id order so two writers never wait on
    // each other in a cycle. SQLite's BEGIN IMMEDIATE already excludes every
    // other writer.
    std::set<std::string_view> customer_ids;
    std::string_view last_customer;
    for (const UsageEventRef& e : events) {
      if (e.customer_id != last_customer) customer_ids.insert(last_customer = e.customer_id);
    }
    for (std::string_view customer_id : customer_ids) {
      MTL_RETURN_IF_ERROR(customers::CustomerStore::LockForUpdate(tx, db_.backend(), std::string(customer_id)));
    }
    // Which of these are stored already? A repeat within the batch is a
    // duplicate of its first occurrence; the keys ClickHouse returns mark
    // their first occurrence as stored before.
    BatchKeys first(events);
    enum : char { kNew, kDuplicate, kRefused };
    std::vector<char> state(events.size(), kNew);
    std::vector<size_t> repeats;
    std::vector<size_t> unique = first.AddAll(repeats);
    for (size_t i : repeats) state[i] = kDuplicate;
    // Keys and rows go to ClickHouse in key order: it then finds the new
    // part's block already sorted (no sort, no permutation of its columns)
    // and the existence check's set arrives sorted.
    const std::vector<size_t> order = InKeyOrder(events, unique);
    if (!events.empty()) {
      clickhouse::ExternalTable batch{"batch", "customer_id String, event_id String", ""};
      batch.tsv.reserve(events.size() * 64);
      for (size_t i : order) clickhouse::AppendTsvRow(batch.tsv, {events[i].customer_id, events[i].id});
      MTL_ASSIGN_OR_RETURN(
          auto stored,
          Select("SELECT customer_id, event_id FROM usage_events WHERE customer_id IN (SELECT customer_id FROM batch) "
                 "AND (customer_id, event_id) IN (SELECT customer_id, event_id FROM batch)",
                 {batch}));
      for (const auto& row : stored) {
        size_t position = first.Find(row.at(0), row.at(1));
        if (position != BatchKeys::kNone) state[position] = kDuplicate;
      }
    }
    // The new events of each rollup, in batch order. Duplicates touch their
    // rollup too: re-checking alerts after a resend repairs one lost to a
    // crash between the insert and the commit below. Slots are found by views
    // of the events' strings; the key's copies are made once per rollup.
    struct Pending {
      std::vector<size_t> positions;
      std::vector<int64_t> values;
    };
    std::map<RollupKey, Pending> pending;
    std::unordered_map<RollupView, Pending*, RollupViewHash> slot_of;
    Pending* last_slot = nullptr;
    RollupView last_view;
    for (size_t i = 0; i < events.size(); ++i) {
      const UsageEventRef& e = events[i];
      RollupView view{e.customer_id, e.metric, HourStart(e.timestamp)};
      if (last_slot == nullptr || view != last_view) {
        auto found = slot_of.find(view);
        if (found == slot_of.end()) {
          Pending* slot = &pending[{std::string(e.customer_id), std::string(e.metric), std::get<2>(view)}];
          found = slot_of.emplace(view, slot).first;
        }
        last_slot = found->second;
        last_view = view;
      }
      if (state[i] == kDuplicate) {
        outcome.duplicates.push_back(i);
        continue;
      }
      last_slot->positions.push_back(i);
      last_slot->values.push_back(e.value);
    }
    std::set<RollupKey> touched;
    for (const auto& [key, unused] : pending) touched.insert(touched.end(), key);
    // What those rollups hold: under the customer lock nothing else adds to
    // them, so the events that fit are known before the insert.
    std::map<RollupKey, int64_t> stored_totals;
    clickhouse::ExternalTable keys{"batch_keys", "customer_id String, metric String, hour_start Int64", ""};
    for (const auto& [key, slot] : pending) {
      if (slot.positions.empty()) continue;
      clickhouse::AppendTsvRow(keys.tsv, {std::get<0>(key), std::get<1>(key), Ms(ToUnixMillis(std::get<2>(key)))});
    }
    if (!keys.tsv.empty()) {
      MTL_ASSIGN_OR_RETURN(
          auto totals,
          Select("SELECT customer_id, metric, hour_start, " + std::string(kSplitSum) +
                     " FROM usage_hourly WHERE customer_id IN (SELECT customer_id FROM batch_keys) AND "
                     "(customer_id, metric, hour_start) IN (SELECT customer_id, metric, hour_start FROM batch_keys) "
                     "GROUP BY customer_id, metric, hour_start",
                 {keys}));
      for (const auto& row : totals) {
        auto hour = ParseInt(row.at(2));
        auto high = ParseInt(row.at(3));
        auto low = ParseInt(row.at(4));
        if (!hour.ok() || !high.ok() || !low.ok()) return Internal("ClickHouse: bad rollup total");
        // A sum past int64 (rows from before the limit) refuses every new event.
        auto joined = JoinSplitSum(*high, *low, "usage");
        stored_totals[{row.at(0), row.at(1), FromUnixMillis(*hour)}] = joined.ok() ? *joined : INT64_MAX;
      }
    }
    for (const auto& [key, slot] : pending) {
      if (slot.positions.empty()) continue;
      auto found = stored_totals.find(key);
      RollupFit fit = FitIntoRollup(found == stored_totals.end() ? 0 : found->second, slot.values);
      outcome.accepted += fit.taken;
      for (size_t refused : fit.refused) {
        size_t position = slot.positions[refused];
        state[position] = kRefused;
        outcome.refused.push_back({position, HourlyLimitReason(events[position].metric, std::get<2>(key))});
      }
    }
    std::string rows;
    rows.reserve(events.size() * 128);
    IntText received_ms(ToUnixMillis(received));
    for (size_t i : order) {
      if (state[i] != kNew) continue;
      const UsageEventRef& e = events[i];
      clickhouse::AppendTsvRow(
          rows, {e.customer_id, e.id, e.metric, IntText(e.value).view(), IntText(ToUnixMillis(e.timestamp)).view(),
                 received_ms.view(), e.properties_json});
      // The derived metrics it counts toward, as the last field (the
      // derived rollups' view reads them; see 0002_aggregations.sql).
      std::vector<std::string> derived = catalog_.DerivedMetricsOf(e.metric, e.properties_json);
      rows.back() = '\t';
      AppendTsvStringArray(rows, derived);
      rows += '\n';
      for (std::string& metric : derived)
        touched.insert({std::string(e.customer_id), std::move(metric), HourStart(e.timestamp)});
    }
    std::sort(outcome.refused.begin(), outcome.refused.end(),
              [](const StoreRefusal& a, const StoreRefusal& b) { return a.position < b.position; });
    if (!rows.empty()) {
      std::vector<std::pair<std::string, std::string>> settings;
      if (distributed_) settings.emplace_back("insert_distributed_sync", "1");
      MTL_RETURN_IF_ERROR(client_.InsertTsv(
          "usage_events", rows, settings,
          {"customer_id", "event_id", "metric", "value", "occurred_at", "received_at", "properties", "derived"}));
    }
    TotalFn total = [this](const std::string& customer_id, const std::string& metric, TimePoint from,
                           TimePoint to) -> Result<int64_t> {
      MTL_ASSIGN_OR_RETURN(
          auto r, Select(std::string("SELECT ") + kAggregates + " FROM usage_hourly WHERE customer_id = " +
                         Quote(customer_id) + " AND metric = " + Quote(metric) +
                         " AND hour_start >= " + Ms(ToUnixMillis(from)) + " AND hour_start < " + Ms(ToUnixMillis(to))));
      if (r.empty()) return int64_t{0};
      MTL_ASSIGN_OR_RETURN(auto totals, TotalsAt(r.at(0), 0, "usage of " + metric));
      return totals.Of(catalog_.AggregationOf(metric));
    };
    return after ? after(tx, touched, total) : OkStatus();
  }));
  return outcome;
}

Result<std::map<std::string, int64_t>> ClickHouseUsageStore::Totals(const std::string& customer_id, TimePoint from,
                                                                    TimePoint to) {
  MTL_ASSIGN_OR_RETURN(auto rows, Select(std::string("SELECT metric, ") + kAggregates +
                                         " FROM usage_hourly WHERE customer_id = " + Quote(customer_id) +
                                         " AND hour_start >= " + Ms(ToUnixMillis(from)) + " AND hour_start < " +
                                         Ms(ToUnixMillis(to)) + " GROUP BY metric"));
  std::map<std::string, int64_t> out;
  for (const auto& row : rows) {
    MTL_ASSIGN_OR_RETURN(auto totals, TotalsAt(row, 1, "usage of " + row.at(0)));
    out[row.at(0)] = totals.Of(catalog_.AggregationOf(row.at(0)));
  }
  return out;
}

Result<std::map<std::string, std::map<std::string, int64_t>>> ClickHouseUsageStore::TotalsForCustomers(
    const std::vector<std::string>& customer_ids, TimePoint from, TimePoint to) {
  clickhouse::ExternalTable batch{"batch", "customer_id String", ""};
  for (const std::string& id : customer_ids) clickhouse::AppendTsvRow(batch.tsv, {id});
  MTL_ASSIGN_OR_RETURN(auto rows, Select(std::string("SELECT customer_id, metric, ") + kAggregates +
                                             " FROM usage_hourly WHERE customer_id IN "
                                             "(SELECT customer_id FROM batch) AND hour_start >= " +
                                             Ms(ToUnixMillis(from)) + " AND hour_start < " + Ms(ToUnixMillis(to)) +
                                             " GROUP BY customer_id, metric",
                                         {batch}));
  std::map<std::string, std::map<std::string, int64_t>> out;
  for (const auto& row : rows) {
    MTL_ASSIGN_OR_RETURN(auto totals, TotalsAt(row, 2, "usage of " + row.at(1) + " by " + row.at(0)));
    out[row.at(0)][row.at(1)] = totals.Of(catalog_.AggregationOf(row.at(1)));
  }
  return out;
}

Result<std::vector<RollupBucket>> ClickHouseUsageStore::Buckets(const std::string& customer_id, TimePoint from,
                                                                TimePoint to, std::chrono::milliseconds bucket) {
  std::string bucket_ms = Ms(bucket.count());
  MTL_ASSIGN_OR_RETURN(
      auto rows, Select("SELECT metric, intDiv(hour_start, " + bucket_ms + ") * " + bucket_ms + " AS bucket, " +
                        kAggregates + " FROM usage_hourly WHERE customer_id = " + Quote(customer_id) +
                        " AND hour_start >= " + Ms(ToUnixMillis(from)) + " AND hour_start < " + Ms(ToUnixMillis(to)) +
                        " GROUP BY metric, bucket ORDER BY metric, bucket"));
  std::vector<RollupBucket> out;
  for (const auto& row : rows) {
    MTL_ASSIGN_OR_RETURN(auto start, ParseInt(row.at(1)));
    MTL_ASSIGN_OR_RETURN(auto totals, TotalsAt(row, 2, "usage of " + row.at(0)));
    out.push_back({row.at(0), FromUnixMillis(start), totals.Of(catalog_.AggregationOf(row.at(0)))});
  }
  return out;
}

// Without FINAL: billingd stores each (customer, event id) once (see Write),
// and FINAL would merge the customer's parts on every page.
Result<Page<StoredEvent>> ClickHouseUsageStore::ListEvents(const EventFilter& filter, const PageRequest& page) {
  const bool reversed = !page.before.empty();
  std::string where = " WHERE customer_id = " + Quote(filter.customer_id);
  if (!filter.metric.empty()) where += " AND metric = " + Quote(filter.metric);
  if (filter.from) where += " AND occurred_at >= " + Ms(ToUnixMillis(*filter.from));
  if (filter.to) where += " AND occurred_at < " + Ms(ToUnixMillis(*filter.to));
  if (page.ByCursor()) {
    const std::string& cursor = reversed ? page.before : page.after;
    MTL_ASSIGN_OR_RETURN(auto at, Select("SELECT occurred_at FROM usage_events WHERE customer_id = " +
                                         Quote(filter.customer_id) + " AND event_id = " + Quote(cursor) + " LIMIT 1"));
    if (at.empty()) return InvalidParam(reversed ? "ending_before" : "starting_after", "no usage event " + cursor);
    MTL_ASSIGN_OR_RETURN(auto cursor_ms, ParseInt(at.at(0).at(0)));
    // Spelled out: ClickHouse 18.16 does not compare tuples.
    const char* op = reversed ? " > " : " < ";
    where += " AND (occurred_at" + std::string(op) + Ms(cursor_ms) + " OR (occurred_at = " + Ms(cursor_ms) +
             " AND event_id" + op + Quote(cursor) + "))";
  }
  std::string sql =
      "SELECT event_id, metric, value, occurred_at, received_at, properties FROM usage_events" + where +
      (reversed ? " ORDER BY occurred_at ASC, event_id ASC" : " ORDER BY occurred_at DESC, event_id DESC") + " LIMIT " +
      (page.ByCursor() ? "" : std::to_string(page.offset) + ", ") + std::to_string(page.limit + 1);
  MTL_ASSIGN_OR_RETURN(auto rows, Select(sql));
  std::vector<StoredEvent> out;
  out.reserve(rows.size());
  for (auto& row : rows) {
    MTL_ASSIGN_OR_RETURN(auto value, ParseInt(row.at(2)));
    MTL_ASSIGN_OR_RETURN(auto occurred_ms, ParseInt(row.at(3)));
    MTL_ASSIGN_OR_RETURN(auto received_ms, ParseInt(row.at(4)));
    StoredEvent stored;
    stored.event = {std::move(row.at(0)),        filter.customer_id,  std::move(row.at(1)), value,
                    FromUnixMillis(occurred_ms), std::move(row.at(5))};
    stored.received_at = FromUnixMillis(received_ms);
    out.push_back(std::move(stored));
  }
  return TrimPage(std::move(out), page, reversed);
}

Result<UsageStore::Audit> ClickHouseUsageStore::AuditMetric(const std::string& customer_id, const std::string& metric) {
  std::string where = " WHERE customer_id = " + Quote(customer_id) + " AND metric = " + Quote(metric);
  MTL_ASSIGN_OR_RETURN(auto rollups, Select(std::string("SELECT ") + kSplitSum + " FROM usage_hourly" + where));
  MTL_ASSIGN_OR_RETURN(
      auto raw,
      Select("SELECT sum(intDiv(value, 4294967296)), sum(value % 4294967296), count() FROM usage_events FINAL" +
             where));
  auto rollup_total = JoinSums(rollups.at(0), 0, "usage of " + metric);
  auto event_total = JoinSums(raw.at(0), 0, "events of " + metric);
  auto count = ParseInt(raw.at(0).at(2));
  if (!rollup_total.ok()) return std::move(rollup_total).error();
  if (!event_total.ok()) return std::move(event_total).error();
  if (!count.ok()) return std::move(count).error();
  return Audit{*rollup_total, *event_total, *count};
}

}  // namespace meterline::metering
