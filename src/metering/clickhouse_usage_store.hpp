// ClickHouseUsageStore: usage events and hourly rollups in ClickHouse
// (CLICKHOUSE_URL), on one node or behind Distributed tables on a cluster.
//
// Exactly once without unique constraints: each write holds the customers'
// lock in the transactional database (PostgreSQL: SELECT … FOR UPDATE on the
// customer rows; SQLite: the write lock of BEGIN IMMEDIATE) while it asks
// ClickHouse which (customer, event id) pairs are already stored and inserts
// only the others, as one block (one part, all or nothing). Concurrent writers
// for one customer — in this process or another billingd — therefore see each
// other's inserts. A crash after the insert but before the reply leaves the
// events stored; the client's resend finds them and reports duplicates. The
// rollups are materialized views of the events table (one for metric names,
// one for the derived metrics billingd lists in each row), filled by the same
// INSERT on the server. The events table is also a ReplacingMergeTree on
// (customer_id, event_id), so a duplicate that bypassed billingd is folded by
// merges (within one month's partition); AuditMetric shows any disagreement.
// Thread-safe.
#pragma once

#include "clickhouse/client.hpp"
#include "metering/usage_store.hpp"

namespace meterline::metering {

class ClickHouseUsageStore final : public UsageStore {
 public:
  // `distributed`: the tables are Distributed over a cluster (inserts then wait
  // for the shards: insert_distributed_sync=1).
  // `catalog`: its metrics' aggregations and derived rollups.
  ClickHouseUsageStore(storage::Database& db, clickhouse::Client& client, bool distributed,
                       const catalog::Catalog& catalog)
      : db_(db), client_(client), distributed_(distributed), catalog_(catalog) {}

  Result<WriteOutcome> Write(const std::vector<UsageEventRef>& events, TimePoint received,
                             const AfterWrite& after) override;
  Result<std::map<std::string, int64_t>> Totals(const std::string& customer_id, TimePoint from, TimePoint to) override;
  Result<std::map<std::string, std::map<std::string, int64_t>>> TotalsForCustomers(
      const std::vector<std::string>& customer_ids, TimePoint from, TimePoint to) override;
  Result<std::vector<RollupBucket>> Buckets(const std::string& customer_id, TimePoint from, TimePoint to,
                                            std::chrono::milliseconds bucket) override;
  Result<Page<StoredEvent>> ListEvents(const EventFilter& filter, const PageRequest& page) override;
  Result<Audit> AuditMetric(const std::string& customer_id, const std::string& metric) override;
  Status Ping() override { return client_.Ping(); }
  const char* name() const override { return "clickhouse"; }

 private:
  Result<std::vector<std::vector<std::string>>> Select(const std::string& sql,
                                                       const std::vector<clickhouse::ExternalTable>& tables = {});

  storage::Database& db_;
  clickhouse::Client& client_;
  bool distributed_;
  const catalog::Catalog& catalog_;
};

}  // namespace meterline::metering
