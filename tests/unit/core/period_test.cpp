#include "core/period.hpp"

#include <gtest/gtest.h>

namespace meterline {
namespace {

TimePoint T(const char* iso) { return *ParseIso8601(iso); }

TEST(PeriodTest, CalendarMonthsFromAFirstOfMonthAnchor) {
  Period p = MonthlyPeriodContaining(T("2025-01-01T00:00:00Z"), T("2025-03-15T12:00:00Z"));
  EXPECT_EQ(p.start, T("2025-03-01T00:00:00Z"));
  EXPECT_EQ(p.end, T("2025-04-01T00:00:00Z"));
}

TEST(PeriodTest, HalfOpenBoundaries) {
  TimePoint anchor = T("2025-01-01T00:00:00Z");
  EXPECT_EQ(MonthlyPeriodContaining(anchor, T("2025-02-01T00:00:00Z")).start, T("2025-02-01T00:00:00Z"));
  EXPECT_EQ(MonthlyPeriodContaining(anchor, T("2025-01-31T23:59:59.999Z")).start, T("2025-01-01T00:00:00Z"));
}

TEST(PeriodTest, AnchorOnThe31stClampsToShortMonths) {
  TimePoint anchor = T("2024-01-31T10:00:00Z");
  Period feb = MonthlyPeriodContaining(anchor, T("2024-02-15T00:00:00Z"));
  EXPECT_EQ(feb.start, T("2024-01-31T10:00:00Z"));
  EXPECT_EQ(feb.end, T("2024-02-29T10:00:00Z"));  // leap year
  Period mar = MonthlyPeriodContaining(anchor, T("2024-03-05T00:00:00Z"));
  EXPECT_EQ(mar.start, T("2024-02-29T10:00:00Z"));
  EXPECT_EQ(mar.end, T("2024-03-31T10:00:00Z"));
  Period apr = MonthlyPeriodContaining(anchor, T("2024-04-30T10:00:00Z"));
  EXPECT_EQ(apr.start, T("2024-04-30T10:00:00Z"));
  EXPECT_EQ(apr.end, T("2024-05-31T10:00:00Z"));
}

TEST(PeriodTest, TimesBeforeTheAnchorAndAcrossYears) {
  TimePoint anchor = T("2025-06-15T00:00:00Z");
  Period before = MonthlyPeriodContaining(anchor, T("2025-01-20T00:00:00Z"));
  EXPECT_EQ(before.start, T("2025-01-15T00:00:00Z"));
  EXPECT_EQ(before.end, T("2025-02-15T00:00:00Z"));
  Period december = MonthlyPeriodContaining(anchor, T("2025-12-31T00:00:00Z"));
  EXPECT_EQ(december.end, T("2026-01-15T00:00:00Z"));
}

TEST(PeriodTest, EveryInstantIsInExactlyTheReturnedPeriod) {
  TimePoint anchor = T("2024-01-31T23:30:00Z");
  for (int64_t h = 0; h < 24 * 800; h += 7) {
    TimePoint t = anchor + std::chrono::hours(h) - std::chrono::hours(24 * 100);
    Period p = MonthlyPeriodContaining(anchor, t);
    ASSERT_TRUE(p.Contains(t)) << FormatIso8601(t);
    EXPECT_EQ(MonthlyPeriodContaining(anchor, p.end), (Period{p.end, MonthlyPeriodContaining(anchor, p.end).end}));
    EXPECT_LE(p.end - p.start, std::chrono::hours(24 * 31));
    EXPECT_GE(p.end - p.start, std::chrono::hours(24 * 28));
  }
}

// Quarters and years are runs of 3 and 12 anchored months, before the anchor
// too; an anchor on the 31st clamps in every month of them.
TEST(PeriodTest, QuartersAndYearsAreRunsOfAnchoredMonths) {
  TimePoint anchor = T("2025-01-31T10:00:00Z");
  EXPECT_EQ(PeriodContaining(anchor, 3, T("2025-03-01T00:00:00Z")),
            (Period{T("2025-01-31T10:00:00Z"), T("2025-04-30T10:00:00Z")}));
  EXPECT_EQ(PeriodContaining(anchor, 3, T("2025-04-30T10:00:00Z")),
            (Period{T("2025-04-30T10:00:00Z"), T("2025-07-31T10:00:00Z")}));
  EXPECT_EQ(PeriodContaining(anchor, 3, T("2025-01-31T09:59:59Z")),
            (Period{T("2024-10-31T10:00:00Z"), T("2025-01-31T10:00:00Z")}));
  EXPECT_EQ(PeriodContaining(anchor, 12, T("2026-01-31T09:00:00Z")),
            (Period{T("2025-01-31T10:00:00Z"), T("2026-01-31T10:00:00Z")}));
  EXPECT_EQ(PeriodContaining(anchor, 12, T("2023-06-01T00:00:00Z")),
            (Period{T("2023-01-31T10:00:00Z"), T("2024-01-31T10:00:00Z")}));
  for (int months : {1, 3, 12}) {
    for (int64_t h = 0; h < 24 * 1200; h += 13) {
      TimePoint t = anchor + std::chrono::hours(h) - std::chrono::hours(24 * 500);
      Period p = PeriodContaining(anchor, months, t);
      ASSERT_TRUE(p.Contains(t)) << months << " " << FormatIso8601(t);
      EXPECT_EQ(PeriodContaining(anchor, months, p.end).start, p.end);
      EXPECT_EQ(PeriodContaining(anchor, 1, p.start).start, p.start) << "starts on an anchored month";
      EXPECT_LE(p.end - p.start, std::chrono::hours(24 * (months == 1 ? 31 : months == 3 ? 92 : 366)));
    }
  }
}

TEST(PeriodTest, HourStart) { EXPECT_EQ(HourStart(T("2025-01-01T10:59:59.999Z")), T("2025-01-01T10:00:00Z")); }

}  // namespace
}  // namespace meterline
