// The SQLite floor under usage ingestion: what storing one event in a shard
// file costs with nothing else around it (no HTTP, no validation, no fsync),
// on one thread. The table and index are the shard files' (usage_shards.cpp);
// events of 8 customers with 36-byte ids, inserted 1,024 per transaction in
// key order, 256 rows per INSERT OR FAIL … ON CONFLICT DO NOTHING, text bound
// without copies, SQLite's memory through storage::UseSqliteMemory.
//
//   sqlite_insert_bench [--page-size N] [--no-time-index] [transactions]
//
// Prints microseconds and SQLite allocations per event over the transactions
// after the first 100 (the file is warm by then). Used by docs/benchmarks.md.
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "storage/sqlite/sqlite_memory.hpp"

namespace {

void Check(sqlite3* db, int rc, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE) {
    std::fprintf(stderr, "sqlite_insert_bench: %s: %s\n", what, sqlite3_errmsg(db));
    std::exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  int page_size = 4096;
  bool time_index = true;
  int transactions = 400;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--page-size" && i + 1 < argc) {
      page_size = std::atoi(argv[++i]);
    } else if (arg == "--no-time-index") {
      time_index = false;
    } else {
      transactions = std::max(101, std::atoi(argv[i]));
    }
  }
  meterline::storage::UseSqliteMemory();
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("sqlite-insert-bench-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::string path = (dir / "usage.db").string();
  sqlite3* db = nullptr;
  Check(db, sqlite3_open(path.c_str(), &db), "open");
  std::string setup = "PRAGMA page_size=" + std::to_string(page_size) +
                      "; PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF; PRAGMA temp_store=MEMORY;"
                      " PRAGMA cache_size=-65536; PRAGMA mmap_size=1073741824;"
                      " CREATE TABLE usage_events (customer_id TEXT NOT NULL, event_id TEXT NOT NULL,"
                      " metric TEXT NOT NULL, value BIGINT NOT NULL CHECK (value >= 0), occurred_at BIGINT NOT NULL,"
                      " received_at BIGINT NOT NULL, properties TEXT, PRIMARY KEY (customer_id, event_id))"
                      " WITHOUT ROWID;";
  if (time_index) setup += " CREATE INDEX usage_events_by_time ON usage_events (customer_id, occurred_at);";
  Check(db, sqlite3_exec(db, setup.c_str(), nullptr, nullptr, nullptr), "schema");

  constexpr int kRowsPerStatement = 256, kPerTransaction = 1024, kCustomers = 8;
  std::string sql =
      "INSERT OR FAIL INTO usage_events (customer_id, event_id, metric, value, occurred_at, received_at, properties) "
      "VALUES ";
  for (int r = 0; r < kRowsPerStatement; ++r) sql += r ? ",(?,?,?,?,?,?,?)" : "(?,?,?,?,?,?,?)";
  sql += " ON CONFLICT (customer_id, event_id) DO NOTHING";
  sqlite3_stmt* insert = nullptr;
  Check(db, sqlite3_prepare_v3(db, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &insert, nullptr), "prepare");

  // One transaction's events, sorted by (customer, event id) as the store does.
  std::vector<std::string> customers, ids(kPerTransaction);
  for (int c = 0; c < kCustomers; ++c)
    customers.push_back("cus_0192f3a4-5b6c-7d8e-9f00-00000000000" + std::to_string(c));
  std::vector<int> order(kPerTransaction);
  std::chrono::steady_clock::duration in_sqlite{};  // from BEGIN to COMMIT, the ids made before
  meterline::storage::SqliteMemoryCounts counted{};
  for (int t = 0; t < transactions; ++t) {
    if (t == 100) {
      in_sqlite = {};
      counted = meterline::storage::SqliteMemoryCountsNow();
    }
    for (int e = 0; e < kPerTransaction; ++e) {
      ids[e] = "c" + std::to_string(e % kCustomers) + "-b" + std::to_string(t) + "-e" + std::to_string(e);
      order[e] = e;
    }
    std::sort(order.begin(), order.end(), [&](int a, int b) {
      return a % kCustomers != b % kCustomers ? a % kCustomers < b % kCustomers : ids[a] < ids[b];
    });
    auto started = std::chrono::steady_clock::now();
    Check(db, sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), "begin");
    for (int s = 0; s < kPerTransaction / kRowsPerStatement; ++s) {
      for (int r = 0; r < kRowsPerStatement; ++r) {
        int e = order[s * kRowsPerStatement + r];
        int k = r * 7;
        const std::string& customer = customers[e % kCustomers];
        sqlite3_bind_text(insert, k + 1, customer.data(), static_cast<int>(customer.size()), SQLITE_STATIC);
        sqlite3_bind_text(insert, k + 2, ids[e].data(), static_cast<int>(ids[e].size()), SQLITE_STATIC);
        sqlite3_bind_text(insert, k + 3, "impressions", -1, SQLITE_STATIC);
        sqlite3_bind_int64(insert, k + 4, 1);
        sqlite3_bind_int64(insert, k + 5, int64_t{1'700'000'000'000} + t * 1000 + e);
        sqlite3_bind_int64(insert, k + 6, int64_t{1'700'000'000'000} + t * 1000);
        sqlite3_bind_null(insert, k + 7);
      }
      Check(db, sqlite3_step(insert), "insert");
      sqlite3_reset(insert);
    }
    Check(db, sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), "commit");
    in_sqlite += std::chrono::steady_clock::now() - started;
  }
  double seconds = std::chrono::duration<double>(in_sqlite).count();
  meterline::storage::SqliteMemoryCounts now = meterline::storage::SqliteMemoryCountsNow();
  double events = static_cast<double>(transactions - 100) * kPerTransaction;
  std::printf(
      "page_size=%d time_index=%s events=%.0f us_per_event=%.3f sqlite_allocations_per_event=%.3f "
      "from_cache=%.0f%%\n",
      page_size, time_index ? "yes" : "no", events, seconds * 1e6 / events,
      static_cast<double>(now.allocations - counted.allocations) / events,
      100.0 * static_cast<double>(now.from_cache - counted.from_cache) /
          static_cast<double>(std::max<uint64_t>(1, now.allocations - counted.allocations)));
  sqlite3_finalize(insert);
  sqlite3_close(db);
  std::filesystem::remove_all(dir);
  return 0;
}
