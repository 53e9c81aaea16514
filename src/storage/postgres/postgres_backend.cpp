// PostgreSQL backend: a pool of libpq connections, each with its own cache of
// prepared statements. A connection that breaks is discarded, never returned
// to the pool; the next caller opens a new one.
#include <libpq-fe.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <string>

#include "core/log.hpp"
#include "storage/backends.hpp"
#include "storage/statement_cache.hpp"

namespace meterline::storage {

namespace {

class PgConnection final : public Transaction {
 public:
  explicit PgConnection(PGconn* conn) : conn_(conn) {}
  ~PgConnection() override { PQfinish(conn_); }  // the session's end frees its statements

  bool broken() const { return PQstatus(conn_) != CONNECTION_OK; }

  Result<QueryResult> Execute(std::string_view sql, const std::vector<Value>& params) override {
    MTL_ASSIGN_OR_RETURN(auto name, Prepare(sql));
    std::vector<std::string> storage;
    storage.reserve(params.size());
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const Value& v : params) {
      if (std::holds_alternative<std::nullptr_t>(v)) {
        values.push_back(nullptr);
      } else if (auto* n = std::get_if<int64_t>(&v)) {
        storage.push_back(std::to_string(*n));
        values.push_back(storage.back().c_str());
      } else if (auto* ref = std::get_if<TextRef>(&v)) {
        storage.emplace_back(ref->text);  // libpq wants it NUL-terminated
        values.push_back(storage.back().c_str());
      } else {
        values.push_back(std::get<std::string>(v).c_str());
      }
    }
    PGresult* res =
        PQexecPrepared(conn_, name.c_str(), static_cast<int>(values.size()), values.data(), nullptr, nullptr, 0);
    return Collect(res, "query failed");
  }

  Status ExecuteScript(std::string_view sql) override {
    std::string script(sql);
    PGresult* res = PQexec(conn_, script.c_str());
    MTL_RETURN_IF_ERROR(Collect(res, "script failed"));
    return OkStatus();
  }

  Status CopyIn(std::string_view target, std::string_view rows) override {
    std::string sql = "COPY " + std::string(target) + " FROM STDIN";
    PGresult* res = PQexec(conn_, sql.c_str());
    if (res == nullptr || PQresultStatus(res) != PGRES_COPY_IN) return Collect(res, "copy failed").error();
    PQclear(res);
    // In pieces: PQputCopyData takes an int length.
    constexpr size_t kPiece = size_t{1} << 20;
    bool sent = true;
    for (size_t at = 0; at < rows.size() && sent; at += kPiece) {
      size_t n = std::min(kPiece, rows.size() - at);
      sent = PQputCopyData(conn_, rows.data() + at, static_cast<int>(n)) == 1;
    }
    if (PQputCopyEnd(conn_, sent ? nullptr : "client failed to send the rows") != 1) sent = false;
    // The COPY's own result, then the end of the results (nullptr).
    Status status = OkStatus();
    while (PGresult* done = PQgetResult(conn_)) {
      auto collected = Collect(done, "copy failed");
      if (!collected.ok() && status.ok()) status = std::move(collected).error();
    }
    if (status.ok() && !sent)
      return Error(ErrorCode::kUnavailable, "database_unavailable",
                   "copy failed: " + std::string(PQerrorMessage(conn_)));
    return status;
  }

  // Evicted statements are freed on the server only between transactions: a
  // DEALLOCATE that failed inside one would abort the caller's transaction.
  void DeallocateEvicted() {
    if (evicted_.empty() || PQtransactionStatus(conn_) != PQTRANS_IDLE) return;
    std::string sql;
    for (const std::string& name : evicted_) sql += "DEALLOCATE " + name + ";";
    evicted_.clear();
    PQclear(PQexec(conn_, sql.c_str()));  // best effort; the session's end frees them anyway
  }

 private:
  // Turns a PGresult into rows or an Error; frees it.
  Result<QueryResult> Collect(PGresult* res, std::string_view what) {
    ExecStatusType status = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      std::string message = res ? PQresultErrorMessage(res) : PQerrorMessage(conn_);
      while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
      const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
      std::string sqlstate = state ? state : "";
      if (res) PQclear(res);
      std::string text = std::string(what) + ": " + message;
      if (broken()) return Error(ErrorCode::kUnavailable, "database_unavailable", text);
      if (sqlstate.rfind("23", 0) == 0) return Error(ErrorCode::kConflict, "constraint_violation", text);
      if (sqlstate == "40001" || sqlstate == "40P01") return Error(ErrorCode::kConflict, "serialization_failure", text);
      if (sqlstate.rfind("08", 0) == 0 || sqlstate.rfind("57P", 0) == 0) {
        return Error(ErrorCode::kUnavailable, "database_unavailable", text);
      }
      return Internal(text);
    }
    QueryResult result;
    int columns = PQnfields(res);
    int rows = PQntuples(res);
    for (int c = 0; c < columns; ++c) result.columns.emplace_back(PQfname(res, c));
    result.rows.reserve(rows);
    for (int r = 0; r < rows; ++r) {
      std::vector<std::optional<std::string>> cells;
      cells.reserve(columns);
      for (int c = 0; c < columns; ++c) {
        if (PQgetisnull(res, r, c)) {
          cells.emplace_back(std::nullopt);
        } else {
          cells.emplace_back(std::string(PQgetvalue(res, r, c), PQgetlength(res, r, c)));
        }
      }
      result.rows.emplace_back(std::move(cells));
    }
    const char* affected = PQcmdTuples(res);
    if (affected && *affected) result.affected_rows = std::stoll(affected);
    PQclear(res);
    return result;
  }

