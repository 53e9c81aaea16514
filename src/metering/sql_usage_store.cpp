#include "metering/sql_usage_store.hpp"

#include <algorithm>
#include <string_view>

#include "core/period.hpp"
#include "metering/usage_limits.hpp"
#include "storage/bulk.hpp"

namespace meterline::metering {

namespace {

// Sums of rollup totals as two halves that cannot overflow (see JoinSplitSum).
constexpr const char* kSplitSum = "COALESCE(SUM(total / 4294967296), 0), COALESCE(SUM(total % 4294967296), 0)";

// Adds the values of new events to one hourly rollup, taking those that keep
// it within kMaxHourlyUsage. One guarded upsert when the whole batch fits (the
// usual case); near the limit, the stored total is read (and locked on
// PostgreSQL) and the events are fitted against it.
Result<RollupFit> AddToRollup(storage::Transaction& tx, storage::Backend backend, const RollupKey& key,
                              const std::vector<int64_t>& values) {
  const auto& [customer_id, metric, hour] = key;
  __int128 sum = 0;
  for (int64_t v : values) sum += v;
  RollupFit fit;
  fit.taken = static_cast<int64_t>(values.size());
  bool sum_fits = sum <= kMaxHourlyUsage;
  if (sum_fits) fit.taken_sum = static_cast<int64_t>(sum);
  // A concurrent writer may create the row between our read and our upsert;
  // its lock then holds and the next read sees its total, so two rounds do.
  for (int round = 0; round < 4; ++round) {
    if (fit.taken == 0) return fit;
    if (sum_fits) {
      MTL_ASSIGN_OR_RETURN(
          auto upserted,
          tx.Execute("INSERT INTO usage_rollups_hourly (customer_id, metric, hour_start, total, events) "
                     "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (customer_id, metric, hour_start) DO UPDATE SET "
                     "total = usage_rollups_hourly.total + excluded.total, events = usage_rollups_hourly.events + "
                     "excluded.events "
                     "WHERE usage_rollups_hourly.total <= $6 - excluded.total",
                     {customer_id, metric, ToUnixMillis(hour), fit.taken_sum, fit.taken, kMaxHourlyUsage}));
      if (upserted.affected_rows > 0) return fit;
    }
    MTL_ASSIGN_OR_RETURN(auto stored,
                         tx.Execute(std::string("SELECT total FROM usage_rollups_hourly WHERE customer_id = $1 AND "
                                                "metric = $2 AND hour_start = $3") +
                                        (backend == storage::Backend::kPostgres ? " FOR UPDATE" : ""),
                                    {customer_id, metric, ToUnixMillis(hour)}));
    fit = FitIntoRollup(stored.rows.empty() ? 0 : stored.rows[0].Int(0), values);
    sum_fits = true;
  }
  return Error(ErrorCode::kConflict, "serialization_failure", "an hourly rollup kept changing under this write");
}

}  // namespace

Result<WriteOutcome> SqlUsageStore::Write(const std::vector<const UsageEvent*>& events, TimePoint received,
                                          const AfterWrite& after) {
  WriteOutcome outcome;
  // PostgreSQL may abort one of two concurrent batches that wait on each
  // other's rows (deadlock or serialization failure); the whole batch is retried.
  for (int attempt = 1;; ++attempt) {
    outcome = WriteOutcome{};
    Status s = db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
      int64_t received_ms = ToUnixMillis(received);
      // A repeat of an id within the batch is a duplicate of its first occurrence.
      std::map<std::pair<std::string_view, std::string_view>, size_t> first;  // (customer, id) -> position
      std::vector<size_t> unique;
      unique.reserve(events.size());
      for (size_t i = 0; i < events.size(); ++i) {
        if (first.emplace(std::pair<std::string_view, std::string_view>(events[i]->customer_id, events[i]->id), i)
                .second) {
          unique.push_back(i);
        } else {
          outcome.duplicates.push_back(i);
        }
      }
      // Multi-row INSERT … ON CONFLICT DO NOTHING RETURNING: the returned keys
      // are the rows this batch stored; the rest were stored before.
      std::set<std::pair<std::string, std::string>> stored;
      std::vector<storage::Value> values;
      values.reserve(unique.size() * 7);
      for (size_t i : unique) {
        const UsageEvent& event = *events[i];
        values.emplace_back(event.customer_id);
        values.emplace_back(event.id);
        values.emplace_back(event.metric);
        values.emplace_back(event.value);
        values.emplace_back(ToUnixMillis(event.timestamp));
        values.emplace_back(received_ms);
        values.emplace_back(event.properties_json.empty() ? storage::Value(nullptr)
                                                          : storage::Value(event.properties_json));
      }
      auto inserted = storage::InsertRows(
          tx, "INSERT INTO usage_events (customer_id, event_id, metric, value, occurred_at, received_at, properties)",
          7, values, "ON CONFLICT (customer_id, event_id) DO NOTHING RETURNING customer_id, event_id",
          [&](const storage::Row& row) { stored.emplace(row.Text(0), row.Text(1)); });
      if (!inserted.ok()) return std::move(inserted).error();
      // The new events of each rollup, in batch order.
      std::map<RollupKey, std::pair<std::vector<size_t>, std::vector<int64_t>>> rollups;  // -> (positions, values)
      for (size_t i : unique) {
        const UsageEvent& event = *events[i];
        if (!stored.count({event.customer_id, event.id})) {
          outcome.duplicates.push_back(i);
          continue;
        }
        auto& slot = rollups[{event.customer_id, event.metric, HourStart(event.timestamp)}];
        slot.first.push_back(i);
        slot.second.push_back(event.value);
      }
      std::sort(outcome.duplicates.begin(), outcome.duplicates.end());
      // Rollups in key order, so concurrent batches lock rows in one order.
      std::set<RollupKey> touched;
      for (const auto& [key, pending] : rollups) {
        MTL_ASSIGN_OR_RETURN(auto fit, AddToRollup(tx, db_.backend(), key, pending.second));
        outcome.accepted += fit.taken;
        if (fit.taken > 0) touched.insert(key);
        // A refused event was inserted above: take it out again.
        for (size_t refused : fit.refused) {
          const UsageEvent& event = *events[pending.first[refused]];
          MTL_RETURN_IF_ERROR(tx.Execute("DELETE FROM usage_events WHERE customer_id = $1 AND event_id = $2",
                                         {event.customer_id, event.id}));
          outcome.refused.push_back({pending.first[refused], HourlyLimitReason(event.metric, std::get<2>(key))});
        }
      }
      TotalFn total = [&tx](const std::string& customer_id, const std::string& metric, TimePoint from,
                            TimePoint to) -> Result<int64_t> {
        auto usage = tx.Execute(std::string("SELECT ") + kSplitSum +
                                    " FROM usage_rollups_hourly WHERE customer_id = $1 AND metric = $2 "
                                    "AND hour_start >= $3 AND hour_start < $4",
                                {customer_id, metric, ToUnixMillis(from), ToUnixMillis(to)});
        if (!usage.ok()) return std::move(usage).error();
        return JoinSplitSum(usage->rows[0].Int(0), usage->rows[0].Int(1), "usage of " + metric);
      };
      return after ? after(tx, touched, total) : OkStatus();
    });
    if (s.ok()) break;
    bool retryable = s.error().code == ErrorCode::kConflict && s.error().Reason() == "serialization_failure";
    if (!retryable || attempt >= 5) return std::move(s).error();
  }
  std::sort(outcome.refused.begin(), outcome.refused.end(),
            [](const StoreRefusal& a, const StoreRefusal& b) { return a.position < b.position; });
  return outcome;
}

