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

TEST(Iso8601Test, AcceptsOnlyInstantsItCanWriteBack) {
  // Found by the time fuzz target: offsets moved these out of the years 0000-9999, and FormatIso8601 wrote
  // "-001-12-31T23:59:00.000Z" and "10000-01-01T23:58:59.000Z", which nothing reads back.
  EXPECT_FALSE(ParseIso8601("0000-01-01T00:00:00+00:01").has_value());
  EXPECT_FALSE(ParseIso8601("9999-12-31T23:59:59-23:59").has_value());
  for (const char* edge : {"0000-01-01T00:00:00Z", "0000-01-01T00:00:00-23:59", "9999-12-31T23:59:59.999Z",
                           "9999-12-31T23:59:59.999+23:59", "0000-01-01", "9999-12-31"}) {
    auto parsed = ParseIso8601(edge);
    ASSERT_TRUE(parsed.has_value()) << edge;
    EXPECT_EQ(ParseIso8601(FormatIso8601(*parsed)), parsed) << edge;
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
