// SQLite backend: one writer connection (writes are serialized, as SQLite
// requires) and a pool of reader connections that run concurrently with it
// under WAL. synchronous=FULL: a committed transaction survives power loss.
#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <charconv>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <mutex>
#include "core/log.hpp"
#include "storage/backends.hpp"
#include "storage/sqlite/sqlite_memory.hpp"
#include "storage/statement_cache.hpp"

namespace meterline::storage {

namespace {

Error SqliteError(sqlite3* db, int rc, std::string_view what) {
  std::string message = std::string(what) + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT: return Error(ErrorCode::kConflict, "constraint_violation", message);
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return Error(ErrorCode::kUnavailable, "database_busy", message);
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN: return Error(ErrorCode::kUnavailable, "database_unavailable", message);
    default: return Internal(message);
  }
}

// One sqlite3 handle and its prepared statements. Used by one thread at a time.
class SqliteConnection final : public Transaction {
 public:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  ~SqliteConnection() override {
    statements_.Clear();  // finalized before the handle closes
    sqlite3_close_v2(db_);
  }

  Result<QueryResult> Execute(std::string_view sql, const std::vector<Value>& params) override {
    MTL_ASSIGN_OR_RETURN(auto prepared, Prepare(sql));
    QueryResult result;
    int columns = sqlite3_column_count(prepared->stmt);
    for (int c = 0; c < columns; ++c) result.columns.emplace_back(sqlite3_column_name(prepared->stmt, c));
    MTL_ASSIGN_OR_RETURN(result.affected_rows, Run(*prepared, params, [&](sqlite3_stmt* stmt) {
                           std::vector<std::optional<std::string>> cells;
                           cells.reserve(columns);
                           for (int c = 0; c < columns; ++c) {
                             switch (sqlite3_column_type(stmt, c)) {
                               case SQLITE_NULL: cells.emplace_back(std::nullopt); break;
                               case SQLITE_INTEGER:
                                 cells.emplace_back(std::to_string(sqlite3_column_int64(stmt, c)));
                                 break;
                               default: cells.emplace_back(std::string(ColumnText(stmt, c)));
                             }
                           }
                           result.rows.emplace_back(std::move(cells));
                         }));
    return result;
  }

  Result<int64_t> ExecuteEach(std::string_view sql, const std::vector<Value>& params,
                              const RowCellsFn& on_row) override {
    MTL_ASSIGN_OR_RETURN(auto prepared, Prepare(sql));
    int columns = sqlite3_column_count(prepared->stmt);
    std::vector<std::string_view> cells;
    return Run(*prepared, params, [&](sqlite3_stmt* stmt) {
      cells.clear();
      // Integers too are read as text: SQLite converts them in the statement's own buffer.
      for (int c = 0; c < columns; ++c) cells.push_back(ColumnText(stmt, c));
      on_row(cells);
    });
  }

  Status ExecuteScript(std::string_view sql) override {
    std::string script(sql);
    char* message = nullptr;
    int rc = sqlite3_exec(db_, script.c_str(), nullptr, nullptr, &message);
    if (rc != SQLITE_OK) {
      std::string text = message ? message : sqlite3_errstr(rc);
      sqlite3_free(message);
      Error error = SqliteError(nullptr, rc, "script failed");
      error.message = "script failed: " + text;
      return error;
    }
    return OkStatus();
  }

  sqlite3* handle() { return db_; }

 private:
  // A prepared statement and, per SQLite parameter slot, the N of its "$N"
  // (looked up once: sqlite3_bind_parameter_name is linear in the slot count).
  struct Prepared {
    sqlite3_stmt* stmt = nullptr;
    std::vector<size_t> numbers;
  };

  static std::string_view ColumnText(sqlite3_stmt* stmt, int c) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
    return text ? std::string_view(text, static_cast<size_t>(sqlite3_column_bytes(stmt, c))) : std::string_view();
  }

