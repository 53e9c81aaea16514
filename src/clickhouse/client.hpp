// ClickHouse: a small client for ClickHouse's HTTP interface (libcurl), enough
// for the usage store: statements, TabSeparated inserts and reads, and
// external tables.
//
// Values never become SQL text except through Quote() (string literals) and
// integers we format ourselves: ClickHouse 18.16, the oldest release we support,
// has no bound query parameters. Lists of ids travel as external tables (sent
// as multipart data beside the query, not counted in max_query_size).
//
// URL form: http[s]://[user[:password]@]host:port[/database]; the database
// defaults to "default". The password is sent as the X-ClickHouse-Key header
// and never logged. Thread-safe: each call borrows a pooled curl handle, so
// connections are reused.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace meterline::clickhouse {

// A table sent with one query: SELECT … FROM <name>. Rows are TabSeparated.
struct ExternalTable {
  std::string name;       // [A-Za-z_][A-Za-z0-9_]*
  std::string structure;  // e.g. "customer_id String, event_id String"
  std::string tsv;        // rows, each ending in '\n' (see AppendTsvRow)
};

struct Endpoint {
  std::string base_url;  // scheme://host:port, no credentials
  std::string user;
  std::string password;
  std::string database;
};

// Parses a CLICKHOUSE_URL. kInvalidArgument names what is wrong.
Result<Endpoint> ParseUrl(std::string_view url);

class Client {
 public:
  explicit Client(Endpoint endpoint, int timeout_ms = 30'000);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const Endpoint& endpoint() const { return endpoint_; }

  // Runs one statement in the client's database and returns the response body
  // (for SELECT: rows in the format the statement names, TabSeparated by
  // default). `settings` are URL query settings, e.g. {"insert_distributed_sync","1"}.
  // A server error is kInternal with ClickHouse's message; no answer is kUnavailable.
  Result<std::string> Query(std::string_view sql, const std::vector<ExternalTable>& tables = {},
                            const std::vector<std::pair<std::string, std::string>>& settings = {});

  // INSERT INTO <table> [(columns)] FORMAT TabSeparated with `tsv` as the
  // data (columns left out take their defaults). One call is one block:
  // ClickHouse writes it to a MergeTree table as one part, all or nothing (up
  // to max_insert_block_size rows, ~1M).
  Status InsertTsv(std::string_view table, std::string_view tsv,
                   const std::vector<std::pair<std::string, std::string>>& settings = {},
                   const std::vector<std::string_view>& columns = {});

  // GET /ping.
  Status Ping();

 private:
  struct Pool;
  Endpoint endpoint_;
  int timeout_ms_;
  std::unique_ptr<Pool> pool_;
};

// 'text' as a ClickHouse string literal, with \ ' and control bytes escaped.
std::string Quote(std::string_view text);

// Appends fields as one TabSeparated row (escaping \ \t \n \r \0 and ').
void AppendTsvRow(std::string& out, std::initializer_list<std::string_view> fields);

// Splits a TabSeparated body into rows of unescaped fields.
Result<std::vector<std::vector<std::string>>> ParseTsv(std::string_view body);

// True for names safe to splice as identifiers: [A-Za-z_][A-Za-z0-9_]{0,63}.
bool IsIdentifier(std::string_view name);

}  // namespace meterline::clickhouse
