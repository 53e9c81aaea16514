#include "metering/sql_usage_store.hpp"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string_view>
#include <unordered_map>

#include "core/period.hpp"
#include "metering/batch_keys.hpp"
#include "metering/usage_limits.hpp"
#include "storage/bulk.hpp"

namespace meterline::metering {

namespace {

// Sums of rollup totals as two halves that cannot overflow (see JoinSplitSum).
constexpr const char* kSplitSum = "COALESCE(SUM(total / 4294967296), 0), COALESCE(SUM(total % 4294967296), 0)";

// What one write adds to an hourly rollup.
struct HourAdd {
  int64_t sum = 0;
  int64_t count = 0;
  int64_t peak = 0;
  int64_t latest = 0;
  int64_t latest_at = 0;

  void Add(int64_t value, int64_t at_ms) {
    sum += value;
    if (count == 0 || value > peak) peak = value;
    if (count == 0 || at_ms > latest_at || (at_ms == latest_at && value > latest)) {
      latest = value;
      latest_at = at_ms;
    }
    ++count;
  }
};

// Adds to a rollup unless its total would pass kMaxHourlyUsage: the largest
// and the latest value are kept, the latest by timestamp (the larger value on
// a tie), so the order events arrive in does not matter.
constexpr const char* kUpsertRollup =
    "INSERT INTO usage_rollups_hourly (customer_id, metric, hour_start, total, events, peak, latest, latest_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (customer_id, metric, hour_start) DO UPDATE SET "
    "total = usage_rollups_hourly.total + excluded.total, "
    "events = usage_rollups_hourly.events + excluded.events, "
    "peak = CASE WHEN excluded.peak > usage_rollups_hourly.peak THEN excluded.peak "
    "ELSE usage_rollups_hourly.peak END, "
    "latest = CASE WHEN excluded.latest_at > usage_rollups_hourly.latest_at OR (excluded.latest_at = "
    "usage_rollups_hourly.latest_at AND excluded.latest > usage_rollups_hourly.latest) THEN excluded.latest "
    "ELSE usage_rollups_hourly.latest END, "
    "latest_at = CASE WHEN excluded.latest_at > usage_rollups_hourly.latest_at THEN excluded.latest_at "
    "ELSE usage_rollups_hourly.latest_at END "
    "WHERE usage_rollups_hourly.total <= $9 - excluded.total";

Result<bool> Upsert(storage::Executor& tx, const RollupKey& key, const HourAdd& add) {
  const auto& [customer_id, metric, hour] = key;
  MTL_ASSIGN_OR_RETURN(auto upserted,
                       tx.Execute(kUpsertRollup, {customer_id, metric, ToUnixMillis(hour), add.sum, add.count, add.peak,
                                                  add.latest, add.latest_at, kMaxHourlyUsage}));
  return upserted.affected_rows > 0;
}

// The new events of one rollup, in batch order.
struct PendingRollup {
  std::vector<size_t> positions;  // in the written vector
  std::vector<int64_t> values;
  std::vector<int64_t> at_ms;
};

// Adds the values of new events to one hourly rollup, taking those that keep
// it within kMaxHourlyUsage. One guarded upsert when the whole batch fits (the
// usual case); near the limit, the stored total is read (and locked on
// PostgreSQL) and the events are fitted against it.
Result<RollupFit> AddToRollup(storage::Transaction& tx, storage::Backend backend, const RollupKey& key,
                              const PendingRollup& pending) {
  const auto& [customer_id, metric, hour] = key;
  __int128 sum = 0;
  for (int64_t v : pending.values) sum += v;
  RollupFit fit;
  fit.taken = static_cast<int64_t>(pending.values.size());
  bool sum_fits = sum <= kMaxHourlyUsage;
  // A concurrent writer may create the row between our read and our upsert;
  // its lock then holds and the next read sees its total, so two rounds do.
  for (int round = 0; round < 4; ++round) {
    if (fit.taken == 0) return fit;
    if (sum_fits) {
      HourAdd add;
      size_t next_refused = 0;
      for (size_t j = 0; j < pending.values.size(); ++j) {
        if (next_refused < fit.refused.size() && fit.refused[next_refused] == j) {
          ++next_refused;
          continue;
        }
        add.Add(pending.values[j], pending.at_ms[j]);
      }
      MTL_ASSIGN_OR_RETURN(bool upserted, Upsert(tx, key, add));
      if (upserted) return fit;
    }
    MTL_ASSIGN_OR_RETURN(auto stored,
                         tx.Execute(std::string("SELECT total FROM usage_rollups_hourly WHERE customer_id = $1 AND "
                                                "metric = $2 AND hour_start = $3") +
                                        (backend == storage::Backend::kPostgres ? " FOR UPDATE" : ""),
                                    {customer_id, metric, ToUnixMillis(hour)}));
    fit = FitIntoRollup(stored.rows.empty() ? 0 : stored.rows[0].Int(0), pending.values);
    sum_fits = true;
  }
  return Error(ErrorCode::kConflict, "serialization_failure", "an hourly rollup kept changing under this write");
}

// Per (customer, metric[, bucket]) group of rollups matching `where`: the
// split sum (see JoinSplitSum), the events, the peak, and the latest value,
// which is the latest hour's. `bucket` is "" or an expression over
// hour_start, selected after the metric. Without `with_latest` (no metric
// aggregates by last) the latest value reads 0 and the join is saved: it
// costs about half of an invoice run's reads.
std::string AggregatesSql(const std::string& where, const std::string& bucket, bool with_latest) {
  std::string group = "customer_id, metric" + (bucket.empty() ? "" : ", " + bucket + " AS bucket");
  std::string group_by = bucket.empty() ? "customer_id, metric" : "customer_id, metric, bucket";
  if (!with_latest) {
    return "SELECT " + group +
           ", SUM(total / 4294967296), SUM(total % 4294967296), SUM(events), MAX(peak), 0 "
           "FROM usage_rollups_hourly WHERE " +
           where + " GROUP BY " + group_by;
  }
  return "SELECT g.customer_id, g.metric" + std::string(bucket.empty() ? "" : ", g.bucket") +
         ", g.high, g.low, g.events, g.peak, l.latest FROM (SELECT " + group +
         ", SUM(total / 4294967296) AS high, SUM(total % 4294967296) AS low, SUM(events) AS events, "
         "MAX(peak) AS peak, MAX(hour_start) AS last_hour FROM usage_rollups_hourly WHERE " +
         where + " GROUP BY " + group_by +
         ") g JOIN usage_rollups_hourly l ON l.customer_id = g.customer_id AND l.metric = g.metric AND "
         "l.hour_start = g.last_hour";
}

// The totals of an AggregatesSql row whose sums start at `column`.
Result<RollupTotals> TotalsOf(const storage::Row& row, size_t column, const std::string& what) {
  RollupTotals totals;
  MTL_ASSIGN_OR_RETURN(totals.sum, JoinSplitSum(row.Int(column), row.Int(column + 1), what));
  totals.count = row.Int(column + 2);
  totals.peak = row.Int(column + 3);
  totals.latest = row.Int(column + 4);
  return totals;
}

constexpr const char* kEventColumns = "customer_id, event_id, metric, value, occurred_at, received_at, properties";

// SQLite: multi-row INSERT … VALUES (one B-tree insert per row, WITHOUT
// ROWID). Usually every event is new: the insert then runs without RETURNING,
// whose rows SQLite gathers in a temporary table (a third of the writer's
// allocations), and storing them all it sets `all_stored`. When some were
// stored before, it fails with kShortfall: the caller rolls the transaction
// back (the insert is its first statement) and writes the batch again
// `with_returning`, whose rows name the new events. (Undoing just the insert
// with a savepoint would journal every page it changes.)
constexpr const char* kShortfall = "usage_insert_shortfall";
Status ValuesInsert(storage::Transaction& tx, const std::vector<UsageEventRef>& events,
                    const std::vector<size_t>& unique, int64_t received_ms, const storage::RowCellsFn& on_stored,
                    bool with_returning, bool& all_stored) {
  std::vector<size_t> order = InKeyOrder(events, unique);
  std::vector<storage::Value> values;
  values.reserve(unique.size() * 7);
  for (size_t i : order) {
    const UsageEventRef& event = events[i];
    // Views of the events' own strings: they outlive the statements.
    values.emplace_back(storage::TextRef{event.customer_id});
    values.emplace_back(storage::TextRef{event.id});
    values.emplace_back(storage::TextRef{event.metric});
    values.emplace_back(event.value);
    values.emplace_back(ToUnixMillis(event.timestamp));
    values.emplace_back(received_ms);
    values.emplace_back(event.properties_json.empty() ? storage::Value(nullptr)
                                                      : storage::Value(storage::TextRef{event.properties_json}));
  }
  // OR FAIL: a NOT NULL or CHECK failure ends the statement without undoing
  // its earlier rows (the whole transaction is rolled back then anyway), so
  // SQLite keeps no statement journal: with the default ABORT it would copy
  // every page the insert changes (and allocate its chunks) in case one row fails.
  static const std::string head = std::string("INSERT OR FAIL INTO usage_events (") + kEventColumns + ")";
  if (!with_returning) {
    MTL_ASSIGN_OR_RETURN(int64_t stored,
                         storage::InsertRows(tx, head, 7, values, "ON CONFLICT (customer_id, event_id) DO NOTHING"));
    all_stored = stored == static_cast<int64_t>(unique.size());
    if (!all_stored) return Error(ErrorCode::kConflict, kShortfall, "some events were stored before");
    return OkStatus();
  }
  auto inserted = storage::InsertRows(
      tx, head, 7, values, "ON CONFLICT (customer_id, event_id) DO NOTHING RETURNING customer_id, event_id", on_stored);
  if (!inserted.ok()) return std::move(inserted).error();
  return OkStatus();
}

// PostgreSQL: usually every event is new, and then the rows are copied
// straight into usage_events (COPY: heap pages filled many rows at a time, no
// ON CONFLICT probe of the key before each insert) and `all_stored` is set.
// When one was stored before, the primary key refuses the COPY: it fails with
// kShortfall, the caller rolls the transaction back (the COPY is its first
// statement) and writes the batch again `with_returning`: COPY into a
// session-local staging table (emptied at each commit), then one
// INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING whose rows name the new
// events. Either way one round trip for the rows and no parameters to bind.
Status CopyInsert(storage::Transaction& tx, const std::vector<UsageEventRef>& events, const std::vector<size_t>& unique,
                  int64_t received_ms, const storage::RowCellsFn& on_stored, bool with_returning, bool& all_stored) {
  std::string rows;
  rows.reserve(unique.size() * 96);
  std::string received = std::to_string(received_ms);
  for (size_t i : unique) {
    const UsageEventRef& event = events[i];
    storage::AppendCopyField(rows, event.customer_id);
    rows += '\t';
    storage::AppendCopyField(rows, event.id);
    rows += '\t';
    storage::AppendCopyField(rows, event.metric);
    rows += '\t';
    rows += std::to_string(event.value);
    rows += '\t';
    rows += std::to_string(ToUnixMillis(event.timestamp));
    rows += '\t';
    rows += received;
    rows += '\t';
    if (event.properties_json.empty()) {
      storage::AppendCopyNull(rows);
    } else {
      storage::AppendCopyField(rows, event.properties_json);
    }
    rows += '\n';
  }
  if (!with_returning) {
    Status copied = tx.CopyIn(std::string("usage_events (") + kEventColumns + ")", rows);
    if (!copied.ok() && copied.error().Reason() == "constraint_violation") {
      // A duplicate key (or another constraint, which the path below reports).
      return Error(ErrorCode::kConflict, kShortfall, "some events were stored before");
    }
    MTL_RETURN_IF_ERROR(copied);
    all_stored = true;
    return OkStatus();
  }
  MTL_RETURN_IF_ERROR(
      tx.ExecuteScript("CREATE TEMP TABLE IF NOT EXISTS usage_events_incoming (customer_id TEXT NOT NULL, "
                       "event_id TEXT NOT NULL, metric TEXT NOT NULL, value BIGINT NOT NULL, occurred_at BIGINT "
                       "NOT NULL, received_at BIGINT NOT NULL, properties JSONB) ON COMMIT DELETE ROWS"));
  MTL_RETURN_IF_ERROR(tx.CopyIn(std::string("usage_events_incoming (") + kEventColumns + ")", rows));
  MTL_ASSIGN_OR_RETURN(
      auto inserted,
      tx.Execute(std::string("INSERT INTO usage_events (") + kEventColumns + ") SELECT " + kEventColumns +
                     " FROM usage_events_incoming ON CONFLICT (customer_id, event_id) DO "
                     "NOTHING RETURNING customer_id, event_id",
                 {}));
  std::vector<std::string_view> cells;
  for (const auto& row : inserted.rows) {
    cells.assign({row.Text(0), row.Text(1)});
    on_stored(cells);
  }
  // The commit empties the table (ON COMMIT DELETE ROWS: a truncate in place,
  // no dead rows, which autovacuum would never clean from a temporary table);
  // a rollback takes the copied rows with it.
  return OkStatus();
}

}  // namespace

Result<WriteOutcome> SqlUsageStore::Write(const std::vector<UsageEventRef>& events, TimePoint received,
                                          const AfterWrite& after) {
  WriteOutcome outcome;
  // PostgreSQL may abort one of two concurrent batches that wait on each
  // other's rows (deadlock or serialization failure); the whole batch is retried.
  bool with_returning = false;  // see ValuesInsert (SQLite) and CopyInsert (PostgreSQL)
  for (int attempt = 1;; ++attempt) {
    outcome = WriteOutcome{};
    Status s = db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
      int64_t received_ms = ToUnixMillis(received);
      // A repeat of an id within the batch is a duplicate of its first occurrence.
      BatchKeys first(events);
      std::vector<size_t> unique = first.AddAll(outcome.duplicates);
      // INSERT … ON CONFLICT DO NOTHING RETURNING: the returned keys are the
      // rows this batch stored; the rest were stored before.
      // Marked by position, found through `first`: no copy of the keys.
      std::vector<char> stored(events.size(), 0);
      auto on_stored = [&](const std::vector<std::string_view>& row) {
        size_t position = first.Find(row[0], row[1]);
        if (position != BatchKeys::kNone) stored[position] = 1;
      };
      bool all_stored = false;
      Status inserted = db_.backend() == storage::Backend::kPostgres
                            ? CopyInsert(tx, events, unique, received_ms, on_stored, with_returning, all_stored)
                            : ValuesInsert(tx, events, unique, received_ms, on_stored, with_returning, all_stored);
      if (!inserted.ok()) return inserted;
      if (all_stored) {
        for (size_t i : unique) stored[i] = 1;
      }
      // The new events of each rollup of their metric name, in batch order.
      std::map<RollupKey, PendingRollup> rollups;
      std::unordered_map<RollupView, PendingRollup*, RollupViewHash> slot_of;
      PendingRollup* last_slot = nullptr;
      std::string_view last_customer, last_metric;
      TimePoint last_hour;
      for (size_t i : unique) {
        const UsageEventRef& event = events[i];
        if (!stored[i]) {
          outcome.duplicates.push_back(i);
          continue;
        }
        // Events of one rollup usually come together: skip the lookup while
        // they do. When they interleave (a collector sending for many
        // customers), find the slot by views of the event's strings: the
        // key's string copies are made once per rollup, not per event.
        TimePoint hour = HourStart(event.timestamp);
        if (last_slot == nullptr || last_hour != hour || last_customer != event.customer_id ||
            last_metric != event.metric) {
          RollupView view{event.customer_id, event.metric, hour};
          auto found = slot_of.find(view);
          if (found == slot_of.end()) {
            found = slot_of.emplace(view, &rollups[{std::string(event.customer_id), std::string(event.metric), hour}])
                        .first;
          }
          last_slot = found->second;
          last_customer = event.customer_id;
          last_metric = event.metric;
          last_hour = hour;
        }
        PendingRollup& slot = *last_slot;
        slot.positions.push_back(i);
        slot.values.push_back(event.value);
        slot.at_ms.push_back(ToUnixMillis(event.timestamp));
      }
      std::sort(outcome.duplicates.begin(), outcome.duplicates.end());
      // Rollups in key order, so concurrent batches lock rows in one order.
      std::set<RollupKey> touched;
      std::set<size_t> refused_positions;
      for (const auto& [key, pending] : rollups) {
        MTL_ASSIGN_OR_RETURN(auto fit, AddToRollup(tx, db_.backend(), key, pending));
        outcome.accepted += fit.taken;
        if (fit.taken > 0) touched.insert(key);
        // A refused event was inserted above: take it out again.
        for (size_t refused : fit.refused) {
          const UsageEventRef& event = events[pending.positions[refused]];
          MTL_RETURN_IF_ERROR(tx.Execute("DELETE FROM usage_events WHERE customer_id = $1 AND event_id = $2",
                                         {std::string(event.customer_id), std::string(event.id)}));
          outcome.refused.push_back({pending.positions[refused], HourlyLimitReason(event.metric, std::get<2>(key))});
          refused_positions.insert(pending.positions[refused]);
        }
      }
      // Derived metrics' rollups (after every plain one, in key order: derived
      // ids are never event names, so all batches lock in one order). Each
      // holds a subset of its event name's taken events, so it fits too.
      std::map<RollupKey, HourAdd> derived;
      for (const auto& [key, pending] : rollups) {
        for (size_t j = 0; j < pending.positions.size(); ++j) {
          if (refused_positions.count(pending.positions[j])) continue;
          const UsageEventRef& event = events[pending.positions[j]];
          for (std::string& metric : catalog_.DerivedMetricsOf(event.metric, event.properties_json)) {
            derived[{std::string(event.customer_id), std::move(metric), std::get<2>(key)}].Add(pending.values[j],
                                                                                               pending.at_ms[j]);
          }
        }
      }
      for (const auto& [key, add] : derived) {
        MTL_ASSIGN_OR_RETURN(bool upserted, Upsert(tx, key, add));
        if (!upserted) return Internal("the rollup of " + std::get<1>(key) + " passed its event name's");
        touched.insert(key);
      }
      TotalFn total = [&](const std::string& customer_id, const std::string& metric, TimePoint from, TimePoint to) {
        return MetricTotal(tx, customer_id, metric, from, to);
      };
      return after ? after(tx, touched, total) : OkStatus();
    });
    if (s.ok()) break;
    if (s.error().Reason() == kShortfall && !with_returning) {
      with_returning = true;
      continue;
    }
    bool retryable = s.error().code == ErrorCode::kConflict && s.error().Reason() == "serialization_failure";
    if (!retryable || attempt >= 5) return std::move(s).error();
  }
  std::sort(outcome.refused.begin(), outcome.refused.end(),
            [](const StoreRefusal& a, const StoreRefusal& b) { return a.position < b.position; });
  return outcome;
}

