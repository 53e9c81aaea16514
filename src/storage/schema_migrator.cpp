#include <algorithm>
#include <charconv>
#include <map>
#include <set>
#include <span>

#include "core/clock.hpp"
#include "core/digest.hpp"
#include "core/embedded_file.hpp"
#include "storage/migrator.hpp"

namespace meterline::storage {

// Generated from storage/migrations/<backend>/*.sql (see cmake/EmbedFiles.cmake).
std::span<const EmbeddedFile> EmbeddedSqliteMigrations();
std::span<const EmbeddedFile> EmbeddedPostgresMigrations();

namespace {

struct KnownMigration {
  int version;
  std::string name;
  std::string_view sql;
  std::string checksum;
};

std::vector<KnownMigration> Parse(Backend backend) {
  std::vector<KnownMigration> out;
  auto files = backend == Backend::kPostgres ? EmbeddedPostgresMigrations() : EmbeddedSqliteMigrations();
  for (const EmbeddedFile& file : files) {
    int version = 0;
    auto [ptr, ec] = std::from_chars(file.name.data(), file.name.data() + file.name.size(), version);
    if (ec != std::errc() || ptr == file.name.data()) continue;  // not NNNN_*.sql
    out.push_back({version, std::string(file.name), file.content, Sha256Hex(file.content)});
  }
  return out;
}

// The compiled-in migrations with their checksums, hashed once per process
// (GET /ready asks on every probe).
const std::vector<KnownMigration>& Known(Backend backend) {
  static const std::vector<KnownMigration> kSqlite = Parse(Backend::kSqlite);
  static const std::vector<KnownMigration> kPostgres = Parse(Backend::kPostgres);
  return backend == Backend::kPostgres ? kPostgres : kSqlite;
}

constexpr const char* kCreateTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at BIGINT NOT NULL)";

// A fixed key for pg_advisory_xact_lock: "meterline" migrations.
constexpr int64_t kMigrationLockKey = 0x6d65746572;

struct Applied {
  std::string name;
  std::string checksum;
  int64_t applied_at;
};

Result<std::map<int, Applied>> LoadApplied(Database& executor) {
  MTL_ASSIGN_OR_RETURN(
      auto rows,
      executor.Execute("SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version"));
  std::map<int, Applied> out;
  for (const auto& row : rows.rows) {
    out[static_cast<int>(row.Int(0))] = Applied{row.Text(1), row.Text(2), row.Int(3)};
  }
  return out;
}

// Creates schema_migrations if needed. On PostgreSQL two concurrent
// CREATE TABLE IF NOT EXISTS can still collide in the catalog, so it runs
// under the migration lock.
meterline::Status EnsureTable(Database& db) {
  return db.Transact(TxMode::kReadWrite, [&](Transaction& tx) -> meterline::Status {
    if (db.backend() == Backend::kPostgres) {
      MTL_RETURN_IF_ERROR(tx.Execute("SELECT pg_advisory_xact_lock($1)", {kMigrationLockKey}));
    }
    MTL_RETURN_IF_ERROR(tx.Execute(kCreateTable));
    return OkStatus();
  });
}

// The first problem with what is applied, if any: an edited file or an unknown version.
std::optional<Error> CheckApplied(const std::vector<KnownMigration>& known, const std::map<int, Applied>& applied) {
  for (const auto& [version_key, record] : applied) {
    const int version = version_key;  // a lambda captures it; clang-tidy 14 cannot see structured bindings there
    auto it = std::find_if(known.begin(), known.end(), [&](const auto& k) { return k.version == version; });
    if (it == known.end()) {
      return Error(
          ErrorCode::kConflict, "unknown_migration",
          "the database has migration " + record.name + ", which this billingd does not know (newer release?)");
    }
    if (it->checksum != record.checksum) {
      return Error(ErrorCode::kConflict, "migration_checksum_mismatch",
                   "migration " + it->name + " was edited after it was applied (checksum mismatch)");
    }
  }
  return std::nullopt;
}

}  // namespace

Migrator::Migrator(Database& db) : db_(db) {}

Result<std::vector<MigrationStatus>> Migrator::Status() {
  MTL_RETURN_IF_ERROR(EnsureTable(db_));
  MTL_ASSIGN_OR_RETURN(auto applied, LoadApplied(db_));
  std::vector<MigrationStatus> out;
  for (const auto& k : Known(db_.backend())) {
    MigrationStatus s;
    s.version = k.version;
    s.name = k.name;
    auto it = applied.find(k.version);
    if (it != applied.end()) {
      s.applied = true;
      s.applied_at = FormatIso8601(FromUnixMillis(it->second.applied_at));
      s.checksum_ok = it->second.checksum == k.checksum;
    }
    out.push_back(s);
  }
  return out;
}

Result<int> Migrator::Apply(const std::function<void(const MigrationStatus&)>& on_applied, int through_version) {
  MTL_RETURN_IF_ERROR(EnsureTable(db_));
  const std::vector<KnownMigration>& known = Known(db_.backend());
  {
    MTL_ASSIGN_OR_RETURN(auto applied, LoadApplied(db_));
    if (auto problem = CheckApplied(known, applied)) return *problem;
  }
  int count = 0;
  for (const auto& migration : known) {
    if (through_version > 0 && migration.version > through_version) break;
    bool did_apply = false;
    int64_t applied_at = 0;
    meterline::Status s = db_.Transact(TxMode::kReadWrite, [&](Transaction& tx) -> meterline::Status {
      if (db_.backend() == Backend::kPostgres) {
        // Serializes concurrent migrators; the lock ends with the transaction.
        MTL_RETURN_IF_ERROR(tx.Execute("SELECT pg_advisory_xact_lock($1)", {kMigrationLockKey}));
      }
      // Re-check inside the lock: another instance may have applied it meanwhile.
      MTL_ASSIGN_OR_RETURN(auto exists, tx.Execute("SELECT checksum FROM schema_migrations WHERE version = $1",
                                                   {int64_t{migration.version}}));
      if (!exists.rows.empty()) return OkStatus();
      MTL_RETURN_IF_ERROR(tx.ExecuteScript(migration.sql));
      applied_at = ToUnixMillis(SystemClock().Now());
      MTL_RETURN_IF_ERROR(
          tx.Execute("INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)",
                     {int64_t{migration.version}, migration.name, migration.checksum, applied_at}));
      did_apply = true;
      return OkStatus();
    });
    if (!s.ok()) {
      Error error = std::move(s).error();
      error.message = "migration " + migration.name + " failed: " + error.message;
      return error;
    }
    if (did_apply) {
      ++count;
      if (on_applied) {
        on_applied(
            MigrationStatus{migration.version, migration.name, true, FormatIso8601(FromUnixMillis(applied_at)), true});
      }
    }
  }
  return count;
}

meterline::Status Migrator::CheckCurrent() {
  MTL_ASSIGN_OR_RETURN(auto statuses, Status());
  MTL_ASSIGN_OR_RETURN(auto applied, LoadApplied(db_));
  if (auto problem = CheckApplied(Known(db_.backend()), applied)) return *problem;
  int pending = 0;
  std::string first;
  for (const auto& s : statuses) {
    if (!s.applied) {
      if (pending++ == 0) first = s.name;
    }
  }
  if (pending > 0) {
    return Error(ErrorCode::kUnavailable, "migrations_pending",
                 std::to_string(pending) + " migration(s) pending, starting with " + first);
  }
  return OkStatus();
}

}  // namespace meterline::storage
