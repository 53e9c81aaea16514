#include "metering/clickhouse_usage_store.hpp"

#include <charconv>

#include "core/period.hpp"

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

}  // namespace

Result<std::vector<std::vector<std::string>>> ClickHouseUsageStore::Select(
    const std::string& sql, const std::vector<clickhouse::ExternalTable>& tables) {
  auto body = client_.Query(sql + " FORMAT TabSeparated", tables);
  if (!body.ok()) return std::move(body).error();
  return clickhouse::ParseTsv(*body);
}

Result<WriteOutcome> ClickHouseUsageStore::Write(const std::vector<const UsageEvent*>& events, TimePoint received,
                                                 const AfterWrite& after) {
  WriteOutcome outcome;
  Status s = db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
    outcome = WriteOutcome{};
    // The per-customer lock, taken in id order so two writers never wait on
    // each other in a cycle. SQLite's BEGIN IMMEDIATE already excludes every
    // other writer.
    std::set<std::string> customers;
    for (const UsageEvent* e : events) customers.insert(e->customer_id);
    if (db_.backend() == storage::Backend::kPostgres) {
      for (const std::string& customer_id : customers) {
        auto locked = tx.Execute("SELECT id FROM customers WHERE id = $1 FOR UPDATE", {customer_id});
        if (!locked.ok()) return std::move(locked).error();
      }
    }
    // Which of these are stored already?
    clickhouse::ExternalTable batch{"batch", "customer_id String, event_id String", ""};
    for (const UsageEvent* e : events) clickhouse::AppendTsvRow(batch.tsv, {e->customer_id, e->id});
    std::set<std::pair<std::string, std::string>> seen;
    if (!events.empty()) {
      auto stored = Select(
          "SELECT customer_id, event_id FROM usage_events WHERE customer_id IN (SELECT customer_id FROM batch) "
          "AND (customer_id, event_id) IN (SELECT customer_id, event_id FROM batch)",
          {batch});
      if (!stored.ok()) return std::move(stored).error();
      for (auto& row : *stored) seen.emplace(std::move(row.at(0)), std::move(row.at(1)));
    }
    // Insert the rest as one block; a repeat within the batch is a duplicate too.
    std::string rows;
    std::string received_ms = Ms(ToUnixMillis(received));
    std::set<RollupKey> touched;
    for (size_t i = 0; i < events.size(); ++i) {
      const UsageEvent& e = *events[i];
      // Duplicates touch their rollup too: re-checking alerts after a resend
      // repairs one lost to a crash between the insert and the commit below.
      touched.insert({e.customer_id, e.metric, ToUnixMillis(HourStart(e.timestamp))});
      if (!seen.emplace(e.customer_id, e.id).second) {
        outcome.duplicates.push_back(i);
        continue;
      }
      ++outcome.accepted;
      clickhouse::AppendTsvRow(rows, {e.customer_id, e.id, e.metric, Ms(e.value), Ms(ToUnixMillis(e.timestamp)),
                                      received_ms, e.properties_json});
    }
    if (!rows.empty()) {
      std::vector<std::pair<std::string, std::string>> settings;
      if (distributed_) settings.emplace_back("insert_distributed_sync", "1");
      MTL_RETURN_IF_ERROR(client_.InsertTsv("usage_events", rows, settings));
    }
    TotalFn total = [this](const std::string& customer_id, const std::string& metric, int64_t from_ms,
                           int64_t to_ms) -> Result<int64_t> {
      auto r = Select("SELECT sum(total) FROM usage_rollups_hourly WHERE customer_id = " + Quote(customer_id) +
                      " AND metric = " + Quote(metric) + " AND hour_start >= " + Ms(from_ms) +
                      " AND hour_start < " + Ms(to_ms));
      if (!r.ok()) return std::move(r).error();
      if (r->empty()) return int64_t{0};
      return ParseInt(r->at(0).at(0));
    };
    return after ? after(tx, touched, total) : OkStatus();
  });
  if (!s.ok()) return std::move(s).error();
  return outcome;
}

