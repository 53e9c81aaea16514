#include "net/curl_pool.hpp"

#include <curl/curl.h>

namespace meterline::net {

CurlPool::CurlPool() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

CurlPool::~CurlPool() {
  for (CURL* c : idle_) curl_easy_cleanup(c);
}

CURL* CurlPool::Take() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      CURL* c = idle_.back();
      idle_.pop_back();
      curl_easy_reset(c);
      return c;
    }
  }
  return curl_easy_init();
}

void CurlPool::Give(CURL* handle) {
  std::lock_guard lock(mu_);
  if (idle_.size() < 32) {
    idle_.push_back(handle);
  } else {
    curl_easy_cleanup(handle);
  }
}

size_t AppendToString(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

}  // namespace meterline::net
