#include "core/clock.hpp"

#include <charconv>
#include <cstdio>

namespace meterline {

namespace {

using std::chrono::days;
using std::chrono::milliseconds;

// Reads exactly `width` decimal digits at text[pos...]; advances pos.
std::optional<int> ReadDigits(std::string_view text, size_t& pos, size_t width) {
  if (pos + width > text.size()) return std::nullopt;
  int value = 0;
  for (size_t i = 0; i < width; ++i) {
    char c = text[pos + i];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  pos += width;
  return value;
}

bool Expect(std::string_view text, size_t& pos, char c) {
  if (pos < text.size() && text[pos] == c) {
    ++pos;
    return true;
  }
  return false;
}

}  // namespace

TimePoint SystemClock::Now() const {
  return std::chrono::time_point_cast<milliseconds>(std::chrono::system_clock::now());
}

std::string FormatIso8601(TimePoint t) {
  auto day = std::chrono::floor<days>(t);
  std::chrono::year_month_day ymd{day};
  auto in_day = t - day;
  int64_t ms = in_day.count();
  int hour = static_cast<int>(ms / 3'600'000);
  int minute = static_cast<int>(ms / 60'000 % 60);
  int second = static_cast<int>(ms / 1000 % 60);
  int milli = static_cast<int>(ms % 1000);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), hour, minute, second, milli);
  return buf;
}

std::optional<TimePoint> ParseIso8601(std::string_view text) {
  size_t pos = 0;
  auto year = ReadDigits(text, pos, 4);
  if (!year || !Expect(text, pos, '-')) return std::nullopt;
  auto month = ReadDigits(text, pos, 2);
  if (!month || !Expect(text, pos, '-')) return std::nullopt;
  auto day = ReadDigits(text, pos, 2);
  if (!day) return std::nullopt;
  std::chrono::year_month_day ymd{std::chrono::year(*year), std::chrono::month(static_cast<unsigned>(*month)),
                                  std::chrono::day(static_cast<unsigned>(*day))};
  if (!ymd.ok()) return std::nullopt;
  TimePoint result = std::chrono::sys_days(ymd);
  if (pos == text.size()) return result;  // plain date

  if (!Expect(text, pos, 'T') && !Expect(text, pos, 't') && !Expect(text, pos, ' ')) return std::nullopt;
  auto hour = ReadDigits(text, pos, 2);
  if (!hour || !Expect(text, pos, ':')) return std::nullopt;
  auto minute = ReadDigits(text, pos, 2);
  if (!minute || !Expect(text, pos, ':')) return std::nullopt;
  auto second = ReadDigits(text, pos, 2);
  if (!second || *hour > 23 || *minute > 59 || *second > 60) return std::nullopt;
  if (*second == 60) *second = 59;  // leap second: clamp, do not reject
  int64_t millis = 0;
  if (Expect(text, pos, '.')) {
    size_t digits = 0;
    int64_t scale = 100;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 3) millis += (text[pos] - '0') * scale;
      scale /= 10;
      ++digits;
      ++pos;
    }
    if (digits == 0 || digits > 9) return std::nullopt;
  }
  int64_t offset_minutes = 0;
  if (Expect(text, pos, 'Z') || Expect(text, pos, 'z')) {
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    auto off_h = ReadDigits(text, pos, 2);
    if (!off_h || !Expect(text, pos, ':')) return std::nullopt;
    auto off_m = ReadDigits(text, pos, 2);
    if (!off_m || *off_h > 23 || *off_m > 59) return std::nullopt;
    offset_minutes = int64_t{sign} * (int64_t{*off_h} * 60 + *off_m);
  } else {
    return std::nullopt;  // a timestamp must say its offset
  }
  if (pos != text.size()) return std::nullopt;
  result += std::chrono::hours(*hour) + std::chrono::minutes(*minute) + std::chrono::seconds(*second) +
            milliseconds(millis) - std::chrono::minutes(offset_minutes);
  // An offset can carry 0000-01-01 into year -1 and 9999-12-31 into 10000, which FormatIso8601 cannot
  // write as RFC 3339: every instant we accept must be one we can print and read back.
  static const TimePoint kFirst = std::chrono::sys_days(std::chrono::year(0) / 1 / 1);
  static const TimePoint kEnd = std::chrono::sys_days(std::chrono::year(10000) / 1 / 1);
  if (result < kFirst || result >= kEnd) return std::nullopt;
  return result;
}

}  // namespace meterline
