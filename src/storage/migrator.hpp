// Migrator: applies the numbered SQL files under storage/migrations/<backend>/,
// which are compiled into the binary.
//
// Applied migrations are recorded in schema_migrations(version, name, checksum,
// applied_at) with the SHA-256 of the file. Each migration runs in its own
// transaction together with its record. On PostgreSQL an advisory lock makes two
// instances that migrate at once apply each file once.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "storage/database.hpp"

namespace meterline::storage {

struct MigrationStatus {
  int version = 0;
  std::string name;  // file name, e.g. "0001_init.sql"
  bool applied = false;
  std::string applied_at;   // ISO 8601, empty when not applied
  bool checksum_ok = true;  // false when the applied file was edited since
};

class Migrator {
 public:
  explicit Migrator(Database& db);

  // Lists every known migration with its state, oldest first.
  Result<std::vector<MigrationStatus>> Status();

  // Applies pending migrations in order. Refuses (kConflict, reason
  // "migration_checksum_mismatch") before applying anything when an applied file
  // was edited, and (kConflict, "unknown_migration") when the database has a
  // migration this binary does not know. `on_applied` is called after each one.
  // Returns the number applied. `through_version` > 0 stops after that
  // migration (upgrade tests build a database as an older binary left it).
  Result<int> Apply(const std::function<void(const MigrationStatus&)>& on_applied = {}, int through_version = 0);

  // OK when every known migration is applied with a matching checksum; else
  // kUnavailable naming what is pending or edited. Used by GET /ready and at start.
  meterline::Status CheckCurrent();

 private:
  Database& db_;
};

}  // namespace meterline::storage
