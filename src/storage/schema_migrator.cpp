#include <algorithm>
#include <charconv>
#include <map>
#include <optional>
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
  CompatibleWith compatible_with;
};

constexpr std::string_view kMarker = "-- compatible_with:";

// The file without its marker line: adding a marker to an applied file keeps
// its checksum (it describes the file, it does not change what it did).
std::string WithoutMarker(std::string_view sql) {
  std::string out;
  for (size_t start = 0; start < sql.size();) {
    size_t end = sql.find('\n', start);
    end = end == std::string_view::npos ? sql.size() : end + 1;
    std::string_view line = sql.substr(start, end - start);
    if (line.substr(0, kMarker.size()) != kMarker) out += line;
    start = end;
  }
  return out;
}

CompatibleWith ParseMarker(std::string_view sql) {
  size_t at = sql.find(std::string("\n") + std::string(kMarker));
  if (at == std::string_view::npos) {
    if (sql.substr(0, kMarker.size()) != kMarker) return {};
    at = 0;
  } else {
    ++at;
  }
  std::string_view rest = sql.substr(at + kMarker.size());
  rest = rest.substr(0, rest.find('\n'));
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\r')) rest.remove_suffix(1);
  CompatibleWith out{.declared = true};
  int version = 0;
  auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), version);
  if (ec == std::errc() && ptr == rest.data() + rest.size()) out.release = version;
  return out;  // "none" (or anything else): a contract step, no older release runs with it
}

std::vector<KnownMigration> Parse(Backend backend) {
  std::vector<KnownMigration> out;
  auto files = backend == Backend::kPostgres ? EmbeddedPostgresMigrations() : EmbeddedSqliteMigrations();
  for (const EmbeddedFile& file : files) {
    int version = 0;
    auto [ptr, ec] = std::from_chars(file.name.data(), file.name.data() + file.name.size(), version);
    if (ec != std::errc() || ptr == file.name.data()) continue;  // not NNNN_*.sql
    out.push_back({version, std::string(file.name), file.content, Sha256Hex(WithoutMarker(file.content)),
                   ParseMarker(file.content)});
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

// What a release that knows migrations through `through` has (0: this one).
std::vector<KnownMigration> KnownThrough(Backend backend, int through) {
  std::vector<KnownMigration> out;
  for (const auto& k : Known(backend)) {
    if (through <= 0 || k.version <= through) out.push_back(k);
  }
  return out;
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
  std::optional<int64_t> compatible_with;  // the oldest release level that runs with it applied
};

Result<std::map<int, Applied>> LoadApplied(Database& executor) {
  MTL_ASSIGN_OR_RETURN(auto rows, executor.Execute("SELECT version, name, checksum, applied_at, compatible_with FROM "
                                                   "schema_migrations ORDER BY version"));
  std::map<int, Applied> out;
  for (const auto& row : rows.rows) {
    out[static_cast<int>(row.Int(0))] = Applied{row.Text(1), row.Text(2), row.Int(3), row.OptInt(4)};
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
    // Added in 0.1 (rolling upgrades): which older releases may run with a migration applied.
    if (db.backend() == Backend::kPostgres) {
      MTL_RETURN_IF_ERROR(tx.Execute("ALTER TABLE schema_migrations ADD COLUMN IF NOT EXISTS compatible_with INTEGER"));
    } else {
      MTL_ASSIGN_OR_RETURN(auto has, tx.Execute("SELECT COUNT(*) FROM pragma_table_info('schema_migrations') WHERE "
                                                "name = 'compatible_with'"));
      if (has.rows[0].Int(0) == 0) {
        MTL_RETURN_IF_ERROR(tx.Execute("ALTER TABLE schema_migrations ADD COLUMN compatible_with INTEGER"));
      }
    }
    return OkStatus();
  });
}

// The first problem with what is applied, if any: an edited file, or a
// migration this release does not know that is not marked as one it may run
// with (a newer release's contract step).
std::optional<Error> CheckApplied(const std::vector<KnownMigration>& known, const std::map<int, Applied>& applied) {
  int level = known.empty() ? 0 : known.back().version;
  for (const auto& [version_key, record] : applied) {
    const int version = version_key;  // a lambda captures it; clang-tidy 14 cannot see structured bindings there
    auto it = std::find_if(known.begin(), known.end(), [&](const auto& k) { return k.version == version; });
    if (it == known.end()) {
      if (record.compatible_with && *record.compatible_with <= level) continue;  // an expand step: ignored
      return Error(ErrorCode::kConflict, "unknown_migration",
                   "the database has migration " + record.name + " of a newer release, which this billingd (schema " +
                       std::to_string(level) +
                       ") cannot run with: upgrade billingd to that release or later; 'billingd migrate' "
                       "cannot help");
    }
    if (it->checksum != record.checksum) {
      return Error(ErrorCode::kConflict, "migration_checksum_mismatch",
                   "migration " + it->name + " was edited after it was applied (checksum mismatch)");
    }
  }
  return std::nullopt;
}

}  // namespace

Migrator::Migrator(Database& db, int known_through) : db_(db), known_through_(known_through) {}

std::vector<std::pair<std::string, CompatibleWith>> Migrator::Markers(Backend backend) {
  std::vector<std::pair<std::string, CompatibleWith>> out;
  for (const auto& k : Known(backend)) out.emplace_back(k.name, k.compatible_with);
  return out;
}

Result<std::vector<MigrationStatus>> Migrator::Status() {
  MTL_RETURN_IF_ERROR(EnsureTable(db_));
  MTL_ASSIGN_OR_RETURN(auto applied, LoadApplied(db_));
  std::vector<MigrationStatus> out;
  for (const auto& k : KnownThrough(db_.backend(), known_through_)) {
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
  const std::vector<KnownMigration> known = KnownThrough(db_.backend(), known_through_);
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
      MTL_RETURN_IF_ERROR(tx.Execute(
          "INSERT INTO schema_migrations (version, name, checksum, applied_at, compatible_with) VALUES "
          "($1, $2, $3, $4, $5)",
          {int64_t{migration.version}, migration.name, migration.checksum, applied_at,
           migration.compatible_with.release ? Value(int64_t{*migration.compatible_with.release}) : Value(nullptr)}));
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
  if (auto problem = CheckApplied(KnownThrough(db_.backend(), known_through_), applied)) return *problem;
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
