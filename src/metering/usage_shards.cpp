#include "metering/usage_shards.hpp"

#include <map>

#include "storage/bulk.hpp"
#include "storage/sqlite/usage_shard_files.hpp"

namespace meterline::metering {

namespace {

// A shard file's tables: the main database's usage tables (migrations 0003,
// 0015, 0025, 0026) without the foreign key to customers, which live in the
// main file, and the layout the file was last placed for. Rollups are keyed
// WITHOUT ROWID too: one B-tree per upsert.
constexpr const char* kShardSchema = R"(
CREATE TABLE IF NOT EXISTS usage_events (
  customer_id TEXT NOT NULL,
  event_id TEXT NOT NULL,
  metric TEXT NOT NULL,
  value BIGINT NOT NULL CHECK (value >= 0),
  occurred_at BIGINT NOT NULL,
  received_at BIGINT NOT NULL,
  properties TEXT,
  PRIMARY KEY (customer_id, event_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS usage_events_by_time ON usage_events (customer_id, occurred_at);
CREATE TABLE IF NOT EXISTS usage_rollups_hourly (
  customer_id TEXT NOT NULL,
  metric TEXT NOT NULL,
  hour_start BIGINT NOT NULL,
  total BIGINT NOT NULL,
  events BIGINT NOT NULL,
  peak BIGINT NOT NULL DEFAULT 0,
  latest BIGINT NOT NULL DEFAULT 0,
  latest_at BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (customer_id, metric, hour_start)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS usage_rollups_hour_idx ON usage_rollups_hourly (hour_start, customer_id, metric);
CREATE TABLE IF NOT EXISTS usage_shard (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  shards INTEGER NOT NULL,
  shard INTEGER NOT NULL
);
)";

constexpr const char* kEventColumns = "customer_id, event_id, metric, value, occurred_at, received_at, properties";
constexpr const char* kRollupColumns = "customer_id, metric, hour_start, total, events, peak, latest, latest_at";
constexpr int64_t kEventsPerStep = 5000;    // events per transaction of a move
constexpr size_t kCustomersPerStep = 1000;  // customers moved together

Result<std::unique_ptr<storage::Database>> OpenShard(const std::string& path, const storage::DatabaseOptions& base) {
  storage::DatabaseOptions options = base;
  options.url = "sqlite:" + path;
  options.temp_in_memory = true;  // they hold no temporary tables; their journals are per batch
  return storage::Database::Open(options);
}

Result<bool> HoldsUsage(storage::Database& db) {
  MTL_ASSIGN_OR_RETURN(auto rows, db.Execute("SELECT EXISTS (SELECT 1 FROM usage_events) OR EXISTS "
                                             "(SELECT 1 FROM usage_rollups_hourly)"));
  return rows.rows.front().Int(0) != 0;
}

// The layout a shard file was last placed for.
Result<int64_t> RecordedShards(storage::Database& db) {
  MTL_ASSIGN_OR_RETURN(auto rows, db.Execute("SELECT shards FROM usage_shard WHERE id = 1"));
  return rows.rows.empty() ? int64_t{-1} : rows.rows.front().Int(0);
}

// The first customer past `after` with usage rows in `db`, "" when none:
// one seek into each table's key.
Result<std::string> NextCustomer(storage::Database& db, const std::string& after) {
  std::string next;
  for (const char* table : {"usage_events", "usage_rollups_hourly"}) {
    MTL_ASSIGN_OR_RETURN(auto rows, db.Execute(std::string("SELECT customer_id FROM ") + table +
                                                   " WHERE customer_id > $1 ORDER BY customer_id LIMIT 1",
                                               {after}));
    if (!rows.rows.empty() && (next.empty() || rows.rows.front().Text(0) < next)) next = rows.rows.front().Text(0);
  }
  return next;
}

// Moves some customers' events and rollups from `from` to `to`, a few
// transactions for all of them (each commit is an fsync). Each step is safe
// to repeat: copied events are ignored as duplicates, the rollups replace the
// destination's, the source's rows go last.
Status MoveCustomers(storage::Database& from, storage::Database& to, const std::vector<std::string>& customer_ids) {
  std::vector<storage::Value> values;  // event rows waiting to be written, 7 values each
  auto flush = [&]() -> Status {
    if (values.empty()) return OkStatus();
    MTL_RETURN_IF_ERROR(to.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
      // InsertRows writes 256 rows per statement.
      auto inserted = storage::InsertRows(tx, std::string("INSERT INTO usage_events (") + kEventColumns + ")", 7,
                                          values, "ON CONFLICT (customer_id, event_id) DO NOTHING");
      return inserted.ok() ? OkStatus() : Status(std::move(inserted).error());
    }));
    values.clear();
    return OkStatus();
  };
  for (const std::string& customer_id : customer_ids) {
    for (std::string last;;) {
      MTL_ASSIGN_OR_RETURN(auto rows,
                           from.Execute("SELECT event_id, metric, value, occurred_at, received_at, properties "
                                        "FROM usage_events WHERE customer_id = $1 AND event_id > $2 "
                                        "ORDER BY event_id LIMIT $3",
                                        {customer_id, last, kEventsPerStep}));
      if (rows.rows.empty()) break;
      for (const auto& row : rows.rows) {
        values.emplace_back(customer_id);
        values.emplace_back(row.Text(0));
        values.emplace_back(row.Text(1));
        values.emplace_back(row.Int(2));
        values.emplace_back(row.Int(3));
        values.emplace_back(row.Int(4));
        values.emplace_back(row.IsNull(5) ? storage::Value(nullptr) : storage::Value(row.Text(5)));
      }
      last = rows.rows.back().Text(0);
      if (static_cast<int64_t>(values.size()) >= kEventsPerStep * 7) MTL_RETURN_IF_ERROR(flush());
    }
  }
  MTL_RETURN_IF_ERROR(flush());
  MTL_RETURN_IF_ERROR(to.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
    for (const std::string& customer_id : customer_ids) {
      MTL_ASSIGN_OR_RETURN(auto rollups,
                           from.Execute("SELECT metric, hour_start, total, events, peak, latest, latest_at "
                                        "FROM usage_rollups_hourly WHERE customer_id = $1",
                                        {customer_id}));
      MTL_RETURN_IF_ERROR(tx.Execute("DELETE FROM usage_rollups_hourly WHERE customer_id = $1", {customer_id}));
      std::vector<storage::Value> rollup_values;
      rollup_values.reserve(rollups.rows.size() * 8);
      for (const storage::Row& row : rollups.rows) {
        rollup_values.emplace_back(customer_id);
        rollup_values.emplace_back(row.Text(0));
        for (size_t col = 1; col < 7; ++col) rollup_values.emplace_back(row.Int(col));
      }
      if (rollup_values.empty()) continue;
      auto inserted = storage::InsertRows(tx, std::string("INSERT INTO usage_rollups_hourly (") + kRollupColumns + ")",
                                          8, rollup_values);
      if (!inserted.ok()) return std::move(inserted).error();
    }
    return OkStatus();
  }));
  return from.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
    for (const std::string& customer_id : customer_ids) {
      MTL_RETURN_IF_ERROR(tx.Execute("DELETE FROM usage_events WHERE customer_id = $1", {customer_id}));
      MTL_RETURN_IF_ERROR(tx.Execute("DELETE FROM usage_rollups_hourly WHERE customer_id = $1", {customer_id}));
    }
    return OkStatus();
  });
}

