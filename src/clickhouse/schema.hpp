// ClickHouse schema: creates the usage tables (migrations/*.sql, compiled in)
// on a single node or on every shard of a cluster plus the Distributed tables
// in front. Each numbered file runs once per node, recorded in the node's
// schema_migrations table; distributed.sql (idempotent) runs on the front at
// every apply, then the front's own distributed_NNNN files once. Run one
// 'billingd migrate' at a time.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "clickhouse/client.hpp"
#include "core/result.hpp"

namespace meterline::clickhouse {

struct Layout {
  Endpoint front;                // CLICKHOUSE_URL: where billingd reads and writes
  std::string cluster;           // CLICKHOUSE_CLUSTER: empty for a single node
  std::vector<Endpoint> shards;  // CLICKHOUSE_SHARD_URLS: one node per shard (cluster only)
};

// Creates the database(s) and tables. `on_step` gets one line per statement.
Status ApplySchema(const Layout& layout, const std::function<void(const std::string&)>& on_step = {});

// OK when the tables billingd uses exist on the front node; else kUnavailable
// saying to run 'billingd migrate'.
Status CheckSchema(Client& front);

// The statements of one migration file with {local} (and for distributed.sql
// {cluster}, {database}) filled in, comments dropped. Exposed for tests.
std::vector<std::string> Statements(std::string_view file, std::string_view local_suffix, std::string_view cluster,
                                    std::string_view database);

}  // namespace meterline::clickhouse
