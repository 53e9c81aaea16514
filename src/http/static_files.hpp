// StaticFiles: serves the web console's build for GET/HEAD requests that no
// API route matched, from files compiled into billingd or from a directory
// (CONSOLE_DIR, e.g. console/dist while working on the console).
//   - content type by extension;
//   - files under assets/ whose names carry a content hash ("index-3f9a1c2b.js")
//     are immutable: Cache-Control "public, max-age=31536000, immutable";
//     index.html is "no-cache" so a new build is picked up at once;
//   - a precompressed sibling ("x.js.br", "x.js.gz", written by the build) is
//     sent to a client whose Accept-Encoding takes it (brotli first), with
//     Content-Encoding and Vary: Accept-Encoding;
//   - a path without a file extension that names no file is a client-side
//     route: the SPA's index.html is served (200);
//   - ETag per file and encoding; If-None-Match -> 304.
// From a directory, paths are confined to the root: "..", NUL and symlinks
// out of it are refused. Thread-safe.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "core/embedded_file.hpp"
#include "http/request.hpp"
#include "http/response.hpp"

namespace meterline::http {

class StaticFiles {
 public:
  // A file of the build: its bytes and a validator that changes with them.
  struct File {
    std::string content;
    std::string etag;  // quoted, e.g. W/"1a2b-3c"
  };
  // Looks a file up by its path relative to the root ("assets/x.js"); nullopt when absent.
  using Lookup = std::function<std::optional<File>(const std::string& relative)>;

  // Returns nullptr when `root` has no index.html (the console is not built).
  static std::unique_ptr<StaticFiles> Open(const std::filesystem::path& root);
  // Files compiled into the binary (names are paths relative to the root);
  // nullptr when there is no index.html among them.
  static std::unique_ptr<StaticFiles> Embedded(std::span<const EmbeddedFile> files);

  // The response for this request, or nullopt when no file matches and no SPA
  // fallback applies (the caller answers 404).
  std::optional<Response> Serve(const Request& request) const;

  // Content type for a file name, e.g. "app.js" -> "text/javascript; charset=utf-8".
  static std::string ContentType(const std::filesystem::path& file);

 private:
  explicit StaticFiles(Lookup lookup) : lookup_(std::move(lookup)) {}
  std::optional<Response> ServeFile(const std::string& relative, const Request& request, bool is_spa_fallback) const;
  Lookup lookup_;
};

}  // namespace meterline::http
