// StaticFiles: serves the web console's build (console/dist) for GET/HEAD
// requests that no API route matched.
//   - content type by extension;
//   - files under assets/ whose names carry a content hash ("index-3f9a1c2b.js")
//     are immutable: Cache-Control "public, max-age=31536000, immutable";
//     index.html is "no-cache" so a new build is picked up at once;
//   - a path without a file extension that names no file is a client-side
//     route: the SPA's index.html is served (200);
//   - weak ETag from size and modification time; If-None-Match -> 304.
// Paths are confined to the root: "..", NUL and symlinks out of it are refused.
// Thread-safe (reads the file system on each request).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>

#include "http/request.hpp"
#include "http/response.hpp"

namespace meterline::http {

class StaticFiles {
 public:
  // Returns nullptr when `root` has no index.html (the console is not built).
  static std::unique_ptr<StaticFiles> Open(const std::filesystem::path& root);

  // The response for this request, or nullopt when no file matches and no SPA
  // fallback applies (the caller answers 404).
  std::optional<Response> Serve(const Request& request) const;

  // Content type for a file name, e.g. "app.js" -> "text/javascript; charset=utf-8".
  static std::string ContentType(const std::filesystem::path& file);

 private:
  explicit StaticFiles(std::filesystem::path root) : root_(std::move(root)) {}
  std::optional<Response> ServeFile(const std::filesystem::path& file, const Request& request,
                                    bool is_spa_fallback) const;
  std::filesystem::path root_;
};

}  // namespace meterline::http
