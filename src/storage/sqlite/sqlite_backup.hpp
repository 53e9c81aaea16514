// Online backup and restore of the embedded SQLite database
// (docs/operations.md "Backups"). PostgreSQL and ClickHouse have their own
// tools (pg_dump, clickhouse-backup / BACKUP … TO), named in the docs.
#pragma once

#include <cstdint>
#include <string>

#include "core/result.hpp"

namespace meterline::storage {

struct BackupFile {
  std::string path;
  int64_t bytes = 0;
  std::string sha256;  // of the file, lowercase hex
};

// Copies the database at `db_path` to `to_path` while billingd keeps using
// it: SQLite's backup API in one step, inside one read transaction, so the
// copy is the database as of one commit (every write acknowledged before the
// backup began is in it) and writers go on meanwhile (WAL). Written to
// `to_path`.partial, fsynced, renamed, the directory fsynced; `to_path`.sha256
// holds the checksum in sha256sum's format. Refuses (kConflict "backup_exists") to
// overwrite `to_path`.
//
// Usage shards (usage_shard_files.hpp): the backup is one file in the
// unsharded layout. After the main database is copied, each shard file beside
// `db_path` is attached read-only and its usage_events and
// usage_rollups_hourly are copied into the copy's tables, one transaction per
// shard (so one commit of that shard). The main database goes first: billingd
// writes an alert only after the shard holding the events it counts has
// committed, so the shards, read later, hold every event an alert in the copy
// counts. A shard that cannot be read fails the backup (kUnavailable /
// kInternal naming the shard) and nothing is left at `to_path`.
Result<BackupFile> BackupSqlite(const std::string& db_path, const std::string& to_path);

// Checks a backup before it is used: the checksum beside it (when there is a
// .sha256) matches, and SQLite's integrity_check passes. kUnprocessable "backup_corrupt" otherwise.
Result<BackupFile> VerifySqliteBackup(const std::string& path);

// Replaces the database at `db_path` with the backup `from_path` (verified
// first): copied beside it, fsynced, renamed over it, its -wal and -shm
// removed, the directory fsynced. No billingd may be using `db_path`.
// The usage shard files beside `db_path` (each with its -wal and -shm) are
// removed, and the directory fsynced, before the rename: the backup holds all
// usage, and the next start spreads it over the shards again. A crash in
// between leaves the old database without its shards (restoring again mends
// it); the other order could leave the restored database beside shards
// holding usage newer than its rollups.
Result<BackupFile> RestoreSqlite(const std::string& from_path, const std::string& db_path);

}  // namespace meterline::storage