  // Binds `params` to a prepared statement, steps it and calls
  // `on_row(stmt)` per result row; returns the affected rows.
  template <typename OnRow>
  Result<int64_t> Run(const Prepared& prepared, const std::vector<Value>& params, const OnRow& on_row) {
    sqlite3_stmt* stmt = prepared.stmt;
    const std::vector<size_t>& numbers = prepared.numbers;
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    int count = static_cast<int>(numbers.size());
    for (int i = 1; i <= count; ++i) {
      size_t index = numbers[i - 1];
      if (index > params.size()) {
        return InvalidArgument("SQL refers to $" + std::to_string(index) + " but only " +
                               std::to_string(params.size()) + " parameters were given");
      }
      const Value& value = params[index - 1];
      int rc = SQLITE_OK;
      // Text is not copied (SQLITE_STATIC): `params`, and what a TextRef
      // points to, outlive every step below, and the next Run clears these
      // bindings before the statement runs again.
      if (std::holds_alternative<std::nullptr_t>(value)) {
        rc = sqlite3_bind_null(stmt, i);
      } else if (auto* n = std::get_if<int64_t>(&value)) {
        rc = sqlite3_bind_int64(stmt, i, *n);
      } else if (auto* ref = std::get_if<TextRef>(&value)) {
        rc = sqlite3_bind_text64(stmt, i, ref->text.data(), ref->text.size(), SQLITE_STATIC, SQLITE_UTF8);
      } else {
        const std::string& text = std::get<std::string>(value);
        rc = sqlite3_bind_text64(stmt, i, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8);
      }
      if (rc != SQLITE_OK) return SqliteError(db_, rc, "bind");
    }
    while (true) {
      int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) {
        Error error = SqliteError(db_, rc, "query failed");
        sqlite3_reset(stmt);
        return error;
      }
      on_row(stmt);
    }
    int64_t affected = sqlite3_changes64(db_);
    sqlite3_reset(stmt);
    return affected;
  }

  Result<const Prepared*> Prepare(std::string_view sql) {
    if (const Prepared* cached = statements_.Find(sql)) return cached;
    Prepared prepared;
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                &prepared.stmt, nullptr);
    if (rc != SQLITE_OK) return SqliteError(db_, rc, "prepare failed");
    int count = sqlite3_bind_parameter_count(prepared.stmt);
    for (int i = 1; i <= count; ++i) {
      // Parameters are written $1, $2, …: each slot is bound by the number in its name.
      const char* name = sqlite3_bind_parameter_name(prepared.stmt, i);
      size_t number = 0;
      if (name == nullptr || name[0] != '$' ||
          std::from_chars(name + 1, name + std::strlen(name), number).ec != std::errc() || number == 0) {
        sqlite3_finalize(prepared.stmt);
        return InvalidArgument("SQL parameters must be written $1, $2, …: " + std::string(sql.substr(0, 80)));
      }
      prepared.numbers.push_back(number);
    }
    return &statements_.Insert(std::string(sql), std::move(prepared));
  }

  sqlite3* db_;
  StatementCache<Prepared> statements_{kStatementCacheCapacity, [](Prepared& p) { sqlite3_finalize(p.stmt); }};
};

bool IsReadOnlySql(std::string_view sql) {
  size_t start = sql.find_first_not_of(" \t\r\n(");
  if (start == std::string_view::npos) return false;
  std::string head;
  for (size_t i = start; i < sql.size() && head.size() < 6 && std::isalpha(static_cast<unsigned char>(sql[i])); ++i) {
    head += static_cast<char>(std::toupper(static_cast<unsigned char>(sql[i])));
  }
  return head == "SELECT";
}

// Counts the writer connection as lent out for the guard's lifetime (pool_stats).
struct InUse {
  explicit InUse(std::atomic<int>& counter) : counter_(counter) { ++counter_; }
  ~InUse() { --counter_; }
  std::atomic<int>& counter_;
};

class SqliteDatabase final : public Database {
 public:
  SqliteDatabase(std::string path, const DatabaseOptions& options) : path_(std::move(path)), options_(options) {}

  Status Init() {
    std::error_code ec;
    auto parent = std::filesystem::path(path_).parent_path();
    if (!parent.empty() && !std::filesystem::exists(parent, ec)) {
      // Only its owner reads the folder that holds the database (and, in
      // DATA_DIR, the generated secrets).
      std::filesystem::create_directories(parent, ec);
      std::filesystem::permissions(parent, std::filesystem::perms::owner_all, ec);
    }
    // The database file is the owner's alone; SQLite gives its -wal and -shm
    // files the same mode.
    if (path_ != ":memory:") {
      int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      if (fd >= 0) ::close(fd);
    }
    auto writer = OpenConnection();
    if (!writer.ok()) return std::move(writer).error();
    writer_ = std::move(writer).value();
    // WAL lets readers run while the writer writes; it is a property of the file.
    MTL_RETURN_IF_ERROR(writer_->ExecuteScript("PRAGMA journal_mode=WAL;"));
    return OkStatus();
  }

  Backend backend() const override { return Backend::kSqlite; }

  Result<QueryResult> Execute(std::string_view sql, const std::vector<Value>& params) override {
    if (IsReadOnlySql(sql)) {
      MTL_ASSIGN_OR_RETURN(auto reader, AcquireReader());
      auto result = reader->Execute(sql, params);
      ReleaseReader(std::move(reader));
      return result;
    }
    std::lock_guard lock(writer_mutex_);
    InUse in_use(in_use_);
    return writer_->Execute(sql, params);
  }

