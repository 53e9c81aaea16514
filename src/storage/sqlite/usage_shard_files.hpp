// Where the embedded database keeps usage events when they are sharded
// (USAGE_SHARDS, docs/metering.md "Sharded usage on SQLite"): files beside the
// main database, one per shard. For DATA_DIR/meterline.db they are
// DATA_DIR/meterline-usage-0.db, DATA_DIR/meterline-usage-1.db, …
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace meterline::storage {

// The path of shard `index` of the database at `db_path`.
std::string UsageShardPath(const std::string& db_path, int index);

// The shard files that exist beside `db_path`, (index, path) by index.
std::vector<std::pair<int, std::string>> ExistingUsageShards(const std::string& db_path);

}  // namespace meterline::storage
