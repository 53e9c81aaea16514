#include "http/static_files.hpp"

#include <fstream>
#include <regex>
#include <sstream>
#include <system_error>

namespace meterline::http {

namespace fs = std::filesystem;

namespace {

bool HasHashInName(const std::string& name) {
  // Vite names hashed assets "<name>-<hash>.<ext>", hash 8+ chars of [A-Za-z0-9_-].
  static const std::regex kHashed(R"(^.+[-.][A-Za-z0-9_]{8,}\.[A-Za-z0-9]+$)");
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

}  // namespace

std::unique_ptr<StaticFiles> StaticFiles::Open(const fs::path& root) {
  std::error_code ec;
  fs::path canonical = fs::canonical(root, ec);
  if (ec || !fs::is_regular_file(canonical / "index.html", ec)) return nullptr;
  return std::unique_ptr<StaticFiles>(new StaticFiles(canonical));
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

  std::error_code ec;
  fs::path file = fs::weakly_canonical(root_ / requested, ec);
  if (!ec && IsInside(root_, file) && fs::is_regular_file(file, ec)) return ServeFile(file, request, false);

  // No such file: a path without an extension is a client-side route of the SPA.
  if (requested.has_extension()) return std::nullopt;
  return ServeFile(root_ / "index.html", request, true);
}

std::optional<Response> StaticFiles::ServeFile(const fs::path& file, const Request& request,
                                               bool is_spa_fallback) const {
  std::error_code ec;
  auto size = fs::file_size(file, ec);
  if (ec) return std::nullopt;
  auto mtime = fs::last_write_time(file, ec);
  if (ec) return std::nullopt;
  std::ostringstream etag;
  etag << "W/\"" << std::hex << size << '-' << mtime.time_since_epoch().count() << '"';

  Response response;
  response.headers.Set("X-Static-File", "1");  // for the access log's route label; removed there
  response.headers.Set("ETag", etag.str());
  std::string name = file.filename().string();
  bool immutable = !is_spa_fallback && file.parent_path().filename() == "assets" && HasHashInName(name);
  response.headers.Set("Cache-Control", immutable ? "public, max-age=31536000, immutable"
                                                  : (name == "index.html" ? "no-cache" : "public, max-age=300"));
  response.headers.Set("Content-Type", ContentType(file));
  response.headers.Set("X-Content-Type-Options", "nosniff");
  if (request.headers.Get("If-None-Match") == etag.str()) {
    response.status = 304;
    return response;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream content;
  content << in.rdbuf();
  response.status = 200;
  response.body = content.str();
  return response;
}

}  // namespace meterline::http