  Status Transact(TxMode mode, const std::function<Status(Transaction&)>& body) override {
    if (mode == TxMode::kReadOnly) {
      MTL_ASSIGN_OR_RETURN(auto reader, AcquireReader());
      std::unique_ptr<SqliteConnection> connection = std::move(reader);
      Status status;
      try {
        status = RunTransaction(*connection, "BEGIN", body);
      } catch (...) {
        ReleaseReader(std::move(connection));
        throw;
      }
      ReleaseReader(std::move(connection));
      return status;
    }
    std::lock_guard lock(writer_mutex_);
    InUse in_use(in_use_);
    return RunTransaction(*writer_, "BEGIN IMMEDIATE", body);
  }

  Status Ping() override {
    MTL_RETURN_IF_ERROR(Execute("SELECT 1", {}));
    return OkStatus();
  }

  PoolStats pool_stats() const override { return {1 + options_.pool_size, in_use_.load()}; }

 private:
  Status RunTransaction(SqliteConnection& connection, const char* begin,
                        const std::function<Status(Transaction&)>& body) {
    MTL_RETURN_IF_ERROR(connection.ExecuteScript(begin));
    Status status;
    try {
      status = body(connection);
    } catch (...) {
      (void)connection.ExecuteScript("ROLLBACK");
      throw;
    }
    if (!status.ok()) {
      (void)connection.ExecuteScript("ROLLBACK");
      return status;
    }
    Status commit = connection.ExecuteScript("COMMIT");
    if (!commit.ok()) (void)connection.ExecuteScript("ROLLBACK");
    return commit;
  }

  Result<std::unique_ptr<SqliteConnection>> OpenConnection() {
    UseSqliteMemory();
    sqlite3* db = nullptr;
    int rc =
        sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      Error error =
          Unavailable("cannot open SQLite database " + path_ + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
      sqlite3_close_v2(db);
      return error;
    }
    sqlite3_busy_timeout(db, options_.busy_timeout_ms);
    auto connection = std::make_unique<SqliteConnection>(db);
    // FULL: fsync the WAL on every commit, so an acknowledged write survives power loss.
    // A 64 MiB page cache per connection (SQLite's default is 2 MiB) and reads
    // through mmap keep large indexes (usage events, invoices) off the syscall path.
    MTL_RETURN_IF_ERROR(connection->ExecuteScript(
        "PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL; PRAGMA cache_size=-65536; PRAGMA mmap_size=1073741824;"));
    if (options_.temp_in_memory) MTL_RETURN_IF_ERROR(connection->ExecuteScript("PRAGMA temp_store=MEMORY;"));
    return connection;
  }

  Result<std::unique_ptr<SqliteConnection>> AcquireReader() {
    std::unique_lock lock(readers_mutex_);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.acquire_timeout_ms);
    while (idle_readers_.empty() && open_readers_ >= options_.pool_size) {
      if (readers_cv_.wait_until(lock, deadline) == std::cv_status::timeout && idle_readers_.empty() &&
          open_readers_ >= options_.pool_size) {
        return Unavailable("no free SQLite reader connection within " + std::to_string(options_.acquire_timeout_ms) +
                           " ms");
      }
    }
    ++in_use_;
    if (!idle_readers_.empty()) {
      auto connection = std::move(idle_readers_.back());
      idle_readers_.pop_back();
      return connection;
    }
    ++open_readers_;
    lock.unlock();
    auto opened = OpenConnection();
    if (!opened.ok()) {
      std::lock_guard relock(readers_mutex_);
      --open_readers_;
      --in_use_;
      readers_cv_.notify_one();
    }
    return opened;
  }

  void ReleaseReader(std::unique_ptr<SqliteConnection> connection) {
    std::lock_guard lock(readers_mutex_);
    --in_use_;
    idle_readers_.push_back(std::move(connection));
    readers_cv_.notify_one();
  }

  std::string path_;
  DatabaseOptions options_;
  std::mutex writer_mutex_;
  std::unique_ptr<SqliteConnection> writer_;
  std::mutex readers_mutex_;
  std::condition_variable readers_cv_;
  std::vector<std::unique_ptr<SqliteConnection>> idle_readers_;
  int open_readers_ = 0;
  std::atomic<int> in_use_{0};
};

}  // namespace

Result<std::unique_ptr<Database>> OpenSqlite(const std::string& path, const DatabaseOptions& options) {
  auto db = std::make_unique<SqliteDatabase>(path, options);
  MTL_RETURN_IF_ERROR(db->Init());
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace meterline::storage
