#include "support/test_clock.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>

namespace meterline::testing {

std::optional<TimePoint> PinnedNow() {
  static const std::optional<TimePoint> pinned = []() -> std::optional<TimePoint> {
    const char* text = std::getenv("MTL_TEST_NOW");
    if (text == nullptr || *text == '\0') return std::nullopt;
    auto parsed = ParseIso8601(text);
    if (!parsed) {
      std::fprintf(stderr, "MTL_TEST_NOW must be an RFC 3339 timestamp, got '%s'\n", text);
      std::abort();
    }
    return parsed;
  }();
  return pinned;
}

TimePoint TestNow() { return PinnedNow().value_or(SystemClock().Now()); }

}  // namespace meterline::testing
