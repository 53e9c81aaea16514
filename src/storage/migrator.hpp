// Migrator: applies the numbered SQL files under storage/migrations/<backend>/,
// which are compiled into the binary.
//
// Applied migrations are recorded in schema_migrations(version, name, checksum,
// applied_at) with the SHA-256 of the file. Each migration runs in its own
// transaction together with its record. On PostgreSQL an advisory lock makes two
// instances that migrate at once apply each file once.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
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

// A migration's `-- compatible_with: NNNN` line (docs/operations.md, rolling
// upgrades): a release that knows migrations through NNNN may run with it
// applied (an expand step it can ignore); `none`: no older release may (a
// contract step). Older files have no line.
struct CompatibleWith {
  bool declared = false;
  std::optional<int> release;  // NNNN; nullopt for none
};

class Migrator {
 public:
  // `known_through` > 0 acts as an older release that shipped migrations
  // through that version (the rolling-upgrade tests); 0: this release.
  explicit Migrator(Database& db, int known_through = 0);

  // Each compiled-in migration's marker, oldest first (tests check new ones declare it).
  static std::vector<std::pair<std::string, CompatibleWith>> Markers(Backend backend);

  // Lists every known migration with its state, oldest first.
  Result<std::vector<MigrationStatus>> Status();

  // Applies pending migrations in order. Refuses (kConflict, reason
  // "migration_checksum_mismatch") before applying anything when an applied file
  // was edited, and (kConflict, "unknown_migration") when the database has a
  // migration this binary does not know and that was not marked compatible
  // with it (a newer release's: its message says to upgrade billingd). `on_applied` is called after each one.
  // Returns the number applied. `through_version` > 0 stops after that
  // migration (upgrade tests build a database as an older binary left it).
  Result<int> Apply(const std::function<void(const MigrationStatus&)>& on_applied = {}, int through_version = 0);

  // OK when every known migration is applied with a matching checksum; else
  // kUnavailable naming what is pending or edited. Used by GET /ready and at start.
  meterline::Status CheckCurrent();

 private:
  Database& db_;
  int known_through_ = 0;
};

}  // namespace meterline::storage
