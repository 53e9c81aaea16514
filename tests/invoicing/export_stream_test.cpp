// The usage_rollups export over rollups sharded by customer across several
// SQLite files: a page read from every file and merged gives exactly the
// export of one database holding all the rows, whatever the page size, and
// the count is the files' sum. Other kinds read the transactional database.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "exports/export_stream.hpp"
#include "support/temp_dir.hpp"

namespace meterline::testing {
namespace {

TimePoint At(const char* text) { return *ParseIso8601(text); }

std::unique_ptr<storage::Database> OpenSqlite(const std::string& path) {
  auto db = storage::Database::Open({.url = "sqlite:" + path});
  if (!db.ok()) ADD_FAILURE() << db.error().message;
  return db.ok() ? std::move(*db) : nullptr;
}

void Exec(storage::Database& db, const std::string& sql, const std::vector<storage::Value>& params = {}) {
  auto done = db.Execute(sql, params);
  ASSERT_TRUE(done.ok()) << done.error().message << " in " << sql;
}

void CreateRollups(storage::Database& db) {
  Exec(db,
       "CREATE TABLE usage_rollups_hourly (customer_id TEXT NOT NULL, metric TEXT NOT NULL, "
       "hour_start BIGINT NOT NULL, total BIGINT NOT NULL, events BIGINT NOT NULL, peak BIGINT NOT NULL DEFAULT 0, "
       "latest BIGINT NOT NULL DEFAULT 0, latest_at BIGINT NOT NULL DEFAULT 0, "
       "PRIMARY KEY (customer_id, metric, hour_start))");
  Exec(db, "CREATE INDEX usage_rollups_hour_idx ON usage_rollups_hourly (hour_start, customer_id, metric)");
}

struct Exported {
  std::string text;
  int64_t rows = 0;
  int64_t most_rows_in_a_piece = 0;  // data rows (not the CSV header) in the largest piece
};

Exported Export(storage::Database& db, exports::Kind kind, exports::Format format, exports::Range range,
                std::vector<storage::Database*> usage_dbs, int64_t page_rows) {
  exports::ExportStream stream(db, kind, format, range, std::move(usage_dbs), page_rows);
  Exported out;
  for (int pieces = 0; pieces < 10000; ++pieces) {
    std::string piece;
    auto more = stream.Next(piece);
    EXPECT_TRUE(more.ok()) << more.error().message;
    if (!more.ok()) break;
    int64_t lines = 0;
    for (char c : piece) lines += c == '\n' ? 1 : 0;
    if (pieces == 0 && format == exports::Format::kCsv) --lines;  // the header
    out.most_rows_in_a_piece = std::max(out.most_rows_in_a_piece, lines);
    out.text += piece;
    if (!*more) break;
  }
  out.rows = stream.rows_written();
  return out;
}

TEST(ExportStreamTest, UsageRollupsOfSeveralDatabasesMergeIntoTheOrderOfOne) {
  TempDir dir("mtl-export-shards");
  auto main_db = OpenSqlite(dir.path() + "/main.db");  // no rollups: the export must not read it
  auto whole = OpenSqlite(dir.path() + "/whole.db");   // every rollup: the reference
  std::vector<std::unique_ptr<storage::Database>> shards;
  for (int i = 0; i < 3; ++i) shards.push_back(OpenSqlite(dir.path() + "/shard" + std::to_string(i) + ".db"));
  ASSERT_TRUE(main_db && whole && shards[0] && shards[1] && shards[2]);
  CreateRollups(*whole);
  for (auto& shard : shards) CreateRollups(*shard);

  // Customers in byte order (uppercase before lowercase, a prefix first, UTF-8
  // last), spread over the shards so that consecutive rows of an hour come
  // from different files: B:1 a:0 a1:2 b:1 c:2 é:0.
  struct Customer {
    const char* id;
    int shard;
  };
  const std::vector<Customer> customers = {{"cus_B", 1}, {"cus_a", 0}, {"cus_a1", 2},
                                           {"cus_b", 1}, {"cus_c", 2}, {"cus_\xC3\xA9", 0}};
  const std::vector<std::string> metrics = {"Storage", "api_calls"};
  TimePoint base = At("2026-03-01T00:00:00Z");
  exports::Range range{base + std::chrono::hours(1), base + std::chrono::hours(4)};
  int64_t in_range = 0, serial = 0;
  std::vector<int64_t> per_shard_in_range(shards.size(), 0);
  for (int hour = 0; hour <= 4; ++hour) {  // hours 0 and 4 lie outside the range
    for (size_t c = 0; c < customers.size(); ++c) {
      for (size_t m = 0; m < metrics.size(); ++m) {
        if (m == 1 && (hour + c) % 4 == 0) continue;  // some hours lack a metric: uneven shards
        ++serial;
        std::vector<storage::Value> row = {customers[c].id, metrics[m], ToUnixMillis(base) + hour * 3600000,
                                           serial * 10,     serial % 7, serial * 3,
                                           serial % 5,      serial};
        const char* insert =
            "INSERT INTO usage_rollups_hourly (customer_id, metric, hour_start, total, events, peak, latest, "
            "latest_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
        Exec(*whole, insert, row);
        Exec(*shards[customers[c].shard], insert, row);
        if (hour >= 1 && hour < 4) {
          ++in_range;
          ++per_shard_in_range[customers[c].shard];
        }
      }
    }
  }
  for (int64_t n : per_shard_in_range) ASSERT_GT(n, 0);
  std::vector<storage::Database*> usage_dbs = {shards[0].get(), shards[1].get(), shards[2].get()};

  for (auto format : {exports::Format::kCsv, exports::Format::kJsonLines}) {
    SCOPED_TRACE(exports::FormatName(format));
    Exported expected = Export(*whole, exports::Kind::kUsageRollups, format, range, {}, 5000);
    EXPECT_EQ(expected.rows, in_range);
    if (format == exports::Format::kCsv) {
      // The reference starts as worked out by hand: hour 1 by customer, then metric.
      EXPECT_EQ(expected.text.substr(0, expected.text.find("cus_a1")),
                "customer_id,metric,hour_start,total,events,peak,latest\r\n"
                "cus_B,Storage,2026-03-01T01:00:00.000Z,110,4,33,1\r\n"
                "cus_B,api_calls,2026-03-01T01:00:00.000Z,120,5,36,2\r\n"
                "cus_a,Storage,2026-03-01T01:00:00.000Z,130,6,39,3\r\n"
                "cus_a,api_calls,2026-03-01T01:00:00.000Z,140,0,42,4\r\n");
    }
    // Pages of 1, 2 and 3 rows cross the files inside an hour; 7 across
    // hours; in_range rows end exactly on a page (one empty page follows).
    for (int64_t page_rows : {int64_t{1}, int64_t{2}, int64_t{3}, int64_t{7}, in_range, int64_t{5000}}) {
      SCOPED_TRACE("page_rows " + std::to_string(page_rows));
      Exported merged = Export(*main_db, exports::Kind::kUsageRollups, format, range, usage_dbs, page_rows);
      EXPECT_EQ(merged.text, expected.text);
      EXPECT_EQ(merged.rows, in_range);
      EXPECT_LE(merged.most_rows_in_a_piece, page_rows);
    }
  }

  // The count sums the files (each holds only part of the range).
  exports::ExportStream merged(*main_db, exports::Kind::kUsageRollups, exports::Format::kCsv, range, usage_dbs, 2);
  auto count = merged.CountRows();
  ASSERT_TRUE(count.ok()) << count.error().message;
  EXPECT_EQ(*count, in_range);
  exports::ExportStream one(*main_db, exports::Kind::kUsageRollups, exports::Format::kCsv, range, {shards[1].get()}, 2);
  auto one_count = one.CountRows();
  ASSERT_TRUE(one_count.ok()) << one_count.error().message;
  EXPECT_EQ(*one_count, per_shard_in_range[1]);

  // Other kinds read the transactional database (the shards have no audit table).
  Exec(*main_db,
       "CREATE TABLE billing_audit (id INTEGER PRIMARY KEY AUTOINCREMENT, actor TEXT NOT NULL, action TEXT NOT NULL, "
       "customer_id TEXT, data TEXT, ip TEXT, user_agent TEXT, created_at BIGINT NOT NULL)");
  Exec(*main_db, "INSERT INTO billing_audit (actor, action, created_at) VALUES ('usr_1', 'export.create', $1)",
       {ToUnixMillis(base) + 2 * 3600000});
  Exported audit = Export(*main_db, exports::Kind::kAudit, exports::Format::kJsonLines, range, usage_dbs, 2);
  EXPECT_EQ(audit.rows, 1);
  EXPECT_NE(audit.text.find("\"action\":\"export.create\""), std::string::npos) << audit.text;
  exports::ExportStream audit_stream(*main_db, exports::Kind::kAudit, exports::Format::kCsv, range, usage_dbs, 2);
  auto audit_count = audit_stream.CountRows();
  ASSERT_TRUE(audit_count.ok()) << audit_count.error().message;
  EXPECT_EQ(*audit_count, 1);
}

}  // namespace
}  // namespace meterline::testing
