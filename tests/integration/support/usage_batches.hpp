// Usage batches the process tests stream into a child billingd: batch `batch`
// holds `events` api_calls events of value 1, ids "b<batch>-e<i>", a minute ago.
#pragma once

#include <string>

#include "core/clock.hpp"

namespace meterline::testing {

inline std::string UsageBatchBody(int batch, const std::string& customer, int events) {
  std::string ts = FormatIso8601(SystemClock().Now() - std::chrono::minutes(1));
  std::string body = R"({"events":[)";
  for (int i = 0; i < events; ++i) {
    if (i) body += ',';
    body += R"({"id":"b)" + std::to_string(batch) + "-e" + std::to_string(i) + R"(","customer_id":")" + customer +
            R"(","metric":"api_calls","value":1,"timestamp":")" + ts + "\"}";
  }
  return body + "]}";
}

}  // namespace meterline::testing
