// The Database contract, run once per backend (SQLite, PostgreSQL).
#include "storage/database.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <limits>
#include <optional>
#include <thread>

#include "storage/bulk.hpp"
#include "storage/migrator.hpp"
#include "storage/statement_cache.hpp"
#include "support/test_database.hpp"

namespace meterline::storage {
namespace {

using testing::TestDatabase;

class DatabaseTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    test_db_ = TestDatabase::Create(GetParam());
    ASSERT_TRUE(db().Execute("CREATE TABLE t (id BIGINT PRIMARY KEY, name TEXT, n BIGINT)").ok());
  }
  Database& db() { return test_db_->db(); }
  std::unique_ptr<TestDatabase> test_db_;
};

TEST_P(DatabaseTest, RoundTripsNullIntegersAndUtf8) {
  const int64_t kMin = std::numeric_limits<int64_t>::min(), kMax = std::numeric_limits<int64_t>::max();
  ASSERT_TRUE(db().Execute("INSERT INTO t (id, name, n) VALUES ($1, $2, $3)", {int64_t{1}, "Zoë – 東京 🚀", kMin}).ok());
  ASSERT_TRUE(db().Execute("INSERT INTO t (id, name, n) VALUES ($1, $2, $3)", {int64_t{2}, nullptr, kMax}).ok());
  auto rows = db().Execute("SELECT id, name, n FROM t ORDER BY id");
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  ASSERT_EQ(rows->rows.size(), 2u);
  EXPECT_EQ(rows->rows[0].Text(1), "Zoë – 東京 🚀");
  EXPECT_EQ(rows->rows[0].Int(2), kMin);
  EXPECT_TRUE(rows->rows[1].IsNull(1));
  EXPECT_EQ(rows->rows[1].OptText(1), std::nullopt);
  EXPECT_EQ(rows->rows[1].Int(2), kMax);
  EXPECT_EQ(rows->columns, (std::vector<std::string>{"id", "name", "n"}));
}

TEST_P(DatabaseTest, CopyInLoadsEscapedRowsOnPostgresAndIsRefusedElsewhere) {
  std::string rows;
  auto row = [&](int64_t id, const std::optional<std::string>& name) {
    rows += std::to_string(id) + "\t";
    if (name) {
      AppendCopyField(rows, *name);
    } else {
      AppendCopyNull(rows);
    }
    rows += "\t7\n";
  };
  const std::string awkward = "tab\there, line\nbreak, cr\r, back\\slash \\N Zoë";
  row(1, awkward);
  row(2, std::nullopt);
  row(3, "\\");
  Status copied =
      db().Transact(TxMode::kReadWrite, [&](Transaction& tx) { return tx.CopyIn("t (id, name, n)", rows); });
  if (GetParam() != Backend::kPostgres) {
    ASSERT_FALSE(copied.ok());
    EXPECT_EQ(copied.error().code, ErrorCode::kInternal);
    return;
  }
  ASSERT_TRUE(copied.ok()) << copied.error().message;
  auto read = db().Execute("SELECT id, name, n FROM t ORDER BY id");
  ASSERT_EQ(read->rows.size(), 3u);
  EXPECT_EQ(read->rows[0].Text(1), awkward);
  EXPECT_TRUE(read->rows[1].IsNull(1));
  EXPECT_EQ(read->rows[2].Text(1), "\\");
  EXPECT_EQ(read->rows[2].Int(2), 7);
  // A bad row fails the COPY, and the transaction with it; the connection stays usable.
  Status bad =
      db().Transact(TxMode::kReadWrite, [&](Transaction& tx) { return tx.CopyIn("t (id, name, n)", "x\ty\tz\n"); });
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(db().Execute("SELECT COUNT(*) FROM t")->rows[0].Int(0), 3);
}

TEST_P(DatabaseTest, ParametersAreNeverSql) {
  std::string evil = "x'); DROP TABLE t; --";
  ASSERT_TRUE(db().Execute("INSERT INTO t (id, name) VALUES ($1, $2)", {int64_t{1}, evil}).ok());
  auto rows = db().Execute("SELECT name FROM t WHERE name = $1", {evil});
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->rows.size(), 1u);
  EXPECT_EQ(rows->rows[0].Text(0), evil);
}

TEST_P(DatabaseTest, ParametersCanRepeatAndBeCast) {
  ASSERT_TRUE(db().Execute("INSERT INTO t (id, name, n) VALUES ($1, $2, $1)", {int64_t{7}, "seven"}).ok());
  auto rows = db().Execute("SELECT n FROM t WHERE (CAST($1 AS TEXT) IS NULL OR name = CAST($1 AS TEXT))", {nullptr});
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  ASSERT_EQ(rows->rows.size(), 1u);
  EXPECT_EQ(rows->rows[0].Int(0), 7);
}

