#include "http/static_files.hpp"

#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <system_error>

#include "core/digest.hpp"

namespace meterline::http {

namespace fs = std::filesystem;

namespace {

bool HasHashInName(const std::string& name) {
  // Vite names hashed assets "<name>-<hash>.<ext>", hash 8+ chars of [A-Za-z0-9_-]
  // (base64url: "index-Bx-9Ab_d.js" too).
  static const std::regex kHashed(R"(^.+[-.][A-Za-z0-9_-]{8,}\.[A-Za-z0-9]+$)");
  return std::regex_match(name, kHashed);
}

bool IsInside(const fs::path& root, const fs::path& candidate) {
  auto root_it = root.begin();
  auto cand_it = candidate.begin();
  for (; root_it != root.end(); ++root_it, ++cand_it) {
    if (cand_it == candidate.end() || *root_it != *cand_it) return false;
  }
  return true;
}

// Whether Accept-Encoding takes `coding` (present and not q=0).
bool Accepts(std::string_view accept_encoding, std::string_view coding) {
  while (!accept_encoding.empty()) {
    size_t comma = accept_encoding.find(',');
    std::string_view item = accept_encoding.substr(0, comma);
    accept_encoding = comma == std::string_view::npos ? std::string_view() : accept_encoding.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    std::string_view token = item.substr(0, item.find(';'));
    while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
    if (token != coding) continue;
    size_t q = item.find("q=");
    if (q == std::string_view::npos) return true;
    std::string_view weight = item.substr(q + 2);
    return !(weight.starts_with("0") && weight.find_first_not_of("0.", 0) == std::string_view::npos);
  }
  return false;
}

}  // namespace

std::unique_ptr<StaticFiles> StaticFiles::Open(const fs::path& root) {
  std::error_code ec;
  fs::path canonical = fs::canonical(root, ec);
  if (ec || !fs::is_regular_file(canonical / "index.html", ec)) return nullptr;
  // Read from disk on each request, so a rebuild of the console is served at once.
  return std::unique_ptr<StaticFiles>(new StaticFiles([canonical](const std::string& relative) -> std::optional<File> {
    std::error_code error;
    fs::path file = fs::weakly_canonical(canonical / relative, error);
    if (error || !IsInside(canonical, file) || !fs::is_regular_file(file, error)) return std::nullopt;
    auto size = fs::file_size(file, error);
    if (error) return std::nullopt;
    auto mtime = fs::last_write_time(file, error);
    if (error) return std::nullopt;
    std::ifstream in(file, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream content;
    content << in.rdbuf();
    std::ostringstream etag;
    etag << "W/\"" << std::hex << size << '-' << mtime.time_since_epoch().count() << '"';
    return File{content.str(), etag.str()};
  }));
}

std::unique_ptr<StaticFiles> StaticFiles::Embedded(std::span<const EmbeddedFile> files) {
  auto by_name = std::make_shared<std::map<std::string, File, std::less<>>>();
  for (const EmbeddedFile& f : files) {
    (*by_name)[std::string(f.name)] = File{std::string(f.content), "\"" + Sha256Hex(f.content).substr(0, 20) + "\""};
  }
  if (!by_name->count("index.html")) return nullptr;
  return std::unique_ptr<StaticFiles>(new StaticFiles([by_name](const std::string& relative) -> std::optional<File> {
    auto it = by_name->find(relative);
    if (it == by_name->end()) return std::nullopt;
    return it->second;
  }));
}

std::string StaticFiles::ContentType(const fs::path& file) {
  std::string ext = file.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json" || ext == ".map") return "application/json";
  if (ext == ".webmanifest") return "application/manifest+json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".jpg" || ext == ".jpeg") return "image/jpeg";
  if (ext == ".gif") return "image/gif";
  if (ext == ".webp") return "image/webp";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".woff2") return "font/woff2";
  if (ext == ".woff") return "font/woff";
  if (ext == ".ttf") return "font/ttf";
  if (ext == ".txt") return "text/plain; charset=utf-8";
  if (ext == ".wasm") return "application/wasm";
  if (ext == ".pdf") return "application/pdf";
  return "application/octet-stream";
}

std::optional<Response> StaticFiles::Serve(const Request& request) const {
  std::string relative = request.path;
  if (relative.find('\0') != std::string::npos) return std::nullopt;
  while (!relative.empty() && relative.front() == '/') relative.erase(0, 1);
  fs::path requested = fs::path(relative).lexically_normal();
  if (!requested.empty() && *requested.begin() == "..") return std::nullopt;
  if (relative.empty() || relative.back() == '/') requested /= "index.html";
  std::string name = requested.generic_string();
  if (auto response = ServeFile(name, request, false)) return response;
  // No such file: a path without an extension is a client-side route of the SPA.
  if (requested.has_extension()) return std::nullopt;
  return ServeFile("index.html", request, true);
}

std::optional<Response> StaticFiles::ServeFile(const std::string& relative, const Request& request,
                                               bool is_spa_fallback) const {
  std::optional<File> file = lookup_(relative);
  if (!file) return std::nullopt;
  Response response;
  // Compressible files have precompressed siblings: pick one the client takes,
  // and tell caches that the answer depends on Accept-Encoding.
  std::string_view accept = request.headers.Get("Accept-Encoding");
  bool has_variants = false;
  bool chosen = false;
  for (const auto& [coding, suffix] : {std::pair{"br", ".br"}, std::pair{"gzip", ".gz"}}) {
    std::optional<File> compressed = lookup_(relative + suffix);
    if (!compressed) continue;
    has_variants = true;
    if (chosen || !Accepts(accept, coding)) continue;
    response.headers.Set("Content-Encoding", coding);
    file = std::move(compressed);
    chosen = true;
  }
  if (has_variants) response.headers.Set("Vary", "Accept-Encoding");
  fs::path path(relative);
  std::string name = path.filename().string();
  response.headers.Set("X-Static-File", "1");  // for the access log's route label; removed there
  response.headers.Set("ETag", file->etag);
  bool immutable = !is_spa_fallback && path.parent_path().filename() == "assets" && HasHashInName(name);
  response.headers.Set("Cache-Control", immutable ? "public, max-age=31536000, immutable"
                                                  : (name == "index.html" ? "no-cache" : "public, max-age=300"));
  response.headers.Set("Content-Type", ContentType(path));
  response.headers.Set("X-Content-Type-Options", "nosniff");
  if (request.headers.Get("If-None-Match") == file->etag) {
    response.status = 304;
    return response;
  }
  response.status = 200;
  response.body = std::move(file->content);
  return response;
}

}  // namespace meterline::http
