#include "support/test_database.hpp"

#include <libpq-fe.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "core/ids.hpp"

namespace meterline::testing {

namespace {

const char* PostgresAdminUrl() { return std::getenv("MTL_TEST_POSTGRES_URL"); }

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "TestDatabase: %s\n", message.c_str());
  std::abort();
}

void AdminCommand(const std::string& sql) {
  PGconn* conn = PQconnectdb(PostgresAdminUrl());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = PQerrorMessage(conn);
    PQfinish(conn);
    Die("cannot connect to MTL_TEST_POSTGRES_URL: " + message);
  }
  PGresult* res = PQexec(conn, sql.c_str());
  bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
  std::string message = PQresultErrorMessage(res);
  PQclear(res);
  PQfinish(conn);
  if (!ok) Die(sql + ": " + message);
}

// postgresql://user@host:port/postgres -> postgresql://user@host:port/<name>
std::string WithDatabase(const std::string& url, const std::string& name) {
  auto authority = url.find("://");
  auto slash = url.find('/', authority == std::string::npos ? 0 : authority + 3);
  std::string base = slash == std::string::npos ? url : url.substr(0, slash);
  std::string query;
  if (auto q = url.find('?'); q != std::string::npos) query = url.substr(q);
  return base + "/" + name + query;
}

}  // namespace

std::vector<storage::Backend> TestBackends() {
  std::vector<storage::Backend> backends = {storage::Backend::kSqlite};
  if (PostgresAdminUrl() != nullptr && *PostgresAdminUrl() != '\0') backends.push_back(storage::Backend::kPostgres);
  return backends;
}

std::string BackendParamName(storage::Backend backend) { return storage::BackendName(backend); }

std::unique_ptr<TestDatabase> TestDatabase::Create(storage::Backend backend) {
  std::unique_ptr<TestDatabase> t(new TestDatabase());
  t->backend_ = backend;
  std::string suffix = RandomHex(8);
  if (backend == storage::Backend::kSqlite) {
    auto dir = std::filesystem::temp_directory_path() / ("mtl_test_" + std::to_string(::getpid()) + "_" + suffix);
    std::filesystem::create_directories(dir);
    t->cleanup_ = dir.string();
    t->url_ = "sqlite:" + (dir / "test.db").string();
  } else {
    if (PostgresAdminUrl() == nullptr) Die("MTL_TEST_POSTGRES_URL is not set");
    std::string name = "mtl_test_" + suffix;
    AdminCommand("CREATE DATABASE " + name);
    t->cleanup_ = name;
    t->url_ = WithDatabase(PostgresAdminUrl(), name);
  }
  auto db = storage::Database::Open({.url = t->url_});
  if (!db.ok()) Die("cannot open " + t->url_ + ": " + db.error().message);
  t->db_ = std::move(db).value();
  return t;
}

std::unique_ptr<storage::Database> TestDatabase::OpenAnother() const {
  auto db = storage::Database::Open({.url = url_});
  if (!db.ok()) Die("cannot open " + url_ + ": " + db.error().message);
  return std::move(db).value();
}

TestDatabase::~TestDatabase() {
  db_.reset();
  if (backend_ == storage::Backend::kSqlite) {
    std::error_code ec;
    std::filesystem::remove_all(cleanup_, ec);
  } else {
    AdminCommand("DROP DATABASE IF EXISTS " + cleanup_ + " WITH (FORCE)");
  }
}

}  // namespace meterline::testing