TEST_P(DatabaseTest, TransactionCommitsAndRollsBack) {
  Status committed = db().Transact(TxMode::kReadWrite, [](Transaction& tx) -> Status {
    auto r = tx.Execute("INSERT INTO t (id) VALUES ($1)", {int64_t{1}});
    if (!r.ok()) return std::move(r).error();
    return OkStatus();
  });
  ASSERT_TRUE(committed.ok());
  Status failed = db().Transact(TxMode::kReadWrite, [](Transaction& tx) -> Status {
    auto r = tx.Execute("INSERT INTO t (id) VALUES ($1)", {int64_t{2}});
    if (!r.ok()) return std::move(r).error();
    return Conflict("changed my mind");
  });
  EXPECT_EQ(failed.error().message, "changed my mind");
  EXPECT_THROW(db().Transact(TxMode::kReadWrite,
                             [](Transaction& tx) -> Status {
                               (void)tx.Execute("INSERT INTO t (id) VALUES ($1)", {int64_t{3}});
                               throw std::runtime_error("boom");
                             }),
               std::runtime_error);
  auto rows = db().Execute("SELECT id FROM t ORDER BY id");
  ASSERT_EQ(rows->rows.size(), 1u);
  EXPECT_EQ(rows->rows[0].Int(0), 1);
  EXPECT_EQ(db().pool_stats().in_use, 0);
}

TEST_P(DatabaseTest, UniqueViolationIsConflict) {
  ASSERT_TRUE(db().Execute("INSERT INTO t (id) VALUES ($1)", {int64_t{1}}).ok());
  auto again = db().Execute("INSERT INTO t (id) VALUES ($1)", {int64_t{1}});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  EXPECT_EQ(again.error().Reason(), "constraint_violation");
  // The connection stays usable after the error.
  EXPECT_TRUE(db().Execute("INSERT INTO t (id) VALUES ($1)", {int64_t{2}}).ok());
}

TEST_P(DatabaseTest, ForeignKeysAreEnforced) {
  ASSERT_TRUE(db().Execute("CREATE TABLE child (id BIGINT PRIMARY KEY, t_id BIGINT NOT NULL REFERENCES t(id))").ok());
  auto orphan = db().Execute("INSERT INTO child (id, t_id) VALUES ($1, $2)", {int64_t{1}, int64_t{99}});
  ASSERT_FALSE(orphan.ok());
  EXPECT_EQ(orphan.error().code, ErrorCode::kConflict);
}

TEST_P(DatabaseTest, AffectedRowsAndReturning) {
  for (int64_t i = 1; i <= 3; ++i) ASSERT_TRUE(db().Execute("INSERT INTO t (id, n) VALUES ($1, 0)", {i}).ok());
  auto updated = db().Execute("UPDATE t SET n = n + 1 WHERE id >= $1", {int64_t{2}});
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(updated->affected_rows, 2);
  auto returned = db().Execute("UPDATE t SET n = n + 1 WHERE id = $1 RETURNING n", {int64_t{3}});
  ASSERT_TRUE(returned.ok());
  EXPECT_EQ(returned->rows.at(0).Int(0), 2);
}

