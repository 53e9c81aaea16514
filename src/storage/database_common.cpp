// Parts of storage/database.hpp shared by both backends.
#include <cctype>
#include <charconv>
#include <stdexcept>

#include "storage/backends.hpp"
#include "storage/database.hpp"

namespace meterline::storage {

const char* BackendName(Backend backend) { return backend == Backend::kPostgres ? "postgres" : "sqlite"; }

int64_t Row::Int(size_t col) const {
  const auto& cell = cells_.at(col);
  if (!cell) throw std::logic_error("column " + std::to_string(col) + " is NULL");
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(cell->data(), cell->data() + cell->size(), value);
  if (ec != std::errc() || ptr != cell->data() + cell->size()) {
    throw std::logic_error("column " + std::to_string(col) + " is not an integer: '" + *cell + "'");
  }
  return value;
}

const std::string& Row::Text(size_t col) const {
  const auto& cell = cells_.at(col);
  if (!cell) throw std::logic_error("column " + std::to_string(col) + " is NULL");
  return *cell;
}

std::optional<int64_t> Row::OptInt(size_t col) const {
  if (IsNull(col)) return std::nullopt;
  return Int(col);
}

namespace {

// "user:secret@" in the authority -> "user:***@".
std::string RedactUserInfo(std::string_view url) {
  auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string(url);
  auto authority_start = scheme + 3;
  auto at = url.find('@', authority_start);
  auto slash = url.find('/', authority_start);
  if (at == std::string_view::npos || (slash != std::string_view::npos && at > slash)) return std::string(url);
  auto colon = url.find(':', authority_start);
  if (colon == std::string_view::npos || colon > at) return std::string(url);
  return std::string(url.substr(0, colon + 1)) + "***" + std::string(url.substr(at));
}

}  // namespace

Result<int64_t> Executor::ExecuteEach(std::string_view sql, const std::vector<Value>& params,
                                      const RowCellsFn& on_row) {
  MTL_ASSIGN_OR_RETURN(auto result, Execute(sql, params));
  std::vector<std::string_view> cells;
  for (const Row& row : result.rows) {
    cells.clear();
    for (size_t c = 0; c < row.size(); ++c) cells.push_back(row.IsNull(c) ? std::string_view() : row.Text(c));
    on_row(cells);
  }
  return result.affected_rows;
}

Status Transaction::CopyIn(std::string_view target, std::string_view) {
  return Internal("COPY into " + std::string(target) + " needs PostgreSQL");
}

std::string RedactUrl(std::string_view url) {
  std::string out = RedactUserInfo(url);
  // libpq also takes the password as a query parameter: "?password=…".
  auto query = out.find('?');
  if (query == std::string::npos) return out;
  for (size_t at = query + 1; at < out.size();) {
    size_t end = out.find('&', at);
    if (end == std::string::npos) end = out.size();
    size_t eq = out.find('=', at);
    if (eq != std::string::npos && eq < end) {
      std::string key = out.substr(at, eq - at);
      for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (key == "password" || key == "sslpassword") {
        out.replace(eq + 1, end - eq - 1, "***");
        end = eq + 4;
      }
    }
    at = end + 1;
  }
  return out;
}

Result<std::unique_ptr<Database>> Database::Open(const DatabaseOptions& options) {
  std::string url = options.url.empty() ? "sqlite:./data/meterline.db" : options.url;
  if (url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0) return OpenPostgres(url, options);
  std::string path = url;
  if (path.rfind("sqlite:", 0) == 0) {
    path = path.substr(7);
  } else if (path.rfind("file:", 0) == 0) {
    path = path.substr(5);
  } else if (path.find("://") != std::string::npos) {
    return InvalidArgument("unsupported database URL scheme in '" + RedactUrl(url) + "'");
  }
  if (path.empty()) return InvalidArgument("the SQLite database path is empty");
  return OpenSqlite(path, options);
}

}  // namespace meterline::storage
