// CurlPool: reusable libcurl easy handles, so outgoing HTTP calls (ClickHouse,
// Stripe) keep their connections alive between requests. Thread-safe.
#pragma once

#include <mutex>
#include <string>
#include <vector>

typedef void CURL;

namespace meterline::net {

class CurlPool {
 public:
  CurlPool();  // sets up libcurl's global state once per process
  ~CurlPool();
  CurlPool(const CurlPool&) = delete;
  CurlPool& operator=(const CurlPool&) = delete;

  // A handle reset to defaults (nullptr only when libcurl cannot allocate).
  CURL* Take();
  // Returns a handle for reuse (the pool keeps at most 32).
  void Give(CURL* handle);

 private:
  std::mutex mu_;
  std::vector<CURL*> idle_;
};

// A CURLOPT_WRITEFUNCTION that appends to the std::string in CURLOPT_WRITEDATA.
size_t AppendToString(char* data, size_t size, size_t count, void* out);

}  // namespace meterline::net