// Moves every customer of `from` that the layout puts elsewhere, up to
// kCustomersPerStep at a time; returns how many. `progress` hears of each step.
Result<int64_t> Drain(storage::Database& from, const std::string& from_name, storage::Database& main, int shards,
                      const std::vector<storage::Database*>& shard_dbs,
                      const std::function<void(const std::string&)>& progress) {
  int64_t moved = 0;
  std::string customer;
  for (bool more = true; more;) {
    std::map<storage::Database*, std::vector<std::string>> step;  // destination -> customers
    size_t taken = 0;
    while (taken < kCustomersPerStep) {
      MTL_ASSIGN_OR_RETURN(customer, NextCustomer(from, customer));
      if (customer.empty()) {
        more = false;
        break;
      }
      storage::Database* to = shards == 0 ? &main : shard_dbs[static_cast<size_t>(ShardOf(customer, shards))];
      if (to == &from) continue;
      step[to].push_back(customer);
      ++taken;
    }
    for (const auto& [to, customer_ids] : step) MTL_RETURN_IF_ERROR(MoveCustomers(from, *to, customer_ids));
    moved += static_cast<int64_t>(taken);
    if (taken > 0 && progress) {
      progress("moved the usage of " + std::to_string(moved) + " customers from " + from_name + " so far");
    }
  }
  return moved;
}

}  // namespace

