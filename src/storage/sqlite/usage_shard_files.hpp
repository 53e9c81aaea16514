// Where the embedded database keeps usage events when they are sharded
// (USAGE_SHARDS, docs/metering.md "Sharded usage on SQLite"): files beside the
// main database, one per shard. For DATA_DIR/meterline.db they are
// DATA_DIR/meterline-usage-0.db, DATA_DIR/meterline-usage-1.db, …
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace meterline::storage {

// The path of shard `index` of the database at `db_path`.
std::string UsageShardPath(const std::string& db_path, int index);

// The shard files that exist beside `db_path`, (index, path) by index.
std::vector<std::pair<int, std::string>> ExistingUsageShards(const std::string& db_path);

// Removes a shard file with its -wal and -shm, the -wal first: a -wal left
// without its file would be replayed into a new shard created under the same
// name, while a lone shard file is found (and removed) again.
Status RemoveUsageShard(const std::string& path);

// A lock on the usage layout of the database at `db_path` (an flock on
// DATA_DIR/meterline-usage.lock): every process that uses the shard files
// holds it shared; moving usage between files needs it alone, so that no
// other billingd reads or writes the files meanwhile.
class UsageLayoutLock {
 public:
  // Waits while another process moves usage, then holds the lock shared.
  static Result<std::unique_ptr<UsageLayoutLock>> Share(const std::string& db_path);
  ~UsageLayoutLock();
  UsageLayoutLock(const UsageLayoutLock&) = delete;
  UsageLayoutLock& operator=(const UsageLayoutLock&) = delete;

  // Holds it alone, or fails (kConflict "usage_files_in_use") when another
  // process holds it; Share() again when done.
  Status TryExclusive();
  Status Share();

 private:
  UsageLayoutLock(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_;
  std::string path_;
};

}  // namespace meterline::storage
