// TestDatabase: a fresh, empty database for one test, on a real backend.
//
// SQLite: a new file in a temporary directory. PostgreSQL: a new database
// (CREATE DATABASE mtl_test_<random>) on the server named by the environment
// variable MTL_TEST_POSTGRES_URL (./scripts/test starts that server once for
// the whole run); dropped again when the TestDatabase is destroyed.
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "storage/database.hpp"

namespace meterline::testing {

// The backends the storage-dependent suites run against: SQLite always,
// PostgreSQL when MTL_TEST_POSTGRES_URL is set.
std::vector<storage::Backend> TestBackends();

// For INSTANTIATE_TEST_SUITE_P names: "sqlite" / "postgres".
std::string BackendParamName(storage::Backend backend);

class TestDatabase {
 public:
  // Creates the database and opens it (not yet migrated). Aborts the test
  // binary with a message when the backend cannot be reached.
  static std::unique_ptr<TestDatabase> Create(storage::Backend backend);
  ~TestDatabase();

  const std::string& url() const { return url_; }
  storage::Database& db() { return *db_; }

  // Opens another, independent Database on the same storage (e.g. to act as a
  // second billingd instance).
  std::unique_ptr<storage::Database> OpenAnother() const;

 private:
  TestDatabase() = default;
  storage::Backend backend_ = storage::Backend::kSqlite;
  std::string url_;
  std::string cleanup_;  // SQLite: directory to delete; PostgreSQL: database to drop
  std::unique_ptr<storage::Database> db_;
};

}  // namespace meterline::testing

namespace meterline::storage {
// Readable test names in gtest and ctest output ("sqlite", "postgres").
inline void PrintTo(Backend backend, std::ostream* os) { *os << BackendName(backend); }
}  // namespace meterline::storage
