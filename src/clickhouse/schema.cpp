#include "clickhouse/schema.hpp"

#include <algorithm>
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
  std::vector<const EmbeddedFile*> files;
  const EmbeddedFile* distributed = nullptr;
  for (const EmbeddedFile& f : EmbeddedClickHouseMigrations()) {
    if (f.name == "distributed.sql") {
      distributed = &f;
    } else {
      files.push_back(&f);
    }
  }
  std::sort(files.begin(), files.end(), [](auto* a, auto* b) { return a->name < b->name; });
  bool clustered = !layout.cluster.empty();
  if (clustered && !IsIdentifier(layout.cluster)) {
    return InvalidArgument("CLICKHOUSE_CLUSTER '" + layout.cluster + "' must match [A-Za-z_][A-Za-z0-9_]*");
  }
  std::vector<Endpoint> nodes = clustered ? layout.shards : std::vector<Endpoint>{layout.front};
  for (const Endpoint& node : nodes) {
    MTL_RETURN_IF_ERROR(CreateDatabase(node, on_step));
    for (const EmbeddedFile* f : files) {
      for (const std::string& statement : Statements(f->content, clustered ? "_local" : "", "", "")) {
        if (on_step) on_step(node.base_url + ": " + std::string(f->name));
        MTL_RETURN_IF_ERROR(Run(node, statement));
      }
    }
  }
  if (clustered) {
    if (distributed == nullptr) return Internal("distributed.sql is not compiled in");
    MTL_RETURN_IF_ERROR(CreateDatabase(layout.front, on_step));
    for (const std::string& statement :
         Statements(distributed->content, "_local", layout.cluster, layout.front.database)) {
      if (on_step) on_step(layout.front.base_url + ": distributed.sql");
      MTL_RETURN_IF_ERROR(Run(layout.front, statement));
    }
  }
  return OkStatus();
}

Status CheckSchema(Client& front) {
  MTL_ASSIGN_OR_RETURN(
      auto r, front.Query("SELECT count() FROM system.tables WHERE database = " + Quote(front.endpoint().database) +
                          " AND name IN ('usage_events', 'usage_rollups_hourly')"));
  if (r.substr(0, r.find('\n')) != "2") {
    return Unavailable("ClickHouse database " + front.endpoint().database +
                       " has no usage tables; run 'billingd migrate'");
  }
  return OkStatus();
}

}  // namespace meterline::clickhouse
