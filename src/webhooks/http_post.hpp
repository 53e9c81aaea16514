// HttpPost: one webhook delivery over HTTP(S) with libcurl, bounded every way
// a receiver could hold us: connect and total timeouts, no redirects, no
// proxy, only http and https, the answer's body read up to a limit (its first
// bytes kept for the delivery log), and each address checked by TargetGuard
// just before connecting unless private targets are allowed.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace meterline::net {
class CurlPool;
}

namespace meterline::webhooks {

struct PostLimits {
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds total_timeout{10000};
  size_t excerpt_bytes = 1024;       // kept for the log
  size_t max_body_bytes = 64 << 10;  // read at most; more ends the read
  bool allow_private = false;
};

struct PostResult {
  int status = 0;       // HTTP status; 0 when there was no answer
  std::string excerpt;  // the start of the answer's body
  std::string error;    // why it failed, "" for any answer read whole
  int64_t latency_ms = 0;
  bool Succeeded() const { return status >= 200 && status < 300; }
};

PostResult PostJson(net::CurlPool& pool, const std::string& url, const std::string& body,
                    const std::vector<std::string>& headers, const PostLimits& limits);

}  // namespace meterline::webhooks
