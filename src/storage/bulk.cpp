#include "storage/bulk.hpp"

#include <map>
#include <mutex>

namespace meterline::storage {

namespace {

constexpr size_t kShapes[] = {256, 32, 4, 1};
constexpr size_t kInChunk = 256;

// The SQL text for `rows` rows, built once per (head, tail, columns, rows).
const std::string& InsertSql(std::string_view head, size_t columns, std::string_view tail, size_t rows) {
  static std::mutex mu;
  static std::map<std::string, std::string, std::less<>> cache;
  // The key is built in a buffer each thread reuses: no allocation per statement.
  thread_local std::string key;
  key.assign(head).append(1, '\x1f').append(tail).append(1, '\x1f');
  key.append(std::to_string(columns)).append(1, '\x1f').append(std::to_string(rows));
  std::lock_guard lock(mu);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  std::string sql(head);
  sql += " VALUES ";
  for (size_t r = 0; r < rows; ++r) {
    sql += r ? ", (" : "(";
    for (size_t c = 1; c <= columns; ++c) sql += (c > 1 ? ", $" : "$") + std::to_string(r * columns + c);
    sql += ')';
  }
  if (!tail.empty()) {
    sql += ' ';
    sql += tail;
  }
  return cache.emplace(key, std::move(sql)).first->second;
}

}  // namespace

Result<int64_t> InsertRows(Executor& ex, std::string_view head, size_t columns, const std::vector<Value>& values,
                           std::string_view tail, const RowCellsFn& on_row) {
  if (columns == 0 || values.size() % columns != 0) return InvalidArgument("InsertRows: ragged rows");
  size_t total_rows = values.size() / columns;
  int64_t affected = 0;
  for (size_t done = 0; done < total_rows;) {
    size_t left = total_rows - done;
    size_t rows = 1;
    for (size_t shape : kShapes) {
      if (left >= shape) {
        rows = shape;
        break;
      }
    }
    std::vector<Value> params(values.begin() + static_cast<std::ptrdiff_t>(done * columns),
                              values.begin() + static_cast<std::ptrdiff_t>((done + rows) * columns));
    const std::string& sql = InsertSql(head, columns, tail, rows);
    if (on_row) {
      MTL_ASSIGN_OR_RETURN(auto n, ex.ExecuteEach(sql, params, on_row));
      affected += n;
    } else {
      MTL_ASSIGN_OR_RETURN(auto r, ex.Execute(sql, params));
      affected += r.affected_rows;
    }
    done += rows;
  }
  return affected;
}

void AppendCopyField(std::string& row, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '\\': row += "\\\\"; break;
      case '\t': row += "\\t"; break;
      case '\n': row += "\\n"; break;
      case '\r': row += "\\r"; break;
      default: row += c;
    }
  }
}

void AppendCopyNull(std::string& row) { row += "\\N"; }

Status SelectIn(Executor& ex, std::string_view sql_with_in, const std::vector<Value>& leading,
                const std::vector<std::string>& keys, const std::function<void(const Row&)>& on_row) {
  size_t at = sql_with_in.find("IN_LIST");
  if (at == std::string_view::npos) return InvalidArgument("SelectIn: no IN_LIST in the statement");
  std::string list = "IN (";
  for (size_t i = 0; i < kInChunk; ++i) list += (i ? ", $" : "$") + std::to_string(leading.size() + i + 1);
  list += ')';
  std::string sql = std::string(sql_with_in.substr(0, at)) + list + std::string(sql_with_in.substr(at + 7));
  for (size_t done = 0; done < keys.size(); done += kInChunk) {
    std::vector<Value> params = leading;
    for (size_t i = 0; i < kInChunk; ++i) params.emplace_back(keys[std::min(done + i, keys.size() - 1)]);
    MTL_ASSIGN_OR_RETURN(auto r, ex.Execute(sql, params));
    for (const Row& row : r.rows) on_row(row);
  }
  return OkStatus();
}

}  // namespace meterline::storage