Result<std::map<std::string, int64_t>> SqlUsageStore::Totals(const std::string& customer_id, TimePoint from,
                                                             TimePoint to) {
  MTL_ASSIGN_OR_RETURN(auto sums,
                       db_.Execute(std::string("SELECT metric, ") + kSplitSum +
                                       " FROM usage_rollups_hourly WHERE customer_id = $1 AND hour_start >= $2 "
                                       "AND hour_start < $3 GROUP BY metric",
                                   {customer_id, ToUnixMillis(from), ToUnixMillis(to)}));
  std::map<std::string, int64_t> out;
  for (const auto& row : sums.rows) {
    MTL_ASSIGN_OR_RETURN(auto sum, JoinSplitSum(row.Int(1), row.Int(2), "usage of " + row.Text(0)));
    out[row.Text(0)] = sum;
  }
  return out;
}

Result<std::map<std::string, std::map<std::string, int64_t>>> SqlUsageStore::TotalsForCustomers(
    const std::vector<std::string>& customer_ids, TimePoint from, TimePoint to) {
  std::map<std::string, std::map<std::string, int64_t>> out;
  Status overflow;
  MTL_RETURN_IF_ERROR(db_.Transact(storage::TxMode::kReadOnly, [&](storage::Transaction& tx) {
    return storage::SelectIn(tx,
                             std::string("SELECT customer_id, metric, ") + kSplitSum +
                                 " FROM usage_rollups_hourly WHERE hour_start >= $1 "
                                 "AND hour_start < $2 AND customer_id IN_LIST GROUP BY customer_id, metric",
                             {ToUnixMillis(from), ToUnixMillis(to)}, customer_ids, [&](const storage::Row& row) {
                               auto sum = JoinSplitSum(row.Int(2), row.Int(3),
                                                       "usage of " + row.Text(1) + " by " + row.Text(0));
                               if (sum.ok()) {
                                 out[row.Text(0)][row.Text(1)] = *sum;
                               } else if (overflow.ok()) {
                                 overflow = std::move(sum).error();
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
                       db_.Execute(std::string("SELECT metric, (hour_start / $4) * $4 AS bucket, ") + kSplitSum +
                                       " FROM usage_rollups_hourly WHERE customer_id = $1 AND hour_start >= $2 AND "
                                       "hour_start < $3 GROUP BY metric, bucket ORDER BY metric, bucket",
                                   {customer_id, ToUnixMillis(from), ToUnixMillis(to), int64_t{bucket.count()}}));
  std::vector<RollupBucket> out;
  for (const auto& row : rows.rows) {
    MTL_ASSIGN_OR_RETURN(auto sum, JoinSplitSum(row.Int(2), row.Int(3), "usage of " + row.Text(0)));
    out.push_back({row.Text(0), FromUnixMillis(row.Int(1)), sum});
  }
  return out;
}

Result<Page<StoredEvent>> SqlUsageStore::ListEvents(const EventFilter& filter, const PageRequest& page) {
  const bool reversed = !page.before.empty();
  // Events of one millisecond: by rowid on SQLite (its index is (customer_id,
  // occurred_at), rowid implied), by event id on PostgreSQL (see migration 0012).
  const std::string tie = db_.backend() == storage::Backend::kSqlite ? "rowid" : "event_id";
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
    MTL_ASSIGN_OR_RETURN(auto at, db_.Execute("SELECT occurred_at, " + tie +
                                                  " FROM usage_events WHERE customer_id = $1 AND event_id = $2",
                                              {filter.customer_id, cursor}));
    if (at.rows.empty()) {
      return InvalidParam(reversed ? "ending_before" : "starting_after", "no usage event " + cursor);
    }
    storage::Value tie_value = tie == "rowid" ? storage::Value(at.rows[0].Int(1)) : storage::Value(cursor);
    // A row value walks the index in both dialects.
    std::string position = "(" + param(at.rows[0].Int(0)) + ", " + param(std::move(tie_value)) + ")";
    sql += " AND (occurred_at, " + tie + (reversed ? ") > " : ") < ") + position;
  }
  sql += reversed ? " ORDER BY occurred_at ASC, " + tie + " ASC" : " ORDER BY occurred_at DESC, " + tie + " DESC";
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