Result<int64_t> SqlUsageStore::MetricTotal(storage::Executor& ex, const std::string& customer_id,
                                           const std::string& metric, TimePoint from, TimePoint to) const {
  MTL_ASSIGN_OR_RETURN(auto usage,
                       ex.Execute(AggregatesSql("customer_id = $1 AND metric = $2 AND hour_start >= $3 AND "
                                                "hour_start < $4",
                                                "", catalog_.AggregationOf(metric) == catalog::Aggregation::kLast),
                                  {customer_id, metric, ToUnixMillis(from), ToUnixMillis(to)}));
  if (usage.rows.empty()) return int64_t{0};
  MTL_ASSIGN_OR_RETURN(auto totals, TotalsOf(usage.rows[0], 2, "usage of " + metric));
  return totals.Of(catalog_.AggregationOf(metric));
}

Result<std::map<std::string, int64_t>> SqlUsageStore::Totals(const std::string& customer_id, TimePoint from,
                                                             TimePoint to) {
  MTL_ASSIGN_OR_RETURN(auto rows, db_.Execute(AggregatesSql("customer_id = $1 AND hour_start >= $2 AND "
                                                            "hour_start < $3",
                                                            "", reads_latest_),
                                              {customer_id, ToUnixMillis(from), ToUnixMillis(to)}));
  std::map<std::string, int64_t> out;
  for (const auto& row : rows.rows) {
    MTL_ASSIGN_OR_RETURN(auto totals, TotalsOf(row, 2, "usage of " + row.Text(1)));
    out[row.Text(1)] = totals.Of(catalog_.AggregationOf(row.Text(1)));
  }
  return out;
}

