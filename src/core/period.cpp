#include "core/period.hpp"

namespace meterline {

using std::chrono::day;
using std::chrono::days;
using std::chrono::floor;
using std::chrono::hours;
using std::chrono::month_day_last;
using std::chrono::sys_days;
using std::chrono::year_month;
using std::chrono::year_month_day;
using std::chrono::year_month_day_last;

namespace {

// The anchor's day and time of day, placed in the month `months` after the anchor's month.
TimePoint AnchorInMonth(TimePoint anchor, int months) {
  auto anchor_day = floor<days>(anchor);
  year_month_day ymd{anchor_day};
  auto time_of_day = anchor - anchor_day;
  year_month target = year_month(ymd.year(), ymd.month()) + std::chrono::months(months);
  auto last = year_month_day_last(target.year(), month_day_last(target.month())).day();
  day d = ymd.day() > last ? last : ymd.day();
  return TimePoint(sys_days(year_month_day(target.year(), target.month(), d)) + time_of_day);
}

}  // namespace

Period MonthlyPeriodContaining(TimePoint anchor, TimePoint t) { return PeriodContaining(anchor, 1, t); }

Period PeriodContaining(TimePoint anchor, int length, TimePoint t) {
  year_month_day a{floor<days>(anchor)}, b{floor<days>(t)};
  int months =
      (static_cast<int>(b.year()) - static_cast<int>(a.year())) * 12 +
      (static_cast<int>(static_cast<unsigned>(b.month())) - static_cast<int>(static_cast<unsigned>(a.month())));
  // The guess is off by at most one in either direction.
  while (AnchorInMonth(anchor, months) > t) --months;
  while (AnchorInMonth(anchor, months + 1) <= t) ++months;
  // The period starts at the last multiple of `length` months at or before
  // that month (floor division: periods before the anchor too).
  int first = months >= 0 ? months / length * length : -((-months + length - 1) / length) * length;
  return Period{AnchorInMonth(anchor, first), AnchorInMonth(anchor, first + length)};
}

TimePoint HourStart(TimePoint t) { return floor<hours>(t); }

std::optional<Period> ParseMonth(const std::string& text) {
  if (text.size() != 7 || text[4] != '-') return std::nullopt;
  auto start = ParseIso8601(text + "-01T00:00:00Z");
  if (!start) return std::nullopt;
  std::chrono::year_month_day ymd{std::chrono::floor<std::chrono::days>(*start)};
  std::chrono::year_month next = std::chrono::year_month(ymd.year(), ymd.month()) + std::chrono::months(1);
  return Period{*start, std::chrono::sys_days(next / std::chrono::day(1))};
}

}  // namespace meterline
