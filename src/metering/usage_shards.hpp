// Usage events sharded over several SQLite files (USAGE_SHARDS; docs/metering.md
// "Sharded usage on SQLite"). One SQLite file has one write lock, so one
// writer thread; events and rollups of customer C live in shard
// ShardOf(C, shards) instead, each file with its own writer, WAL and fsync,
// so writes scale with cores. Everything else stays in the main database.
//
// A customer's usage is in exactly one file, so exactly once per (customer,
// event id) is that file's primary key, and a customer's reads go to one place.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "storage/database.hpp"

namespace meterline::metering {

// Which of `shards` files holds a customer's usage: FNV-1a of the id, so the
// placement is the same on every build and platform.
int ShardOf(std::string_view customer_id, int shards);

// Opens (creating when missing) shards 0..shards-1 beside the main database
// at `db_path`, each with the usage tables.
Result<std::vector<std::unique_ptr<storage::Database>>> OpenUsageShards(const std::string& db_path, int shards,
                                                                        const storage::DatabaseOptions& options);

// Whether usage lies as `shards` asks: no rows in the main database's usage
// tables when sharded, every shard file recording this layout, and no file
// past the last shard (none at all when `shards` is 0).
Result<bool> UsagePlaced(storage::Database& main, const std::string& db_path, int shards,
                         const std::vector<storage::Database*>& shard_dbs);

// Moves usage rows to where `shards` puts them: from the main database into
// the shards, between shards when their number changed, or back into the main
// database (`shards` 0). A thousand customers at a time: their events copied
// (a key already there is the same event), then their rollups replace the
// destination's, then the source's rows are deleted, each step its own
// transaction(s). Interrupted,
// it starts again where it stopped; nothing is served meanwhile (it runs at
// start-up, before ingestion). Files past the last shard are deleted when
// drained. `progress` gets a line per thousand customers and per source.
Status PlaceUsage(storage::Database& main, const std::string& db_path, int shards,
                  const std::vector<storage::Database*>& shard_dbs,
                  const std::function<void(const std::string&)>& progress);

}  // namespace meterline::metering
