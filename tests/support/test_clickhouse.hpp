// TestClickHouse: a fresh ClickHouse database for one test, on the servers
// ./scripts/test starts (MTL_TEST_CLICKHOUSE_URL, and for the two-shard
// cluster "meterline_test" MTL_TEST_CLICKHOUSE_SHARD_URLS). Dropped again,
// on every node, when destroyed.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace meterline::testing {

// True when ./scripts/test started ClickHouse for this run.
bool ClickHouseAvailable();

class TestClickHouse {
 public:
  // `cluster`: use the two-shard cluster (tables Distributed over both servers).
  static std::unique_ptr<TestClickHouse> Create(bool cluster);
  ~TestClickHouse();

  // CLICKHOUSE_URL (and for a cluster CLICKHOUSE_CLUSTER, CLICKHOUSE_SHARD_URLS)
  // as billingd reads them.
  const std::map<std::string, std::string>& env() const { return env_; }
  const std::string& database() const { return database_; }
  // Server base URLs (no database): the front node, then any other shards.
  const std::vector<std::string>& nodes() const { return nodes_; }

 private:
  TestClickHouse() = default;
  std::string database_;
  std::vector<std::string> nodes_;
  std::map<std::string, std::string> env_;
};

}  // namespace meterline::testing
