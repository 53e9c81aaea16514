// ISO 8601 timestamps and monthly periods (src/core/clock.cpp, src/core/period.cpp).
//
// Properties:
// - ParseIso8601(FormatIso8601(t)) == t for every millisecond of the years 0000-9999;
// - whatever text parses is an instant of those years, its FormatIso8601 parses back to the same instant, and
//   a plain date is a midnight;
// - monthly periods tile time: the period containing t contains t, the next one starts where it ends and the
//   previous one ends where it starts, each is 28-31 days long, starts on the anchor's day of the month (or
//   the month's last day) at the anchor's time of day, and the anchor starts one;
// - ParseMonth("YYYY-MM") is that calendar month, and a period anchored at its start is the same month.
#include <fuzzer/FuzzedDataProvider.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

#include "core/clock.hpp"
#include "core/period.hpp"
#include "fuzz/check.hpp"

namespace {

using namespace meterline;
using namespace std::chrono;

// Years 0000-9999: what FormatIso8601 writes.
const int64_t kFirstMs = ToUnixMillis(sys_days(year(0) / January / 1));
const int64_t kLastMs = ToUnixMillis(sys_days(year(10000) / January / 1)) - 1;

void CheckText(const std::string& text) {
  auto parsed = ParseIso8601(text);
  if (!parsed) return;
  int64_t ms = ToUnixMillis(*parsed);
  FUZZ_CHECK(ms >= kFirstMs && ms <= kLastMs);
  FUZZ_CHECK(ParseIso8601(FormatIso8601(*parsed)) == *parsed);
  if (text.size() == 10) FUZZ_CHECK(floor<days>(*parsed) == *parsed);
}

void CheckPeriods(FuzzedDataProvider& in) {
  // Billing anchors and usage are far from the ends of the calendar: one year of margin on each side.
  const int64_t first = ToUnixMillis(sys_days(year(1) / January / 1));
  const int64_t last = ToUnixMillis(sys_days(year(9999) / January / 1));
  TimePoint anchor = FromUnixMillis(in.ConsumeIntegralInRange<int64_t>(first, last));
  TimePoint t = FromUnixMillis(in.ConsumeIntegralInRange<int64_t>(first, last));

  Period p = MonthlyPeriodContaining(anchor, t);
  FUZZ_CHECK(p.Contains(t));
  FUZZ_CHECK(p.end - p.start >= days(28) && p.end - p.start <= days(31));
  FUZZ_CHECK(MonthlyPeriodContaining(anchor, p.end).start == p.end);
  FUZZ_CHECK(MonthlyPeriodContaining(anchor, p.start - milliseconds(1)).end == p.start);
  FUZZ_CHECK(MonthlyPeriodContaining(anchor, p.start) == p);
  FUZZ_CHECK(MonthlyPeriodContaining(anchor, anchor).start == anchor);

  auto anchor_day = floor<days>(anchor), start_day = floor<days>(p.start);
  FUZZ_CHECK(anchor - anchor_day == p.start - start_day);
  year_month_day a{anchor_day}, s{start_day};
  day last_day = year_month_day_last(s.year(), month_day_last(s.month())).day();
  FUZZ_CHECK(s.day() == (a.day() < last_day ? a.day() : last_day));
}

void CheckMonth(FuzzedDataProvider& in) {
  int y = in.ConsumeIntegralInRange<int>(0, 9999);
  unsigned m = in.ConsumeIntegralInRange<unsigned>(1, 12);
  char text[8];
  std::snprintf(text, sizeof text, "%04d-%02u", y, m);
  auto period = ParseMonth(text);
  FUZZ_CHECK(period.has_value());
  FUZZ_CHECK(period->start == sys_days(year(y) / month(m) / 1));
  FUZZ_CHECK(period->end == sys_days((year(y) / month(m) + months(1)) / 1));
  if (y >= 1 && y <= 9998) {
    FUZZ_CHECK(MonthlyPeriodContaining(period->start, period->start + (period->end - period->start) / 2) == *period);
  }
  std::string other = in.ConsumeRemainingBytesAsString();
  if (auto month_period = ParseMonth(other)) {
    FUZZ_CHECK(other.size() == 7 && floor<days>(month_period->start) == month_period->start);
    FUZZ_CHECK(year_month_day(floor<days>(month_period->start)).day() == day(1));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  switch (in.ConsumeIntegralInRange<int>(0, 3)) {
    case 0: CheckText(in.ConsumeRemainingBytesAsString()); break;
    case 1: {
      TimePoint t = FromUnixMillis(in.ConsumeIntegralInRange<int64_t>(kFirstMs, kLastMs));
      std::string text = FormatIso8601(t);
      FUZZ_CHECK(text.size() == 24 && ParseIso8601(text) == t);
      break;
    }
    case 2: CheckPeriods(in); break;
    default: CheckMonth(in); break;
  }
  return 0;
}
