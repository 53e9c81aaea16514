// Database: the one interface through which services reach transactional storage.
//
// Two backends implement it: SQLite (the embedded default, one file in WAL mode)
// and PostgreSQL (DATABASE_URL=postgresql://...). Callers write one portable SQL
// dialect:
//   - placeholders are $1, $2, ... (bound as parameters, never spliced into SQL);
//   - casts are CAST(x AS TYPE), never x::type; cast a parameter wherever
//     PostgreSQL cannot infer its type, e.g. "CAST($1 AS TEXT) IS NULL";
//   - timestamps are BIGINT milliseconds since the Unix epoch (UTC);
//   - money is BIGINT minor units; flags are INTEGER 0/1; JSON is text in and out.
// Both backends cache prepared statements per connection, keyed by the SQL text.
//
// Thread-safety: a Database is safe to use from many threads. A Transaction
// belongs to the thread running the Transact() body and must not escape it.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.hpp"

namespace meterline::storage {

enum class Backend { kSqlite, kPostgres };
const char* BackendName(Backend backend);  // "sqlite" | "postgres"

// Text a parameter binds without copying it: the caller keeps it alive until
// the statement has run (bulk writes bind many strings they already hold).
struct TextRef {
  std::string_view text;
};

// A bound parameter: NULL, a 64-bit integer, or text (owned or referenced).
using Value = std::variant<std::nullptr_t, int64_t, std::string, TextRef>;

// The cells of one result row as text views, valid only while the callback
// runs (NULL reads as empty). For bulk statements reading RETURNING, so no
// QueryResult is built per row.
using RowCellsFn = std::function<void(const std::vector<std::string_view>& cells)>;

// One result row. Column access by index; values arrive as the database gave them.
class Row {
 public:
  explicit Row(std::vector<std::optional<std::string>> cells) : cells_(std::move(cells)) {}

  size_t size() const { return cells_.size(); }
  bool IsNull(size_t col) const { return !cells_.at(col).has_value(); }
  // REQUIRES: the cell is not NULL and holds a decimal integer. Throws std::logic_error otherwise.
  int64_t Int(size_t col) const;
  // REQUIRES: the cell is not NULL. Throws std::logic_error otherwise.
  const std::string& Text(size_t col) const;
  std::optional<int64_t> OptInt(size_t col) const;
  std::optional<std::string> OptText(size_t col) const { return cells_.at(col); }

 private:
  std::vector<std::optional<std::string>> cells_;
};

struct QueryResult {
  std::vector<std::string> columns;
  std::vector<Row> rows;
  int64_t affected_rows = 0;  // for INSERT/UPDATE/DELETE
};

// Something that runs statements: a transaction, a database (each statement
// in its own transaction), or, internally, a connection. Stores take one, so
// that the caller decides whether a read joins its transaction.
class Executor {
 public:
  virtual ~Executor() = default;

  // Runs one statement with bound parameters. A unique/foreign-key/check
  // violation returns ErrorCode::kConflict with reason "constraint_violation";
  // a lost connection returns kUnavailable; other failures kInternal.
  virtual Result<QueryResult> Execute(std::string_view sql, const std::vector<Value>& params) = 0;

  Result<QueryResult> Execute(std::string_view sql, std::initializer_list<Value> params = {}) {
    return Execute(sql, std::vector<Value>(params));
  }

  // Like Execute, passing each result row to `on_row` as it is read instead of
  // collecting them; returns the affected rows. The default collects, then
  // passes (SQLite reads straight from the statement).
  virtual Result<int64_t> ExecuteEach(std::string_view sql, const std::vector<Value>& params, const RowCellsFn& on_row);
};

class Transaction : public Executor {
 public:
  // Runs a script of several statements without parameters (migrations only).
  virtual Status ExecuteScript(std::string_view sql) = 0;

  // PostgreSQL only: COPY `target` ("table (col, …)") FROM STDIN with `rows`
  // in COPY's text format (see AppendCopyField in storage/bulk.hpp): the
  // fastest way to load many rows. Other backends answer kInternal.
  virtual Status CopyIn(std::string_view target, std::string_view rows);
};

enum class TxMode {
  kReadWrite,  // SQLite: BEGIN IMMEDIATE (takes the write lock up front); PostgreSQL: BEGIN
  kReadOnly,   // SQLite: BEGIN (deferred); PostgreSQL: BEGIN READ ONLY
};

struct PoolStats {
  int size = 0;    // connections the pool may hold
  int in_use = 0;  // connections lent out right now
};

struct DatabaseOptions {
  // "postgresql://..." / "postgres://..." selects PostgreSQL; "sqlite:PATH",
  // "file:PATH" or a plain path selects SQLite. Empty means "sqlite:./data/meterline.db".
  std::string url;
  // Maximum pooled connections (PostgreSQL) / reader connections (SQLite).
  int pool_size = 8;
  // How long a caller waits for a free pooled connection before kUnavailable.
  int acquire_timeout_ms = 5000;
  // SQLite: how long a writer waits on a locked database (busy_timeout).
  int busy_timeout_ms = 5000;
  // SQLite: statement and savepoint journals (and temporary tables) in memory
  // instead of temporary files (PRAGMA temp_store=MEMORY). For the usage
  // shard files: a batch insert journals every page it changes, and writing
  // that through a file cost a fifth of the writer's time.
  bool temp_in_memory = false;
};

class Database : public Executor {
 public:
  // Opens a database per options.url. SQLite creates the file and its parent
  // directory when missing and turns on WAL, foreign keys and the busy timeout.
  // PostgreSQL connects once to check the URL. Fails with kUnavailable when the
  // server cannot be reached, kInvalidArgument for a malformed URL.
  static Result<std::unique_ptr<Database>> Open(const DatabaseOptions& options);

  virtual Backend backend() const = 0;

  // Execute() runs one statement in its own (autocommit) transaction on a pooled connection.
  using Executor::Execute;

  // Runs `body` inside one transaction: commits when it returns OK, rolls back
  // when it returns an error or throws (the exception is rethrown).
  virtual Status Transact(TxMode mode, const std::function<Status(Transaction&)>& body) = 0;

  // Checks that the database answers (SELECT 1).
  virtual Status Ping() = 0;

  virtual PoolStats pool_stats() const = 0;
};

// Masks the password of a database URL for logs: postgresql://u:***@host/db,
// and a password query parameter (?password=***).
std::string RedactUrl(std::string_view url);

}  // namespace meterline::storage