TEST_P(DatabaseTest, ConcurrentTransactionsLoseNoUpdate) {
  ASSERT_TRUE(db().Execute("INSERT INTO t (id, n) VALUES (1, 0)").ok());
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        Status s = db().Transact(TxMode::kReadWrite, [](Transaction& tx) -> Status {
          // A lost update would show as a smaller total.
          auto r = tx.Execute("UPDATE t SET n = n + 1 WHERE id = 1");
          if (!r.ok()) return std::move(r).error();
          return OkStatus();
        });
        if (!s.ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  auto rows = db().Execute("SELECT n FROM t WHERE id = 1");
  EXPECT_EQ(rows->rows.at(0).Int(0), 400);
  EXPECT_EQ(db().pool_stats().in_use, 0);
}

TEST_P(DatabaseTest, ReadOnlyTransactionSeesCommittedData) {
  ASSERT_TRUE(db().Execute("INSERT INTO t (id, name) VALUES (1, 'a')").ok());
  Status s = db().Transact(TxMode::kReadOnly, [](Transaction& tx) -> Status {
    auto rows = tx.Execute("SELECT name FROM t WHERE id = 1");
    if (!rows.ok()) return std::move(rows).error();
    if (rows->rows.size() != 1 || rows->rows[0].Text(0) != "a") return Internal("did not see the row");
    return OkStatus();
  });
  EXPECT_TRUE(s.ok()) << s.error().message;
}

TEST_P(DatabaseTest, PreparedStatementsAreReused) {
  for (int64_t i = 0; i < 500; ++i) {
    ASSERT_TRUE(db().Execute("INSERT INTO t (id, n) VALUES ($1, $2)", {i, i * 2}).ok());
  }
  auto rows = db().Execute("SELECT COUNT(*), SUM(n) FROM t");
  EXPECT_EQ(rows->rows.at(0).Int(0), 500);
  EXPECT_EQ(rows->rows.at(0).Int(1), 249500);
}

// Each IN-list length is its own SQL text: more texts than a connection keeps
// prepared. Evicted ones are prepared again when they come back, inside a
// transaction as well as outside, and the server keeps no more than the cache.
TEST_P(DatabaseTest, StatementCacheIsBoundedAndRefills) {
  ASSERT_TRUE(db().Execute("INSERT INTO t (id, n) VALUES (1, 10), (2, 20)").ok());
  auto in_list = [](size_t n) {
    std::string sql = "SELECT COUNT(*) FROM t WHERE id IN (";
    for (size_t i = 1; i <= n; ++i) sql += (i > 1 ? ", $" : "$") + std::to_string(i);
    return sql + ")";
  };
  auto params = [](size_t n) { return std::vector<Value>(n, int64_t{1}); };
  const size_t texts = kStatementCacheCapacity * 2 + 10;
  Status s = db().Transact(TxMode::kReadWrite, [&](Transaction& tx) -> Status {
    for (int round = 0; round < 2; ++round) {
      for (size_t n = 1; n <= texts; ++n) {
        auto r = tx.Execute(in_list(n), params(n));
        if (!r.ok()) return std::move(r).error();
        if (r->rows.at(0).Int(0) != 1) return Internal("wrong count for " + std::to_string(n));
      }
    }
    return OkStatus();
  });
  ASSERT_TRUE(s.ok()) << s.error().message;
  if (db().backend() == Backend::kPostgres) {
    // Evicted statements are freed when the transaction is over (the pool has
    // one connection here). Counting may push out one more, freed later.
    auto prepared = db().Execute("SELECT COUNT(*) FROM pg_prepared_statements");
    ASSERT_TRUE(prepared.ok()) << prepared.error().message;
    EXPECT_LE(prepared->rows.at(0).Int(0), static_cast<int64_t>(kStatementCacheCapacity) + 1);
  }
  // Outside a transaction too, on whichever connection the pool hands out.
  for (size_t n = texts; n >= 1; n -= 7) {
    auto r = db().Execute(in_list(n), params(n));
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->rows.at(0).Int(0), 1);
    if (n < 7) break;
  }
}

TEST_P(DatabaseTest, MissingParameterIsAnError) {
  auto r = db().Execute("SELECT * FROM t WHERE id = $2", {int64_t{1}});
  EXPECT_FALSE(r.ok());
}

INSTANTIATE_TEST_SUITE_P(Backends, DatabaseTest, ::testing::ValuesIn(testing::TestBackends()),
                         [](const auto& info) { return testing::BackendParamName(info.param); });

TEST(DatabaseUrlTest, RedactsPasswords) {
  EXPECT_EQ(RedactUrl("postgresql://user:hunter2@db:5432/billing"), "postgresql://user:***@db:5432/billing");
  EXPECT_EQ(RedactUrl("postgresql://user@db/billing"), "postgresql://user@db/billing");
  EXPECT_EQ(RedactUrl("sqlite:./data/meterline.db"), "sqlite:./data/meterline.db");
  EXPECT_EQ(RedactUrl("postgresql://user@db/billing?sslmode=require&PassWord=hunter2&connect_timeout=5"),
            "postgresql://user@db/billing?sslmode=require&PassWord=***&connect_timeout=5");
  EXPECT_EQ(RedactUrl("postgresql://u:a@db/b?password=hunter2"), "postgresql://u:***@db/b?password=***");
}

TEST(DatabaseUrlTest, UnreachablePostgresIsUnavailableWithoutPassword) {
  auto db = Database::Open({.url = "postgresql://u:hunter2@127.0.0.1:1/x?connect_timeout=2"});
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(db.error().message.find("hunter2"), std::string::npos) << db.error().message;
}

}  // namespace
}  // namespace meterline::storage
