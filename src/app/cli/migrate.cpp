#include <cstdio>
#include <iostream>

#include "app/cli/cli.hpp"
#include "app/config.hpp"
#include "app/wiring.hpp"
#include "storage/migrator.hpp"

namespace meterline::app {

namespace {

constexpr const char* kMigrateUsage = R"(Usage: billingd migrate [--status] [--database-url URL] [--data-dir DIR]

Applies pending database migrations, each in its own transaction; on the
embedded SQLite database, moves usage events to the files USAGE_SHARDS names;
and, when CLICKHOUSE_URL is set, creates the ClickHouse usage tables (on every
shard of CLICKHOUSE_CLUSTER, with Distributed tables on CLICKHOUSE_URL's node).
  --status             list migrations and whether each is applied; change nothing
  --database-url URL   postgresql://… or sqlite:PATH [DATABASE_URL]
  --data-dir DIR       where the embedded SQLite database lives [DATA_DIR]
Exits 1 when an applied migration was edited since (checksum mismatch).
)";

}  // namespace

int RunMigrate(const std::vector<std::string>& args) {
  if (WantsHelp(args)) {
    std::cout << kMigrateUsage;
    return 0;
  }
  auto config = LoadConfig(ProcessEnvironment());
  if (!config.ok()) {
    PrintError(config.error().message);
    return 2;
  }
  bool status_only = false;
  std::vector<std::string> flags;
  for (const auto& arg : args) {
    if (arg == "--status") {
      status_only = true;
    } else {
      flags.push_back(arg);
    }
  }
  // Only the storage flags make sense here.
  for (size_t i = 0; i < flags.size(); ++i) {
    const std::string& f = flags[i];
    bool storage_flag = f.rfind("--database-url", 0) == 0 || f.rfind("--data-dir", 0) == 0;
    if (!storage_flag) {
      PrintError("unknown flag " + f + " for migrate; run 'billingd migrate --help'");
      return 2;
    }
    if (f.find('=') == std::string::npos) ++i;  // skip its value
  }
  if (Status s = ApplyServeFlags(flags, *config); !s.ok()) {
    PrintError(s.error().message);
    return 2;
  }
  log::Init(log::Level::kWarn);

  auto db = OpenDatabase(*config);
  if (!db.ok()) {
    PrintError(db.error().message);
    return 1;
  }
  storage::Migrator migrator(**db);
  if (status_only) {
    auto list = migrator.Status();
    if (!list.ok()) {
      PrintError(list.error().message);
      return 1;
    }
    std::printf("%-8s %-40s %-10s %s\n", "VERSION", "NAME", "STATE", "APPLIED AT");
    bool all_ok = true;
    for (const auto& m : *list) {
      const char* state = !m.applied ? "pending" : (m.checksum_ok ? "applied" : "EDITED");
      all_ok = all_ok && m.checksum_ok;
      std::printf("%-8d %-40s %-10s %s\n", m.version, m.name.c_str(), state, m.applied_at.c_str());
    }
    return all_ok ? 0 : 1;
  }
  auto applied = migrator.Apply([](const storage::MigrationStatus& m) {
    std::printf("applied %s\n", m.name.c_str());
    std::fflush(stdout);
  });
  if (!applied.ok()) {
    PrintError(applied.error().message);
    return 1;
  }
  std::printf("%d migration(s) applied; database is current\n", *applied);
  if ((*db)->backend() == storage::Backend::kSqlite && config->clickhouse_url.empty()) {
    auto shards = OpenUsageShards(*config, **db, true, [](const std::string& step) {
      std::printf("%s\n", step.c_str());
      std::fflush(stdout);
    });
    if (!shards.ok()) {
      PrintError(shards.error().message);
      return 1;
    }
  }
  if (!config->clickhouse_url.empty()) {
    auto layout = ClickHouseLayout(*config);
    if (!layout.ok()) {
      PrintError(layout.error().message);
      return 2;
    }
    Status schema = clickhouse::ApplySchema(*layout, [](const std::string& step) {
      std::printf("clickhouse: %s\n", step.c_str());
      std::fflush(stdout);
    });
    if (!schema.ok()) {
      PrintError(schema.error().message);
      return 1;
    }
    std::printf("clickhouse usage tables are current\n");
  }
  return 0;
}

}  // namespace meterline::app
