// billingd backup --to FILE   and   billingd restore --from FILE [--force]:
// the embedded SQLite database (docs/operations.md "Backups").
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>

#include "app/cli/cli.hpp"
#include "app/config.hpp"
#include "storage/sqlite/sqlite_backup.hpp"

namespace meterline::app {

namespace {

constexpr const char* kBackupUsage = R"(Usage: billingd backup --to FILE [--data-dir DIR]

Copies the embedded SQLite database (DATA_DIR/meterline.db) to FILE while
billingd keeps serving: the database as of one commit, so every write
acknowledged before the backup began is in it. The usage shard files beside
it (DATA_DIR/meterline-usage-N.db, USAGE_SHARDS) are included: FILE is one
database in the unsharded layout, their usage in its tables, each shard read
as of one of its commits after the main database. FILE is fsynced, and
FILE.sha256 holds its checksum (sha256sum -c FILE.sha256 checks it). Refuses
to overwrite FILE. PostgreSQL and ClickHouse: see README "Backups".
)";

constexpr const char* kRestoreUsage = R"(Usage: billingd restore --from FILE [--force] [--data-dir DIR]

Replaces the embedded SQLite database (DATA_DIR/meterline.db) with a backup
made by 'billingd backup', after checking its checksum (FILE.sha256, when
present) and SQLite's integrity check. Stop every billingd using the database
first. Refuses to replace an existing database unless --force is given.
The usage shard files beside it (DATA_DIR/meterline-usage-N.db, with their
-wal and -shm) are removed before the database is replaced: the backup holds
all usage, and the next start spreads it over the shards again. Interrupted,
run the restore again.
)";

// The embedded database's path from the configuration and --data-dir, or a
// one-line error (exit 2) when the configuration names PostgreSQL.
std::optional<std::string> SqlitePath(const std::map<std::string, std::string>& flags, const char* command) {
  auto config = LoadConfig(ProcessEnvironment());
  if (!config.ok()) {
    PrintError(config.error().message);
    return std::nullopt;
  }
  if (flags.count("--data-dir")) config->data_dir = flags.at("--data-dir");
  std::string url = config->EffectiveDatabaseUrl();
  if (url.rfind("sqlite:", 0) != 0) {
    PrintError(std::string(command) +
               " handles the embedded SQLite database; DATABASE_URL names PostgreSQL: use pg_dump and pg_restore "
               "(README \"Backups\")");
    return std::nullopt;
  }
  return url.substr(7);
}

}  // namespace

int RunBackup(const std::vector<std::string>& args) {
  if (WantsHelp(args)) {
    std::cout << kBackupUsage;
    return 0;
  }
  auto flags = ParseFlags(args, {"--to", "--data-dir"});
  if (!flags.ok() || !flags->count("--to") || (*flags)["--to"].empty()) {
    PrintError(flags.ok() ? "backup needs --to FILE" : flags.error().message);
    return 2;
  }
  auto path = SqlitePath(*flags, "backup");
  if (!path) return 2;
  auto made = storage::BackupSqlite(*path, (*flags)["--to"]);
  if (!made.ok()) {
    PrintError(made.error().message);
    return 1;
  }
  std::printf("backed up %s to %s (%lld bytes, sha256 %s)\n", path->c_str(), made->path.c_str(),
              static_cast<long long>(made->bytes), made->sha256.c_str());
  return 0;
}

int RunRestore(const std::vector<std::string>& args) {
  if (WantsHelp(args)) {
    std::cout << kRestoreUsage;
    return 0;
  }
  std::vector<std::string> rest;
  bool force = false;
  for (const auto& arg : args) {
    if (arg == "--force") {
      force = true;
    } else {
      rest.push_back(arg);
    }
  }
  auto flags = ParseFlags(rest, {"--from", "--data-dir"});
  if (!flags.ok() || !flags->count("--from") || (*flags)["--from"].empty()) {
    PrintError(flags.ok() ? "restore needs --from FILE" : flags.error().message);
    return 2;
  }
  auto path = SqlitePath(*flags, "restore");
  if (!path) return 2;
  if (std::filesystem::exists(*path) && !force) {
    PrintError(*path + " holds a database; stop billingd and pass --force to replace it with the backup");
    return 1;
  }
  auto restored = storage::RestoreSqlite((*flags)["--from"], *path);
  if (!restored.ok()) {
    PrintError(restored.error().message);
    return 1;
  }
  std::printf("restored %s from %s (%lld bytes, sha256 %s)\n", path->c_str(), restored->path.c_str(),
              static_cast<long long>(restored->bytes), restored->sha256.c_str());
  return 0;
}

}  // namespace meterline::app
