// Usage stores for sharded SQLite usage (metering/usage_shards.hpp).
//
// ShardUsageStore: one shard file's SqlUsageStore whose alerts (`after`) go
// to the main database. The events and rollups commit in the shard first;
// then `after` runs in a main-database transaction, reading the shard's
// committed rollups. A crash between the two loses no usage, only possibly an
// alert, which the next write to that rollup records: duplicates touch their
// rollups too, so a client's resend repairs it (as on ClickHouse).
//
// ShardedUsageStore: one UsageStore over the shards, routing each customer
// to ShardOf(customer). A write with customers of several shards is queued
// in each shard's group commit (when the shards are GroupCommitStores) and
// waits for all of them; if one shard fails, the others' events are stored
// and a resend reports them as duplicates (counted once). Reads of a
// customer go to its shard; TotalsForCustomers asks each shard for its own.
#pragma once

#include <memory>
#include <vector>

#include "metering/sql_usage_store.hpp"
#include "metering/usage_store.hpp"

namespace meterline::metering {

class ShardUsageStore final : public UsageStore {
 public:
  // `shard` holds the usage tables (OpenUsageShards); `main` the rest.
  ShardUsageStore(storage::Database& shard, storage::Database& main, const catalog::Catalog& catalog)
      : store_(shard, catalog), main_(main) {}

  Result<WriteOutcome> Write(const std::vector<UsageEventRef>& events, TimePoint received,
                             const AfterWrite& after) override;
  Result<std::map<std::string, int64_t>> Totals(const std::string& customer_id, TimePoint from, TimePoint to) override {
    return store_.Totals(customer_id, from, to);
  }
  Result<std::map<std::string, std::map<std::string, int64_t>>> TotalsForCustomers(
      const std::vector<std::string>& customer_ids, TimePoint from, TimePoint to) override {
    return store_.TotalsForCustomers(customer_ids, from, to);
  }
  Result<std::vector<RollupBucket>> Buckets(const std::string& customer_id, TimePoint from, TimePoint to,
                                            std::chrono::milliseconds bucket) override {
    return store_.Buckets(customer_id, from, to, bucket);
  }
  Result<Page<StoredEvent>> ListEvents(const EventFilter& filter, const PageRequest& page) override {
    return store_.ListEvents(filter, page);
  }
  Result<Audit> AuditMetric(const std::string& customer_id, const std::string& metric) override {
    return store_.AuditMetric(customer_id, metric);
  }
  Status Ping() override { return store_.Ping(); }
  const char* name() const override { return store_.name(); }

 private:
  SqlUsageStore store_;
  storage::Database& main_;
};

class ShardedUsageStore final : public UsageStore {
 public:
  // Shard k holds the customers ShardOf() puts in k. REQUIRES: not empty.
  explicit ShardedUsageStore(std::vector<std::unique_ptr<UsageStore>> shards) : shards_(std::move(shards)) {}

  Result<WriteOutcome> Write(const std::vector<UsageEventRef>& events, TimePoint received,
                             const AfterWrite& after) override;
  Result<std::map<std::string, int64_t>> Totals(const std::string& customer_id, TimePoint from, TimePoint to) override {
    return Of(customer_id).Totals(customer_id, from, to);
  }
  Result<std::map<std::string, std::map<std::string, int64_t>>> TotalsForCustomers(
      const std::vector<std::string>& customer_ids, TimePoint from, TimePoint to) override;
  Result<std::vector<RollupBucket>> Buckets(const std::string& customer_id, TimePoint from, TimePoint to,
                                            std::chrono::milliseconds bucket) override {
    return Of(customer_id).Buckets(customer_id, from, to, bucket);
  }
  Result<Page<StoredEvent>> ListEvents(const EventFilter& filter, const PageRequest& page) override {
    return Of(filter.customer_id).ListEvents(filter, page);
  }
  Result<Audit> AuditMetric(const std::string& customer_id, const std::string& metric) override {
    return Of(customer_id).AuditMetric(customer_id, metric);
  }
  Status Ping() override;
  const char* name() const override { return shards_.front()->name(); }

  size_t shard_count() const { return shards_.size(); }
  UsageStore& shard(size_t index) { return *shards_.at(index); }

 private:
  UsageStore& Of(const std::string& customer_id);

  std::vector<std::unique_ptr<UsageStore>> shards_;
};

}  // namespace meterline::metering
