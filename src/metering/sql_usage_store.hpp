// SqlUsageStore: usage events and rollups in the transactional database.
//
// Exactly once: the key is (customer, event id), enforced by the primary key of
// usage_events (INSERT … ON CONFLICT DO NOTHING): a resend — in one batch, in
// two batches, or from two concurrent requests, with any timestamp — counts
// once. The event rows, their rollup increments and what `after` writes commit
// in one transaction, so a crash keeps all or none of them (SQLite
// synchronous=FULL; PostgreSQL's commit). Thread-safe.
#pragma once

#include <algorithm>

#include "metering/usage_store.hpp"

namespace meterline::metering {

class SqlUsageStore final : public UsageStore {
 public:
  // `catalog`: its metrics' aggregations and derived rollups.
  SqlUsageStore(storage::Database& db, const catalog::Catalog& catalog)
      : db_(db),
        catalog_(catalog),
        reads_latest_(std::any_of(catalog.metrics().begin(), catalog.metrics().end(), [](const catalog::Metric& m) {
          return m.aggregation == catalog::Aggregation::kLast;
        })) {}

  Result<WriteOutcome> Write(const std::vector<UsageEventRef>& events, TimePoint received,
                             const AfterWrite& after) override;
  Result<std::map<std::string, int64_t>> Totals(const std::string& customer_id, TimePoint from, TimePoint to) override;
  Result<std::map<std::string, std::map<std::string, int64_t>>> TotalsForCustomers(
      const std::vector<std::string>& customer_ids, TimePoint from, TimePoint to) override;
  Result<std::vector<RollupBucket>> Buckets(const std::string& customer_id, TimePoint from, TimePoint to,
                                            std::chrono::milliseconds bucket) override;
  Result<Page<StoredEvent>> ListEvents(const EventFilter& filter, const PageRequest& page) override;
  Result<Audit> AuditMetric(const std::string& customer_id, const std::string& metric) override;
  Status Ping() override { return db_.Ping(); }

  // One metric's quantity from a customer's rollups with hour starts in
  // [from, to), read through `ex` (a transaction of this store's database, or the database).
  Result<int64_t> MetricTotal(storage::Executor& ex, const std::string& customer_id, const std::string& metric,
                              TimePoint from, TimePoint to) const;
  storage::Database& database() { return db_; }
  const char* name() const override { return storage::BackendName(db_.backend()); }

 private:
  storage::Database& db_;
  const catalog::Catalog& catalog_;
  const bool reads_latest_;  // some metric aggregates by last: reads find each period's latest value
};

}  // namespace meterline::metering
