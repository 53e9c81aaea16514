#include "metering/sql_usage_store.hpp"

#include <algorithm>
#include <string_view>

#include "core/period.hpp"
#include "storage/bulk.hpp"

namespace meterline::metering {


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
      std::map<RollupKey, std::pair<int64_t, int64_t>> rollups;  // -> (total, events)
      for (size_t i : unique) {
        const UsageEvent& event = *events[i];
        if (!stored.count({event.customer_id, event.id})) {
          outcome.duplicates.push_back(i);
          continue;
        }
        ++outcome.accepted;
        auto& slot = rollups[{event.customer_id, event.metric, ToUnixMillis(HourStart(event.timestamp))}];
        slot.first += event.value;
        slot.second += 1;
      }
      std::sort(outcome.duplicates.begin(), outcome.duplicates.end());
      // Rollups in key order, so concurrent batches lock rows in one order.
      std::set<RollupKey> touched;
      for (const auto& [key, sums] : rollups) {
        const auto& [customer_id, metric, hour] = key;
        auto upserted = tx.Execute(
            "INSERT INTO usage_rollups_hourly (customer_id, metric, hour_start, total, events) "
            "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (customer_id, metric, hour_start) DO UPDATE SET "
            "total = usage_rollups_hourly.total + excluded.total, events = usage_rollups_hourly.events + excluded.events",
            {customer_id, metric, hour, sums.first, sums.second});
        if (!upserted.ok()) return std::move(upserted).error();
        touched.insert(key);
      }
      TotalFn total = [&tx](const std::string& customer_id, const std::string& metric, int64_t from_ms,
                            int64_t to_ms) -> Result<int64_t> {
        auto usage = tx.Execute(
            "SELECT COALESCE(SUM(total), 0) FROM usage_rollups_hourly WHERE customer_id = $1 AND metric = $2 "
            "AND hour_start >= $3 AND hour_start < $4",
            {customer_id, metric, from_ms, to_ms});
        if (!usage.ok()) return std::move(usage).error();
        return usage->rows[0].Int(0);
      };
      return after ? after(tx, touched, total) : OkStatus();
    });
    if (s.ok()) break;
    bool retryable = s.error().code == ErrorCode::kConflict && s.error().Reason() == "serialization_failure";
    if (!retryable || attempt >= 5) return std::move(s).error();
  }
  return outcome;
}

Result<std::map<std::string, int64_t>> SqlUsageStore::Totals(const std::string& customer_id, TimePoint from,
                                                             TimePoint to) {
  auto sums = db_.Execute(
      "SELECT metric, SUM(total) FROM usage_rollups_hourly WHERE customer_id = $1 AND hour_start >= $2 "
      "AND hour_start < $3 GROUP BY metric",
      {customer_id, ToUnixMillis(from), ToUnixMillis(to)});
  if (!sums.ok()) return std::move(sums).error();
  std::map<std::string, int64_t> out;
  for (const auto& row : sums->rows) out[row.Text(0)] = row.Int(1);
  return out;
}

Result<std::map<std::string, std::map<std::string, int64_t>>> SqlUsageStore::TotalsForCustomers(
    const std::vector<std::string>& customer_ids, TimePoint from, TimePoint to) {
  std::map<std::string, std::map<std::string, int64_t>> out;
  Status s = db_.Transact(storage::TxMode::kReadOnly, [&](storage::Transaction& tx) {
    return storage::SelectIn(
        tx,
        "SELECT customer_id, metric, SUM(total) FROM usage_rollups_hourly WHERE hour_start >= $1 "
        "AND hour_start < $2 AND customer_id IN_LIST GROUP BY customer_id, metric",
        {ToUnixMillis(from), ToUnixMillis(to)}, customer_ids,
        [&](const storage::Row& row) { out[row.Text(0)][row.Text(1)] = row.Int(2); });
  });
  if (!s.ok()) return std::move(s).error();
  return out;
}

Result<std::vector<RollupBucket>> SqlUsageStore::Buckets(const std::string& customer_id, TimePoint from,
                                                         TimePoint to, int64_t bucket_ms) {
  // Rollups are hourly; days are whole UTC days (integer division in both dialects).
  auto rows = db_.Execute(
      "SELECT metric, (hour_start / $4) * $4 AS bucket, SUM(total) FROM usage_rollups_hourly "
      "WHERE customer_id = $1 AND hour_start >= $2 AND hour_start < $3 GROUP BY metric, bucket ORDER BY metric, bucket",
      {customer_id, ToUnixMillis(from), ToUnixMillis(to), bucket_ms});
  if (!rows.ok()) return std::move(rows).error();
  std::vector<RollupBucket> out;
  for (const auto& row : rows->rows) out.push_back({row.Text(0), row.Int(1), row.Int(2)});
  return out;
}

Result<UsageStore::Audit> SqlUsageStore::AuditMetric(const std::string& customer_id, const std::string& metric) {
  auto rollups = db_.Execute(
      "SELECT COALESCE(SUM(total), 0) FROM usage_rollups_hourly WHERE customer_id = $1 AND metric = $2",
      {customer_id, metric});
  if (!rollups.ok()) return std::move(rollups).error();
  auto raw = db_.Execute(
      "SELECT COALESCE(SUM(value), 0), COUNT(*) FROM usage_events WHERE customer_id = $1 AND metric = $2",
      {customer_id, metric});
  if (!raw.ok()) return std::move(raw).error();
  return Audit{rollups->rows[0].Int(0), raw->rows[0].Int(0), raw->rows[0].Int(1)};
}

}  // namespace meterline::metering