Result<std::map<std::string, std::map<std::string, int64_t>>> SqlUsageStore::TotalsForCustomers(
    const std::vector<std::string>& customer_ids, TimePoint from, TimePoint to) {
  std::map<std::string, std::map<std::string, int64_t>> out;
  Status overflow;
  MTL_RETURN_IF_ERROR(db_.Transact(storage::TxMode::kReadOnly, [&](storage::Transaction& tx) {
    return storage::SelectIn(
        tx, AggregatesSql("hour_start >= $1 AND hour_start < $2 AND customer_id IN_LIST", "", reads_latest_),
        {ToUnixMillis(from), ToUnixMillis(to)}, customer_ids, [&](const storage::Row& row) {
          auto totals = TotalsOf(row, 2, "usage of " + row.Text(1) + " by " + row.Text(0));
          if (totals.ok()) {
            out[row.Text(0)][row.Text(1)] = totals->Of(catalog_.AggregationOf(row.Text(1)));
          } else if (overflow.ok()) {
            overflow = std::move(totals).error();
          }
        });
  }));
  if (!overflow.ok()) return std::move(overflow).error();
  return out;
}

Result<std::vector<RollupBucket>> SqlUsageStore::Buckets(const std::string& customer_id, TimePoint from, TimePoint to,
                                                         std::chrono::milliseconds bucket) {
  // Rollups are hourly; days are whole UTC days (integer division in both dialects).
  MTL_ASSIGN_OR_RETURN(auto rows,
                       db_.Execute(AggregatesSql("customer_id = $1 AND hour_start >= $2 AND hour_start < $3",
                                                 "(hour_start / $4) * $4", reads_latest_) +
                                       " ORDER BY 2, 3",
                                   {customer_id, ToUnixMillis(from), ToUnixMillis(to), int64_t{bucket.count()}}));
  std::vector<RollupBucket> out;
  for (const auto& row : rows.rows) {
    MTL_ASSIGN_OR_RETURN(auto totals, TotalsOf(row, 3, "usage of " + row.Text(1)));
    out.push_back({row.Text(1), FromUnixMillis(row.Int(2)), totals.Of(catalog_.AggregationOf(row.Text(1)))});
  }
  return out;
}

