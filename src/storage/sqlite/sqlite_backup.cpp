#include "storage/sqlite/sqlite_backup.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sqlite3.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <memory>

#include "storage/sqlite/sqlite_memory.hpp"
#include "storage/sqlite/usage_shard_files.hpp"

namespace meterline::storage {

namespace {

namespace fs = std::filesystem;

struct CloseDb {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DbHandle = std::unique_ptr<sqlite3, CloseDb>;

Result<DbHandle> Open(const std::string& path, int flags) {
  UseSqliteMemory();
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  DbHandle db(raw);
  if (rc != SQLITE_OK) {
    return Unavailable("cannot open " + path + ": " + (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_busy_timeout(raw, 10'000);
  return db;
}

Result<std::string> FileSha256(const std::string& path, int64_t& bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read " + path);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  std::array<char, 1 << 16> buffer{};
  bytes = 0;
  while (in) {
    in.read(buffer.data(), buffer.size());
    std::streamsize n = in.gcount();
    if (n <= 0) break;
    EVP_DigestUpdate(ctx.get(), buffer.data(), static_cast<size_t>(n));
    bytes += n;
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx.get(), digest.data(), &length);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

Status Fsync(const std::string& path, bool directory) {
  int fd = ::open(path.c_str(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
  if (fd < 0) return Internal("cannot open " + path + " to sync it");
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Internal("fsync of " + path + " failed");
  return OkStatus();
}

std::string DirectoryOf(const std::string& path) {
  fs::path parent = fs::path(path).parent_path();
  return parent.empty() ? "." : parent.string();
}

// Writes `content` to `path` durably (temp file, fsync, rename, directory fsync).
Status WriteDurably(const std::string& path, const std::string& content) {
  std::string partial = path + ".partial";
  {
    std::ofstream out(partial, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out) return Internal("cannot write " + partial);
  }
  MTL_RETURN_IF_ERROR(Fsync(partial, false));
  std::error_code ec;
  fs::rename(partial, path, ec);
  if (ec) return Internal("cannot rename " + partial + ": " + ec.message());
  return Fsync(DirectoryOf(path), true);
}

// The one-step copy from `source` (an open connection) into a new file.
Status CopyDatabase(sqlite3* source, const std::string& to) {
  MTL_ASSIGN_OR_RETURN(auto target, Open(to, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));
  sqlite3_backup* backup = sqlite3_backup_init(target.get(), "main", source, "main");
  if (backup == nullptr) return Internal(std::string("backup could not start: ") + sqlite3_errmsg(target.get()));
  // -1: every page in one step, under one read transaction of the source.
  int rc = sqlite3_backup_step(backup, -1);
  while (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
    sqlite3_sleep(50);
    rc = sqlite3_backup_step(backup, -1);
  }
  sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE) return Internal(std::string("backup failed: ") + sqlite3_errstr(rc));
  // The copy stands alone: no WAL beside it.
  char* error = nullptr;
  if (sqlite3_exec(target.get(), "PRAGMA journal_mode=DELETE", nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = error ? error : "journal_mode";
    sqlite3_free(error);
    return Internal("backup: " + message);
  }
  return OkStatus();
}

// A read-only URI for ATTACH: mode=ro, so the backup never writes to a shard
// (a read-write connection that closes last would checkpoint its WAL). The
// path is made absolute ("file://" + "/…": an empty authority) and every byte
// outside the unreserved set is percent-encoded, so '?', '#' and '%' in it
// are not read as URI syntax.
std::string ReadOnlyUri(const std::string& path) {
  std::string absolute = fs::absolute(path).string();
  std::string out = "file://";
  static const char* kHex = "0123456789ABCDEF";
  for (unsigned char c : absolute) {
    if (std::isalnum(c) || c == '/' || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out + "?mode=ro";
}

// Runs one statement without parameters or rows.
Status Exec(sqlite3* db, const char* sql, const std::string& what) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    std::string message = error ? error : sqlite3_errmsg(db);
    sqlite3_free(error);
    return Internal(what + ": " + message);
  }
  return OkStatus();
}

// Copies the usage of the shard file `shard` into the copy `target` (the
// backup in the unsharded layout): events and hourly rollups in one
// transaction, which reads the shard as of one of its commits, so the copied
// rollups match the copied events. The caller discards the copy on error.
Status CopyUsageShard(sqlite3* target, const std::string& shard) {
  std::string what = "backup of usage shard " + shard;
  sqlite3_stmt* attach = nullptr;
  int rc = sqlite3_prepare_v2(target, "ATTACH DATABASE ?1 AS shard", -1, &attach, nullptr);
  if (rc == SQLITE_OK) {
    std::string uri = ReadOnlyUri(shard);
    sqlite3_bind_text(attach, 1, uri.c_str(), static_cast<int>(uri.size()), SQLITE_TRANSIENT);
    rc = sqlite3_step(attach);
  }
  sqlite3_finalize(attach);
  if (rc != SQLITE_DONE) return Unavailable("cannot open usage shard " + shard + ": " + sqlite3_errmsg(target));
  MTL_RETURN_IF_ERROR(Exec(target, "BEGIN", what));
  // A shard file that exists but has no tables yet (created a moment ago)
  // holds no usage: nothing to copy.
  sqlite3_stmt* tables = nullptr;
  int64_t found = -1;
  if (sqlite3_prepare_v2(target,
                         "SELECT COUNT(*) FROM shard.sqlite_master "
                         "WHERE type = 'table' AND name IN ('usage_events', 'usage_rollups_hourly')",
                         -1, &tables, nullptr) == SQLITE_OK &&
      sqlite3_step(tables) == SQLITE_ROW) {
    found = sqlite3_column_int64(tables, 0);
  }
  sqlite3_finalize(tables);
  if (found < 0) return Internal(what + ": " + sqlite3_errmsg(target));
  if (found > 0) {
    // OR IGNORE / OR REPLACE: the main database's tables are empty when
    // sharded; should they still hold rows (not yet moved into the shards),
    // an event is kept once and the shard's rollup row wins. Only customers
    // the copy holds: one created after the main database was copied is not
    // in the backup, so neither is its usage (this connection enforces no
    // foreign keys; the restored database would).
    MTL_RETURN_IF_ERROR(Exec(target,
                             "INSERT OR IGNORE INTO main.usage_events "
                             "(customer_id, event_id, metric, value, occurred_at, received_at, properties) "
                             "SELECT customer_id, event_id, metric, value, occurred_at, received_at, properties "
                             "FROM shard.usage_events WHERE customer_id IN (SELECT id FROM main.customers)",
                             what));
    MTL_RETURN_IF_ERROR(Exec(target,
                             "INSERT OR REPLACE INTO main.usage_rollups_hourly "
                             "(customer_id, metric, hour_start, total, events, peak, latest, latest_at) "
                             "SELECT customer_id, metric, hour_start, total, events, peak, latest, latest_at "
                             "FROM shard.usage_rollups_hourly WHERE customer_id IN (SELECT id FROM main.customers)",
                             what));
  }
  MTL_RETURN_IF_ERROR(Exec(target, "COMMIT", what));
  return Exec(target, "DETACH DATABASE shard", what);
}

// Folds every usage shard beside `db_path` into the copy at `copy_path`.
Status CopyUsageShards(const std::string& db_path, const std::string& copy_path) {
  auto shards = ExistingUsageShards(db_path);
  if (shards.empty()) return OkStatus();
  // SQLITE_OPEN_URI: ATTACH reads the shard's name as a URI (mode=ro).
  MTL_ASSIGN_OR_RETURN(auto target, Open(copy_path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI));
  for (const auto& [index, shard] : shards) {
    MTL_RETURN_IF_ERROR(CopyUsageShard(target.get(), shard));
  }
  return OkStatus();
}

// Removes the usage shard files beside `db_path`, each with its -wal and -shm.
Status RemoveUsageShards(const std::string& db_path) {
  // A lone shard file left by a crash here is removed by the next restore.
  for (const auto& [index, shard] : ExistingUsageShards(db_path)) MTL_RETURN_IF_ERROR(RemoveUsageShard(shard));
  return OkStatus();
}

}  // namespace

Result<BackupFile> BackupSqlite(const std::string& db_path, const std::string& to_path) {
  if (fs::exists(to_path)) return Error(ErrorCode::kConflict, "backup_exists", to_path + " exists already");
  if (!fs::exists(db_path)) return NotFound("no database at " + db_path);
  MTL_ASSIGN_OR_RETURN(auto source, Open(db_path, SQLITE_OPEN_READONLY));
  std::string partial = to_path + ".partial";
  std::error_code ec;
  fs::remove(partial, ec);
  // The main database first, then the usage shards: billingd writes an alert
  // (main database) only after the shard holding the events it counts has
  // committed, so shards read later hold every event an alert in the copy
  // counts. The copy then holds all usage in the unsharded layout.
  Status copied = CopyDatabase(source.get(), partial);
  if (copied.ok()) copied = CopyUsageShards(db_path, partial);
  if (!copied.ok()) {
    fs::remove(partial, ec);
    return std::move(copied).error();
  }
  MTL_RETURN_IF_ERROR(Fsync(partial, false));
  fs::rename(partial, to_path, ec);
  if (ec) return Internal("cannot rename " + partial + ": " + ec.message());
  MTL_RETURN_IF_ERROR(Fsync(DirectoryOf(to_path), true));
  BackupFile out{to_path, 0, ""};
  MTL_ASSIGN_OR_RETURN(out.sha256, FileSha256(to_path, out.bytes));
  MTL_RETURN_IF_ERROR(
      WriteDurably(to_path + ".sha256", out.sha256 + "  " + fs::path(to_path).filename().string() + "\n"));
  return out;
}

Result<BackupFile> VerifySqliteBackup(const std::string& path) {
  BackupFile out{path, 0, ""};
  MTL_ASSIGN_OR_RETURN(out.sha256, FileSha256(path, out.bytes));
  if (std::ifstream sum(path + ".sha256"); sum) {
    std::string expected;
    sum >> expected;
    if (expected != out.sha256) {
      return Error(ErrorCode::kUnprocessable, "backup_corrupt",
                   path + " does not match its checksum (" + path + ".sha256): it is damaged or incomplete");
    }
  }
  MTL_ASSIGN_OR_RETURN(auto db, Open(path, SQLITE_OPEN_READONLY));
  sqlite3_stmt* stmt = nullptr;
  std::string result = "no answer";
  if (sqlite3_prepare_v2(db.get(), "PRAGMA integrity_check", -1, &stmt, nullptr) == SQLITE_OK &&
      sqlite3_step(stmt) == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(stmt, 0);
    result = text ? reinterpret_cast<const char*>(text) : "";
  } else {
    result = sqlite3_errmsg(db.get());
  }
  sqlite3_finalize(stmt);
  if (result != "ok") {
    return Error(ErrorCode::kUnprocessable, "backup_corrupt", path + " is not a sound SQLite database: " + result);
  }
  return out;
}

Result<BackupFile> RestoreSqlite(const std::string& from_path, const std::string& db_path) {
  MTL_ASSIGN_OR_RETURN(auto backup, VerifySqliteBackup(from_path));
  std::error_code ec;
  fs::create_directories(DirectoryOf(db_path), ec);
  std::string incoming = db_path + ".restoring";
  fs::remove(incoming, ec);
  fs::copy_file(from_path, incoming, fs::copy_options::overwrite_existing, ec);
  if (ec) return Internal("cannot copy " + from_path + ": " + ec.message());
  MTL_RETURN_IF_ERROR(Fsync(incoming, false));
  // The old database's write-ahead log belongs to it, not to the restored one.
  fs::remove(db_path + "-wal", ec);
  fs::remove(db_path + "-shm", ec);
  // The backup holds all usage (unsharded); the old shards go, durably, before
  // the rename: a crash in between leaves the old database without its shards
  // (restoring again mends it), never the restored one beside shards holding
  // usage newer than its rollups. The next start spreads the usage again.
  MTL_RETURN_IF_ERROR(RemoveUsageShards(db_path));
  MTL_RETURN_IF_ERROR(Fsync(DirectoryOf(db_path), true));
  fs::rename(incoming, db_path, ec);
  if (ec) return Internal("cannot rename " + incoming + ": " + ec.message());
  MTL_RETURN_IF_ERROR(Fsync(DirectoryOf(db_path), true));
  return backup;
}

}  // namespace meterline::storage
