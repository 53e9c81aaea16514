// Usage batches the process tests stream into a child billingd: batch `batch`
// holds `events` api_calls events of value 1, ids "b<batch>-e<i>", a minute ago.
#pragma once

#include <string>
#include <vector>

#include "core/clock.hpp"

namespace meterline::testing {

// Event i goes to customers[i % customers.size()].
inline std::string UsageBatchBody(int batch, const std::vector<std::string>& customers, int events) {
  std::string ts = FormatIso8601(SystemClock().Now() - std::chrono::minutes(1));
  std::string body = R"({"events":[)";
  for (int i = 0; i < events; ++i) {
    if (i) body += ',';
    body += R"({"id":"b)" + std::to_string(batch) + "-e" + std::to_string(i) + R"(","customer_id":")" +
            customers[static_cast<size_t>(i) % customers.size()] + R"(","metric":"api_calls","value":1,"timestamp":")" +
            ts + "\"}";
  }
  return body + "]}";
}

inline std::string UsageBatchBody(int batch, const std::string& customer, int events) {
  return UsageBatchBody(batch, std::vector<std::string>{customer}, events);
}

}  // namespace meterline::testing
