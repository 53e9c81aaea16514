// HttpClient: a small blocking HTTP/1.1 client (libcurl) for tests. It reuses one
// connection (keep-alive) across calls. Not thread-safe: one per thread.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace meterline::testing {

struct HttpResult {
  long status = 0;    // 0 when the request failed at the transport level
  std::string error;  // libcurl's message when status == 0
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // of the final response

  // Value of header `name` (case-insensitive), "" when absent.
  std::string Header(std::string_view name) const;
};

class HttpClient {
 public:
  // base_url like "http://127.0.0.1:4321"
  explicit HttpClient(std::string base_url);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  HttpResult Get(std::string_view path, const std::vector<std::string>& headers = {});
  HttpResult Post(std::string_view path, std::string_view body, const std::vector<std::string>& headers = {});
  // headers: "Name: value" lines. A body is sent only when non-empty or method is POST/PUT/PATCH.
  HttpResult Send(std::string_view method, std::string_view path, std::string_view body,
                  const std::vector<std::string>& headers);

  void set_timeout_ms(long ms) { timeout_ms_ = ms; }

 private:
  std::string base_url_;
  void* curl_;               // CURL*
  long timeout_ms_ = 60000;  // a ceiling for a hung server; sanitizer builds are slow
};

}  // namespace meterline::testing