Result<std::map<std::string, int64_t>> ClickHouseUsageStore::Totals(const std::string& customer_id, TimePoint from,
                                                                    TimePoint to) {
  auto rows = Select("SELECT metric, sum(total) FROM usage_rollups_hourly WHERE customer_id = " + Quote(customer_id) +
                     " AND hour_start >= " + Ms(ToUnixMillis(from)) + " AND hour_start < " + Ms(ToUnixMillis(to)) +
                     " GROUP BY metric");
  if (!rows.ok()) return std::move(rows).error();
  std::map<std::string, int64_t> out;
  for (const auto& row : *rows) {
    auto value = ParseInt(row.at(1));
    if (!value.ok()) return std::move(value).error();
    out[row.at(0)] = *value;
  }
  return out;
}

Result<std::map<std::string, std::map<std::string, int64_t>>> ClickHouseUsageStore::TotalsForCustomers(
    const std::vector<std::string>& customer_ids, TimePoint from, TimePoint to) {
  clickhouse::ExternalTable batch{"batch", "customer_id String", ""};
  for (const std::string& id : customer_ids) clickhouse::AppendTsvRow(batch.tsv, {id});
  auto rows = Select("SELECT customer_id, metric, sum(total) FROM usage_rollups_hourly WHERE customer_id IN "
                     "(SELECT customer_id FROM batch) AND hour_start >= " + Ms(ToUnixMillis(from)) +
                         " AND hour_start < " + Ms(ToUnixMillis(to)) + " GROUP BY customer_id, metric",
                     {batch});
  if (!rows.ok()) return std::move(rows).error();
  std::map<std::string, std::map<std::string, int64_t>> out;
  for (const auto& row : *rows) {
    auto value = ParseInt(row.at(2));
    if (!value.ok()) return std::move(value).error();
    out[row.at(0)][row.at(1)] = *value;
  }
  return out;
}

Result<std::vector<RollupBucket>> ClickHouseUsageStore::Buckets(const std::string& customer_id, TimePoint from,
                                                                TimePoint to, int64_t bucket_ms) {
  auto rows = Select("SELECT metric, intDiv(hour_start, " + Ms(bucket_ms) + ") * " + Ms(bucket_ms) +
                     " AS bucket, sum(total) FROM usage_rollups_hourly WHERE customer_id = " + Quote(customer_id) +
                     " AND hour_start >= " + Ms(ToUnixMillis(from)) + " AND hour_start < " + Ms(ToUnixMillis(to)) +
                     " GROUP BY metric, bucket ORDER BY metric, bucket");
  if (!rows.ok()) return std::move(rows).error();
  std::vector<RollupBucket> out;
  for (const auto& row : *rows) {
    auto start = ParseInt(row.at(1));
    auto total = ParseInt(row.at(2));
    if (!start.ok()) return std::move(start).error();
    if (!total.ok()) return std::move(total).error();
    out.push_back({row.at(0), *start, *total});
  }
  return out;
}

Result<UsageStore::Audit> ClickHouseUsageStore::AuditMetric(const std::string& customer_id,
                                                            const std::string& metric) {
  std::string where = " WHERE customer_id = " + Quote(customer_id) + " AND metric = " + Quote(metric);
  auto rollups = Select("SELECT sum(total) FROM usage_rollups_hourly" + where);
  if (!rollups.ok()) return std::move(rollups).error();
  auto raw = Select("SELECT sum(value), count() FROM usage_events FINAL" + where);
  if (!raw.ok()) return std::move(raw).error();
  Audit audit;
  auto rollup_total = ParseInt(rollups->at(0).at(0));
  auto event_total = ParseInt(raw->at(0).at(0));
  auto count = ParseInt(raw->at(0).at(1));
  if (!rollup_total.ok() || !event_total.ok() || !count.ok()) return Internal("ClickHouse: bad audit answer");
  return Audit{*rollup_total, *event_total, *count};
}

}  // namespace meterline::metering
