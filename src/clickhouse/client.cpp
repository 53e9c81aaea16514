#include "clickhouse/client.hpp"

#include <curl/curl.h>

#include "net/curl_pool.hpp"

namespace meterline::clickhouse {

namespace {

std::string Escape(CURL* curl, std::string_view text) {
  char* escaped = curl_easy_escape(curl, text.data(), static_cast<int>(text.size()));
  std::string out = escaped != nullptr ? escaped : "";
  curl_free(escaped);
  return out;
}

// ClickHouse answers errors as "Code: 60, e.displayText() = DB::Exception: …";
// keep the first line, bounded.
std::string ServerMessage(std::string_view body) {
  std::string_view line = body.substr(0, body.find('\n'));
  if (line.size() > 500) line = line.substr(0, 500);
  return std::string(line);
}

}  // namespace

struct Client::Pool : net::CurlPool {};

Result<Endpoint> ParseUrl(std::string_view url) {
  Endpoint out;
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos ||
      (url.substr(0, scheme_end) != "http" && url.substr(0, scheme_end) != "https")) {
    return InvalidArgument("ClickHouse URL must start with http:// or https://");
  }
  std::string_view rest = url.substr(scheme_end + 3);
  std::string_view authority = rest.substr(0, rest.find('/'));
  std::string_view path = rest.size() > authority.size() ? rest.substr(authority.size() + 1) : "";
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view credentials = authority.substr(0, at);
    authority = authority.substr(at + 1);
    size_t colon = credentials.find(':');
    out.user = std::string(credentials.substr(0, colon));
    if (colon != std::string_view::npos) out.password = std::string(credentials.substr(colon + 1));
  }
  if (authority.empty()) return InvalidArgument("ClickHouse URL has no host");
  path = path.substr(0, path.find('?'));
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  out.database = path.empty() ? "default" : std::string(path);
  if (!IsIdentifier(out.database)) {
    return InvalidArgument("ClickHouse database name '" + out.database + "' must match [A-Za-z_][A-Za-z0-9_]*");
  }
  out.base_url = std::string(url.substr(0, scheme_end + 3)) + std::string(authority);
  return out;
}

Client::Client(Endpoint endpoint, int timeout_ms)
    : endpoint_(std::move(endpoint)), timeout_ms_(timeout_ms), pool_(std::make_unique<Pool>()) {}

Client::~Client() = default;

Result<std::string> Client::Query(std::string_view sql, const std::vector<ExternalTable>& tables,
                                  const std::vector<std::pair<std::string, std::string>>& settings) {
  for (const ExternalTable& t : tables) {
    if (!IsIdentifier(t.name)) return InvalidArgument("not an external table name: " + t.name);
  }
  CURL* curl = pool_->Take();
  if (curl == nullptr) return Unavailable("ClickHouse: cannot create a curl handle");
  std::string url = endpoint_.base_url + "/?database=" + Escape(curl, endpoint_.database);
  for (const auto& [name, value] : settings) url += "&" + Escape(curl, name) + "=" + Escape(curl, value);
  curl_mime* mime = nullptr;
  if (tables.empty()) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, sql.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(sql.size()));
  } else {
    // With external data the query travels in the URL and the tables as parts.
    url += "&query=" + Escape(curl, sql);
    mime = curl_mime_init(curl);
    for (const ExternalTable& t : tables) {
      url += "&" + t.name + "_structure=" + Escape(curl, t.structure) + "&" + t.name + "_format=TabSeparated";
      curl_mimepart* part = curl_mime_addpart(mime);
      curl_mime_name(part, t.name.c_str());
      curl_mime_filename(part, t.name.c_str());
      curl_mime_data(part, t.tsv.data(), t.tsv.size());
    }
    curl_easy_setopt(curl, CURLOPT_MIMEPOST, mime);
  }
  std::string body;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, net::AppendToString);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_ms_));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  if (!endpoint_.user.empty()) {
    curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(curl, CURLOPT_USERNAME, endpoint_.user.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, endpoint_.password.c_str());
  }
  CURLcode code = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  if (mime != nullptr) curl_mime_free(mime);
  pool_->Give(curl);
  if (code != CURLE_OK) {
    return Unavailable(std::string("ClickHouse at ") + endpoint_.base_url +
                       " did not answer: " + curl_easy_strerror(code));
  }
  if (status != 200) return Internal("ClickHouse: " + ServerMessage(body));
  return body;
}

Status Client::InsertTsv(std::string_view table, std::string_view tsv,
                         const std::vector<std::pair<std::string, std::string>>& settings,
                         const std::vector<std::string_view>& columns) {
  if (!IsIdentifier(table)) return InvalidArgument("not a table name: " + std::string(table));
  std::string target(table);
  for (size_t i = 0; i < columns.size(); ++i) {
    if (!IsIdentifier(columns[i])) return InvalidArgument("not a column name: " + std::string(columns[i]));
    target += (i ? ", " : " (") + std::string(columns[i]) + (i + 1 == columns.size() ? ")" : "");
  }
  auto query_settings = settings;
  query_settings.emplace_back("query", "INSERT INTO " + target + " FORMAT TabSeparated");
  MTL_RETURN_IF_ERROR(Query(tsv, {}, query_settings));
  return OkStatus();
}

Status Client::Ping() {
  MTL_RETURN_IF_ERROR(Query("SELECT 1"));
  return OkStatus();
}

std::string Quote(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\'': out += "\\'"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\0': out += "\\0"; break;
      default: out += c;
    }
  }
  return out + "'";
}

void AppendTsvRow(std::string& out, std::initializer_list<std::string_view> fields) {
  bool first = true;
  for (std::string_view field : fields) {
    if (!first) out += '\t';
    first = false;
    // Runs of plain bytes are appended whole; only the six escaped ones one by one.
    size_t run = 0;
    for (size_t i = 0; i < field.size(); ++i) {
      const char* escaped = nullptr;
      switch (field[i]) {
        case '\\': escaped = "\\\\"; break;
        case '\t': escaped = "\\t"; break;
        case '\n': escaped = "\\n"; break;
        case '\r': escaped = "\\r"; break;
        case '\0': escaped = "\\0"; break;
        case '\'': escaped = "\\'"; break;
        default: continue;
      }
      out.append(field.data() + run, i - run);
      out += escaped;
      run = i + 1;
    }
    out.append(field.data() + run, field.size() - run);
  }
  out += '\n';
}

Result<std::vector<std::vector<std::string>>> ParseTsv(std::string_view body) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c == '\t') {
      row.push_back(std::move(field));
      field.clear();
    } else if (c == '\n') {
      row.push_back(std::move(field));
      field.clear();
      rows.push_back(std::move(row));
      row.clear();
    } else if (c == '\\') {
      if (++i >= body.size()) return Internal("ClickHouse: truncated escape in TabSeparated data");
      switch (body[i]) {
        case 't': field += '\t'; break;
        case 'n': field += '\n'; break;
        case 'r': field += '\r'; break;
        case '0': field += '\0'; break;
        case 'b': field += '\b'; break;
        case 'f': field += '\f'; break;
        default: field += body[i];  // \\ \' and anything else stand for themselves
      }
    } else {
      field += c;
    }
  }
  if (!field.empty() || !row.empty()) return Internal("ClickHouse: TabSeparated data does not end with a newline");
  return rows;
}

bool IsIdentifier(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

}  // namespace meterline::clickhouse
