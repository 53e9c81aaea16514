// SQLite's memory methods (storage/sqlite/sqlite_memory.hpp): page-sized blocks
// come back from the per-thread cache, and what SQLite stores through them is
// intact, across threads and through reallocations.
#include "storage/sqlite/sqlite_memory.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "storage/database.hpp"
#include "support/test_database.hpp"

namespace meterline::storage {
namespace {

TEST(SqliteMemoryTest, RebalancesReuseCachedBlocksAndTheDataStaysIntact) {
  auto test_db = testing::TestDatabase::Create(Backend::kSqlite);
  Database& db = test_db->db();
  ASSERT_TRUE(db.Execute("CREATE TABLE k (a TEXT NOT NULL, b TEXT NOT NULL, n BIGINT NOT NULL, "
                         "PRIMARY KEY (a, b)) WITHOUT ROWID")
                  .ok());
  SqliteMemoryCounts before = SqliteMemoryCountsNow();
  ASSERT_TRUE(before.caching) << "the backend installs the memory methods before its first connection";
  // Keys that land mid-tree (eight interleaved prefixes): pages split and
  // rebalance all along, each rebalance taking page-sized blocks.
  const int kRows = 20000;
  int64_t expected_sum = 0;
  Status written = db.Transact(TxMode::kReadWrite, [&](Transaction& tx) -> Status {
    for (int i = 0; i < kRows; ++i) {
      std::string a = "customer-with-a-long-identifier-" + std::to_string(i % 8);
      auto inserted =
          tx.Execute("INSERT INTO k (a, b, n) VALUES ($1, $2, $3)", {a, "event-" + std::to_string(i), int64_t{i}});
      if (!inserted.ok()) return std::move(inserted).error();
      expected_sum += i;
    }
    return OkStatus();
  });
  ASSERT_TRUE(written.ok()) << written.error().message;
  SqliteMemoryCounts after = SqliteMemoryCountsNow();
  EXPECT_GT(after.allocations, before.allocations);
  EXPECT_GT(after.from_cache - before.from_cache, uint64_t{100}) << "rebalances reuse the blocks of the ones before";

  auto sums = db.Execute("SELECT COUNT(*), SUM(n) FROM k");
  ASSERT_TRUE(sums.ok());
  EXPECT_EQ(sums->rows.front().Int(0), kRows);
  EXPECT_EQ(sums->rows.front().Int(1), expected_sum);
  auto check = db.Execute("PRAGMA integrity_check");
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(check->rows.front().Text(0), "ok");
}

TEST(SqliteMemoryTest, BlocksMoveBetweenThreadsAndGrowThroughReallocation) {
  auto test_db = testing::TestDatabase::Create(Backend::kSqlite);
  Database& db = test_db->db();
  ASSERT_TRUE(db.Execute("CREATE TABLE blobs (id BIGINT PRIMARY KEY, body TEXT NOT NULL)").ok());
  // Texts built by string concatenation grow by reallocation through every
  // block size the cache keeps (1 KiB .. 64 KiB) and past it; written from
  // several threads, so blocks are freed on threads that did not take them.
  std::vector<std::thread> writers;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        int64_t id = t * 100 + i;
        auto r = db.Execute("INSERT INTO blobs (id, body) VALUES ($1, printf('%.*c', $2, 'x') || $3)",
                            {id, int64_t{1000 + 3000 * i}, std::to_string(id)});
        if (!r.ok()) ++failures;
      }
    });
  }
  for (auto& w : writers) w.join();
  ASSERT_EQ(failures.load(), 0);
  auto rows = db.Execute("SELECT id, length(body), substr(body, length(body) - length(id) + 1) FROM blobs ORDER BY id");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->rows.size(), 100u);
  for (const auto& row : rows->rows) {
    int64_t id = row.Int(0);
    int64_t i = id % 100;
    EXPECT_EQ(row.Int(1), 1000 + 3000 * i + static_cast<int64_t>(std::to_string(id).size()));
    EXPECT_EQ(row.Text(2), std::to_string(id));
  }
}

}  // namespace
}  // namespace meterline::storage
