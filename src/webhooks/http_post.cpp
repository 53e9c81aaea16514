#include "webhooks/http_post.hpp"

#include <curl/curl.h>
#include <sys/socket.h>

#include <chrono>

#include "net/curl_pool.hpp"
#include "webhooks/target_guard.hpp"

namespace meterline::webhooks {

namespace {

struct Reading {
  size_t keep = 0;
  size_t max = 0;
  size_t total = 0;
  std::string excerpt;
  bool too_long = false;
};

size_t OnBody(char* data, size_t size, size_t count, void* out) {
  auto* r = static_cast<Reading*>(out);
  size_t n = size * count;
  r->total += n;
  if (r->excerpt.size() < r->keep) r->excerpt.append(data, std::min(n, r->keep - r->excerpt.size()));
  if (r->total > r->max) {
    r->too_long = true;
    return 0;  // ends the transfer: we have what we keep
  }
  return n;
}

struct Guard {
  bool allow_private = false;
  std::string refused;  // why the address was not connected to
};

// Called for each address curl is about to connect to: the resolved one, so a
// name that resolves to a private address now is caught too.
curl_socket_t OpenSocket(void* clientp, curlsocktype /*purpose*/, curl_sockaddr* address) {
  auto* guard = static_cast<Guard*>(clientp);
  if (!guard->allow_private) {
    std::string why = NonPublicReason(&address->addr);
    if (!why.empty()) {
      guard->refused = why;
      return CURL_SOCKET_BAD;
    }
  }
  return socket(address->family, address->socktype, address->protocol);
}

}  // namespace

PostResult PostJson(net::CurlPool& pool, const std::string& url, const std::string& body,
                    const std::vector<std::string>& headers, const PostLimits& limits) {
  PostResult out;
  CURL* curl = pool.Take();
  if (curl == nullptr) {
    out.error = "out of memory for an HTTP request";
    return out;
  }
  curl_slist* list = nullptr;
  for (const std::string& h : headers) list = curl_slist_append(list, h.c_str());
  Reading reading{.keep = limits.excerpt_bytes, .max = limits.max_body_bytes};
  Guard guard{.allow_private = limits.allow_private};
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reading);
  curl_easy_setopt(curl, CURLOPT_OPENSOCKETFUNCTION, OpenSocket);
  curl_easy_setopt(curl, CURLOPT_OPENSOCKETDATA, &guard);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(limits.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(limits.total_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "Meterline-Webhooks/1");
  auto started = std::chrono::steady_clock::now();
  CURLcode rc = curl_easy_perform(curl);
  out.latency_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  out.status = static_cast<int>(status);
  out.excerpt = std::move(reading.excerpt);
  if (!guard.refused.empty()) {
    out.status = 0;
    out.error = "refused: the target resolves to a " + guard.refused + " address (WEBHOOK_ALLOW_PRIVATE_TARGETS)";
  } else if (reading.too_long) {
    out.error = "the answer's body is over " + std::to_string(limits.max_body_bytes) + " bytes; read no further";
  } else if (rc != CURLE_OK) {
    out.error = curl_easy_strerror(rc);
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  curl_slist_free_all(list);
  pool.Give(curl);
  return out;
}

}  // namespace meterline::webhooks
