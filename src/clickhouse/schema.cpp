#include "clickhouse/schema.hpp"

#include <algorithm>
#include <chrono>
#include <set>
#include <span>

#include "core/embedded_file.hpp"

namespace meterline::clickhouse {

std::span<const EmbeddedFile> EmbeddedClickHouseMigrations();

namespace {

void ReplaceAll(std::string& text, std::string_view from, std::string_view to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

Status Run(const Endpoint& node, const std::string& statement) {
  Client client(node);
  MTL_RETURN_IF_ERROR(client.Query(statement));
  return OkStatus();
}

// Runs each file of `files` the node has not recorded, then records it. A
// column added by an earlier, interrupted attempt is not an error.
Status ApplyOnce(const Endpoint& node, const std::vector<const EmbeddedFile*>& files, std::string_view local_suffix,
                 const std::function<void(const std::string&)>& on_step) {
  Client client(node);
  MTL_RETURN_IF_ERROR(
      client.Query("CREATE TABLE IF NOT EXISTS schema_migrations (name String, applied_at Int64) ENGINE = TinyLog"));
  MTL_ASSIGN_OR_RETURN(auto applied, client.Query("SELECT name FROM schema_migrations FORMAT TabSeparated"));
  MTL_ASSIGN_OR_RETURN(auto rows, ParseTsv(applied));
  std::set<std::string> done;
  for (const auto& row : rows) done.insert(row.at(0));
  for (const EmbeddedFile* f : files) {
    if (done.count(std::string(f->name))) continue;
    for (const std::string& statement : Statements(f->content, local_suffix, "", "")) {
      if (on_step) on_step(node.base_url + ": " + std::string(f->name));
      auto ran = client.Query(statement);
      bool added_before = !ran.ok() && statement.find("ADD COLUMN") != std::string::npos &&
                          ran.error().message.find("already exists") != std::string::npos;
      if (!ran.ok() && !added_before) return std::move(ran).error();
    }
    auto now =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    MTL_RETURN_IF_ERROR(
        client.Query("INSERT INTO schema_migrations VALUES (" + Quote(f->name) + ", " + std::to_string(now) + ")"));
  }
  return OkStatus();
}

Status CreateDatabase(const Endpoint& node, const std::function<void(const std::string&)>& on_step) {
  Endpoint server = node;
  server.database = "default";
  if (on_step) on_step(node.base_url + ": database " + node.database);
  return Run(server, "CREATE DATABASE IF NOT EXISTS " + node.database);
}

}  // namespace

std::vector<std::string> Statements(std::string_view file, std::string_view local_suffix, std::string_view cluster,
                                    std::string_view database) {
  std::string text;
  for (size_t start = 0; start < file.size();) {
    size_t end = file.find('\n', start);
    if (end == std::string_view::npos) end = file.size();
    std::string_view line = file.substr(start, end - start);
    size_t first = line.find_first_not_of(' ');
    bool comment = first != std::string_view::npos && line.substr(first, 2) == "--";
    if (!comment) {
      text.append(line);
      text += '\n';
    }
    start = end + 1;
  }
  ReplaceAll(text, "{local}", local_suffix);
  ReplaceAll(text, "{cluster}", cluster);
  ReplaceAll(text, "{database}", database);
  std::vector<std::string> out;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find(";\n", start);
    if (end == std::string::npos) end = text.size();
    std::string statement = text.substr(start, end - start);
    if (statement.find_first_not_of(" \n") != std::string::npos) out.push_back(statement);
    start = end + 2;
  }
  return out;
}

Status ApplySchema(const Layout& layout, const std::function<void(const std::string&)>& on_step) {
  std::vector<const EmbeddedFile*> files;        // NNNN_*.sql: every node
  std::vector<const EmbeddedFile*> front_files;  // distributed_NNNN_*.sql: the front of a cluster
  const EmbeddedFile* distributed = nullptr;
  for (const EmbeddedFile& f : EmbeddedClickHouseMigrations()) {
    if (f.name == "distributed.sql") {
      distributed = &f;
    } else if (f.name.starts_with("distributed_")) {
      front_files.push_back(&f);
    } else {
      files.push_back(&f);
    }
  }
  auto by_name = [](auto* a, auto* b) { return a->name < b->name; };
  std::sort(files.begin(), files.end(), by_name);
  std::sort(front_files.begin(), front_files.end(), by_name);
  bool clustered = !layout.cluster.empty();
  if (clustered && !IsIdentifier(layout.cluster)) {
    return InvalidArgument("CLICKHOUSE_CLUSTER '" + layout.cluster + "' must match [A-Za-z_][A-Za-z0-9_]*");
  }
  std::vector<Endpoint> nodes = clustered ? layout.shards : std::vector<Endpoint>{layout.front};
  for (const Endpoint& node : nodes) {
    MTL_RETURN_IF_ERROR(CreateDatabase(node, on_step));
    MTL_RETURN_IF_ERROR(ApplyOnce(node, files, clustered ? "_local" : "", on_step));
  }
  if (clustered) {
    if (distributed == nullptr) return Internal("distributed.sql is not compiled in");
    MTL_RETURN_IF_ERROR(CreateDatabase(layout.front, on_step));
    for (const std::string& statement :
         Statements(distributed->content, "_local", layout.cluster, layout.front.database)) {
      if (on_step) on_step(layout.front.base_url + ": distributed.sql");
      MTL_RETURN_IF_ERROR(Run(layout.front, statement));
    }
    MTL_RETURN_IF_ERROR(ApplyOnce(layout.front, front_files, "", on_step));
  }
  return OkStatus();
}

Status CheckSchema(Client& front) {
  MTL_ASSIGN_OR_RETURN(
      auto r, front.Query("SELECT count() FROM system.tables WHERE database = " + Quote(front.endpoint().database) +
                          " AND name IN ('usage_events', 'usage_hourly')"));
  if (r.substr(0, r.find('\n')) != "2") {
    return Unavailable("ClickHouse database " + front.endpoint().database +
                       " has no usage tables; run 'billingd migrate'");
  }
  return OkStatus();
}

}  // namespace meterline::clickhouse
