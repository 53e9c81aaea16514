// The SQLite and PostgreSQL migrations are written twice, once per dialect:
// after all of them, both databases have the same tables with the same
// columns, nullability and kind of type. Needs PostgreSQL (skipped without).
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <string>

#include "storage/migrator.hpp"
#include "support/test_database.hpp"

namespace meterline::storage {
namespace {

using testing::TestDatabase;

// table -> column -> "integer|text|real, null|not null"
using Schema = std::map<std::string, std::map<std::string, std::string>>;

// INTEGER/BIGINT/SMALLINT -> integer; TEXT/VARCHAR/JSON -> text; the rest as is.
std::string Kind(std::string type) {
  std::transform(type.begin(), type.end(), type.begin(), [](unsigned char c) { return std::tolower(c); });
  if (type.find("int") != std::string::npos) return "integer";
  if (type.find("char") != std::string::npos || type.find("text") != std::string::npos || type == "json" ||
      type == "jsonb") {
    return "text";
  }
  if (type.find("real") != std::string::npos || type.find("double") != std::string::npos ||
      type.find("numeric") != std::string::npos) {
    return "real";
  }
  return type;
}

Schema Read(Database& db) {
  Schema schema;
  if (db.backend() == Backend::kPostgres) {
    auto rows = db.Execute(
        "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns "
        "WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position");
    EXPECT_TRUE(rows.ok()) << rows.error().message;
    for (const auto& row : rows->rows) {
      schema[row.Text(0)][row.Text(1)] = Kind(row.Text(2)) + (row.Text(3) == "YES" ? ", null" : ", not null");
    }
    return schema;
  }
  auto tables = db.Execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'");
  EXPECT_TRUE(tables.ok()) << tables.error().message;
  for (const auto& table : tables->rows) {
    // pragma_table_info as a table-valued function takes the table name as a parameter.
    auto columns = db.Execute("SELECT name, type, \"notnull\", pk FROM pragma_table_info($1)", {table.Text(0)});
    EXPECT_TRUE(columns.ok()) << columns.error().message;
    for (const auto& c : columns->rows) {
      // A SQLite primary key column is NOT NULL in PostgreSQL's terms.
      bool not_null = c.Int(2) != 0 || c.Int(3) != 0;
      schema[table.Text(0)][c.Text(0)] = Kind(c.Text(1)) + (not_null ? ", not null" : ", null");
    }
  }
  return schema;
}

TEST(SchemaParityTest, SqliteAndPostgresHaveTheSameTablesAndColumns) {
  if (testing::TestBackends().size() < 2) GTEST_SKIP() << "needs MTL_TEST_POSTGRES_URL";
  auto sqlite = TestDatabase::Create(Backend::kSqlite);
  auto postgres = TestDatabase::Create(Backend::kPostgres);
  ASSERT_TRUE(Migrator(sqlite->db()).Apply().ok());
  ASSERT_TRUE(Migrator(postgres->db()).Apply().ok());
  Schema lite = Read(sqlite->db());
  Schema pg = Read(postgres->db());
  EXPECT_GT(lite.size(), 20u) << "the migrations made the tables";
  for (const auto& [table, columns] : lite) {
    ASSERT_TRUE(pg.count(table)) << "table " << table << " is only in SQLite";
    EXPECT_EQ(columns, pg.at(table)) << "table " << table << " differs";
  }
  for (const auto& [table, unused] : pg)
    EXPECT_TRUE(lite.count(table)) << "table " << table << " is only in PostgreSQL";
}

}  // namespace
}  // namespace meterline::storage