  Result<std::string> Prepare(std::string_view sql) {
    if (const std::string* cached = statements_.Find(sql)) return *cached;
    DeallocateEvicted();
    // Names are never reused, so a DEALLOCATE that is late or lost cannot
    // clash with a newer statement.
    std::string name = "mtl_" + std::to_string(++prepared_count_);
    std::string text(sql);
    PGresult* res = PQprepare(conn_, name.c_str(), text.c_str(), 0, nullptr);
    MTL_RETURN_IF_ERROR(Collect(res, "prepare failed"));
    return statements_.Insert(std::move(text), name);
  }

  PGconn* conn_;
  uint64_t prepared_count_ = 0;
  std::vector<std::string> evicted_;  // declared before statements_, so it outlives it
  StatementCache<std::string> statements_{kStatementCacheCapacity,
                                          [this](std::string& name) { evicted_.push_back(name); }};
};

class PostgresDatabase final : public Database {
 public:
  PostgresDatabase(std::string url, const DatabaseOptions& options) : url_(std::move(url)), options_(options) {}

  Status Init() {
    MTL_ASSIGN_OR_RETURN(auto connection, Connect());
    idle_.push_back(std::move(connection));
    ++open_;
    return OkStatus();
  }

  Backend backend() const override { return Backend::kPostgres; }

  Result<QueryResult> Execute(std::string_view sql, const std::vector<Value>& params) override {
    MTL_ASSIGN_OR_RETURN(auto connection, Acquire());
    auto result = connection->Execute(sql, params);
    Release(std::move(connection));
    return result;
  }

  Status Transact(TxMode mode, const std::function<Status(Transaction&)>& body) override {
    MTL_ASSIGN_OR_RETURN(auto acquired, Acquire());
    std::unique_ptr<PgConnection> connection = std::move(acquired);
    Status begin = connection->ExecuteScript(mode == TxMode::kReadOnly ? "BEGIN READ ONLY" : "BEGIN");
    if (!begin.ok()) {
      Release(std::move(connection));
      return begin;
    }
    Status status;
    try {
      status = body(*connection);
    } catch (...) {
      (void)connection->ExecuteScript("ROLLBACK");
      Release(std::move(connection));
      throw;
    }
    if (status.ok()) {
      status = connection->ExecuteScript("COMMIT");
    } else {
      (void)connection->ExecuteScript("ROLLBACK");
    }
    connection->DeallocateEvicted();
    Release(std::move(connection));
    return status;
  }

  Status Ping() override {
    MTL_RETURN_IF_ERROR(Execute("SELECT 1", {}));
    return OkStatus();
  }

  PoolStats pool_stats() const override { return {options_.pool_size, in_use_.load()}; }

 private:
  Result<std::unique_ptr<PgConnection>> Connect() {
    PGconn* conn = PQconnectdb(url_.c_str());
    if (PQstatus(conn) != CONNECTION_OK) {
      std::string message = PQerrorMessage(conn);
      while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
      PQfinish(conn);
      return Unavailable("cannot connect to PostgreSQL at " + RedactUrl(url_) + ": " + message);
    }
    // Server NOTICEs ("already exists, skipping") go to the debug log, not stderr.
    PQsetNoticeProcessor(
        conn,
        [](void*, const char* message) {
          log::Debug("postgres notice", {{"notice", message}});
        },
        nullptr);
    auto connection = std::make_unique<PgConnection>(conn);
    MTL_RETURN_IF_ERROR(connection->ExecuteScript(
        "SET client_encoding = 'UTF8'; SET TimeZone = 'UTC'; SET application_name = 'billingd'"));
    return connection;
  }

  Result<std::unique_ptr<PgConnection>> Acquire() {
    std::unique_lock lock(mutex_);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.acquire_timeout_ms);
    while (idle_.empty() && open_ >= options_.pool_size) {
      if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() && open_ >= options_.pool_size) {
        return Unavailable("no free PostgreSQL connection within " + std::to_string(options_.acquire_timeout_ms) +
                           " ms (pool size " + std::to_string(options_.pool_size) + ")");
      }
    }
    ++in_use_;
    if (!idle_.empty()) {
      auto connection = std::move(idle_.back());
      idle_.pop_back();
      if (!connection->broken()) return connection;
      --open_;  // discard it and open a fresh one below
    }
    ++open_;
    lock.unlock();
    auto connection = Connect();
    if (!connection.ok()) {
      std::lock_guard relock(mutex_);
      --open_;
      --in_use_;
      cv_.notify_one();
    }
    return connection;
  }

  void Release(std::unique_ptr<PgConnection> connection) {
    std::lock_guard lock(mutex_);
    --in_use_;
    if (connection->broken()) {
      --open_;
    } else {
      idle_.push_back(std::move(connection));
    }
    cv_.notify_one();
  }

  std::string url_;
  DatabaseOptions options_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<PgConnection>> idle_;
  int open_ = 0;
  std::atomic<int> in_use_{0};
};

}  // namespace

Result<std::unique_ptr<Database>> OpenPostgres(const std::string& url, const DatabaseOptions& options) {
  auto db = std::make_unique<PostgresDatabase>(url, options);
  MTL_RETURN_IF_ERROR(db->Init());
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace meterline::storage
