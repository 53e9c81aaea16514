// The instant the time-sensitive suites run at.
//
// MTL_TEST_NOW=2026-03-01T00:30:00Z (any RFC 3339 timestamp) pins them: the
// tests that run billingd on a FakeClock start it there instead of at the
// real now. tests/CMakeLists.txt registers those suites once more per risky
// instant (MTL_PINNED_INSTANTS); see docs/testing.md.
#pragma once

#include <gtest/gtest.h>

#include <optional>

#include "core/clock.hpp"

namespace meterline::testing {

// The instant MTL_TEST_NOW names, or nullopt when it is unset or empty.
// Aborts the test binary when it is set but not a timestamp.
std::optional<TimePoint> PinnedNow();

// Where a test's FakeClock starts: the pinned instant, else the real now.
TimePoint TestNow();

}  // namespace meterline::testing

// For a test that cannot run at a pinned instant, e.g. because it starts a
// child billingd, which keeps the system clock: skipped when MTL_TEST_NOW is
// set (the unpinned run covers it).
#define MTL_SKIP_WHEN_PINNED()                                                              \
  do {                                                                                      \
    if (::meterline::testing::PinnedNow()) GTEST_SKIP() << "runs on the system clock only"; \
  } while (false)