Result<Page<StoredEvent>> SqlUsageStore::ListEvents(const EventFilter& filter, const PageRequest& page) {
  const bool reversed = !page.before.empty();
  // Events of one millisecond by event id: the time index (customer_id,
  // occurred_at) carries it on both backends (SQLite: the WITHOUT ROWID
  // table's key, migration 0026).
  std::string sql =
      "SELECT event_id, metric, value, occurred_at, received_at, properties FROM usage_events WHERE "
      "customer_id = $1";
  std::vector<storage::Value> params = {filter.customer_id};
  auto param = [&params](storage::Value value) {
    params.push_back(std::move(value));
    return "$" + std::to_string(params.size());
  };
  if (!filter.metric.empty()) sql += " AND metric = " + param(filter.metric);
  if (filter.from) sql += " AND occurred_at >= " + param(ToUnixMillis(*filter.from));
  if (filter.to) sql += " AND occurred_at < " + param(ToUnixMillis(*filter.to));
  if (page.ByCursor()) {
    const std::string& cursor = reversed ? page.before : page.after;
    MTL_ASSIGN_OR_RETURN(auto at, db_.Execute("SELECT occurred_at FROM usage_events WHERE customer_id = $1 AND "
                                              "event_id = $2",
                                              {filter.customer_id, cursor}));
    if (at.rows.empty()) {
      return InvalidParam(reversed ? "ending_before" : "starting_after", "no usage event " + cursor);
    }
    // A row value walks the index in both dialects.
    std::string position = "(" + param(at.rows[0].Int(0)) + ", " + param(cursor) + ")";
    sql += std::string(" AND (occurred_at, event_id)") + (reversed ? " > " : " < ") + position;
  }
  sql += reversed ? " ORDER BY occurred_at ASC, event_id ASC" : " ORDER BY occurred_at DESC, event_id DESC";
  sql += " LIMIT " + std::to_string(page.limit + 1);
  if (!page.ByCursor()) sql += " OFFSET " + std::to_string(page.offset);
  MTL_ASSIGN_OR_RETURN(auto rows, db_.Execute(sql, params));
  std::vector<StoredEvent> out;
  out.reserve(rows.rows.size());
  for (const auto& row : rows.rows) {
    StoredEvent stored;
    stored.event = {row.Text(0), filter.customer_id,         row.Text(1),
                    row.Int(2),  FromUnixMillis(row.Int(3)), row.OptText(5).value_or("")};
    stored.received_at = FromUnixMillis(row.Int(4));
    out.push_back(std::move(stored));
  }
  return TrimPage(std::move(out), page, reversed);
}

Result<UsageStore::Audit> SqlUsageStore::AuditMetric(const std::string& customer_id, const std::string& metric) {
  MTL_ASSIGN_OR_RETURN(auto rollups,
                       db_.Execute(std::string("SELECT ") + kSplitSum +
                                       " FROM usage_rollups_hourly WHERE customer_id = $1 AND metric = $2",
                                   {customer_id, metric}));
  MTL_ASSIGN_OR_RETURN(
      auto raw,
      db_.Execute("SELECT COALESCE(SUM(value / 4294967296), 0), COALESCE(SUM(value % 4294967296), 0), COUNT(*) "
                  "FROM usage_events WHERE customer_id = $1 AND metric = $2",
                  {customer_id, metric}));
  MTL_ASSIGN_OR_RETURN(auto rollup_total,
                       JoinSplitSum(rollups.rows[0].Int(0), rollups.rows[0].Int(1), "usage of " + metric));
  MTL_ASSIGN_OR_RETURN(auto event_total, JoinSplitSum(raw.rows[0].Int(0), raw.rows[0].Int(1), "events of " + metric));
  return Audit{rollup_total, event_total, raw.rows[0].Int(2)};
}

}  // namespace meterline::metering
