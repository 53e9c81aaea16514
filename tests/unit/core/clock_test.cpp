#include "core/clock.hpp"

#include <gtest/gtest.h>

namespace meterline {
namespace {

TEST(Iso8601Test, FormatsUtcWithMilliseconds) {
  EXPECT_EQ(FormatIso8601(FromUnixMillis(0)), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatIso8601(FromUnixMillis(1738367999123)), "2025-01-31T23:59:59.123Z");
}

TEST(Iso8601Test, ParsesTimestampsDatesAndOffsets) {
  EXPECT_EQ(ToUnixMillis(*ParseIso8601("2025-01-31T23:59:59.123Z")), 1738367999123);
  EXPECT_EQ(ToUnixMillis(*ParseIso8601("2025-02-01")), 1738368000000);
  // +01:00 means the same instant one hour earlier in UTC.
  EXPECT_EQ(ToUnixMillis(*ParseIso8601("2025-02-01T01:00:00+01:00")), 1738368000000);
  EXPECT_EQ(ToUnixMillis(*ParseIso8601("2025-02-01T00:00:00.5Z")), 1738368000500);
  EXPECT_EQ(ToUnixMillis(*ParseIso8601("2025-02-01T00:00:00.123456789Z")), 1738368000123);
}

TEST(Iso8601Test, RejectsMalformedAndImpossibleValues) {
  for (const char* bad : {"", "2025", "2025-13-01", "2025-02-30", "2025-02-01T24:00:00Z", "2025-02-01T00:00:00",
                          "2025-02-01T00:00Z", "2025-02-01T00:00:00Zjunk", "2025-02-01T00:00:00.Z", "yesterday"}) {
    EXPECT_FALSE(ParseIso8601(bad).has_value()) << bad;
  }
}

TEST(Iso8601Test, RoundTrips) {
  for (int64_t ms : {int64_t{0}, int64_t{951782400000}, int64_t{4102444799999}}) {
    EXPECT_EQ(ToUnixMillis(*ParseIso8601(FormatIso8601(FromUnixMillis(ms)))), ms);
  }
}

TEST(FakeClockTest, MovesOnlyWhenTold) {
  FakeClock clock(FromUnixMillis(1000));
  EXPECT_EQ(ToUnixMillis(clock.Now()), 1000);
  clock.Advance(std::chrono::milliseconds(500));
  EXPECT_EQ(ToUnixMillis(clock.Now()), 1500);
}

}  // namespace
}  // namespace meterline