int ShardOf(std::string_view customer_id, int shards) {
  uint64_t hash = 14695981039346656037ULL;
  for (char c : customer_id) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  return static_cast<int>(hash % static_cast<uint64_t>(shards));
}

Result<std::vector<std::unique_ptr<storage::Database>>> OpenUsageShards(const std::string& db_path, int shards,
                                                                        const storage::DatabaseOptions& options) {
  std::vector<std::unique_ptr<storage::Database>> out;
  for (int index = 0; index < shards; ++index) {
    MTL_ASSIGN_OR_RETURN(auto db, OpenShard(storage::UsageShardPath(db_path, index), options));
    MTL_RETURN_IF_ERROR(db->Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
      MTL_RETURN_IF_ERROR(tx.ExecuteScript(kShardSchema));
      // A new file is placed for this layout; an older one keeps its record
      // until PlaceUsage has moved out what this layout puts elsewhere.
      auto recorded =
          tx.Execute("INSERT INTO usage_shard (id, shards, shard) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING",
                     {int64_t{shards}, int64_t{index}});
      return recorded.ok() ? OkStatus() : Status(std::move(recorded).error());
    }));
    out.push_back(std::move(db));
  }
  return out;
}

Result<bool> UsagePlaced(storage::Database& main, const std::string& db_path, int shards,
                         const std::vector<storage::Database*>& shard_dbs) {
  if (shards > 0) {
    MTL_ASSIGN_OR_RETURN(bool in_main, HoldsUsage(main));
    if (in_main) return false;
  }
  for (const auto& [index, path] : storage::ExistingUsageShards(db_path)) {
    if (index >= shards) return false;
  }
  for (storage::Database* shard : shard_dbs) {
    MTL_ASSIGN_OR_RETURN(int64_t recorded, RecordedShards(*shard));
    if (recorded != shards) return false;
  }
  return true;
}

Status PlaceUsage(storage::Database& main, const std::string& db_path, int shards,
                  const std::vector<storage::Database*>& shard_dbs,
                  const std::function<void(const std::string&)>& progress) {
  auto report = [&](const std::string& line) {
    if (progress) progress(line);
  };
  if (shards > 0) {
    MTL_ASSIGN_OR_RETURN(int64_t moved, Drain(main, db_path, main, shards, shard_dbs, progress));
    if (moved > 0) report("moved the usage of " + std::to_string(moved) + " customers from " + db_path);
  }
  for (const auto& [index, path] : storage::ExistingUsageShards(db_path)) {
    if (index < shards) {
      storage::Database& shard = *shard_dbs[static_cast<size_t>(index)];
      MTL_ASSIGN_OR_RETURN(int64_t recorded, RecordedShards(shard));
      if (recorded == shards) continue;
      MTL_ASSIGN_OR_RETURN(int64_t moved, Drain(shard, path, main, shards, shard_dbs, progress));
      report("moved the usage of " + std::to_string(moved) + " customers from " + path);
      MTL_RETURN_IF_ERROR(shard.Execute("UPDATE usage_shard SET shards = $1 WHERE id = 1", {int64_t{shards}}));
      continue;
    }
    // Past the last shard: drained, then deleted.
    {
      MTL_ASSIGN_OR_RETURN(auto old, OpenShard(path, storage::DatabaseOptions{}));
      MTL_ASSIGN_OR_RETURN(int64_t moved, Drain(*old, path, main, shards, shard_dbs, progress));
      report("moved the usage of " + std::to_string(moved) + " customers from " + path);
    }
    MTL_RETURN_IF_ERROR(storage::RemoveUsageShard(path));
  }
  return OkStatus();
}

}  // namespace meterline::metering
