// Clock: the one source of wall-clock time, injected so tests can control it.
// All times in Meterline are UTC. Timestamps are stored as int64 milliseconds
// since the Unix epoch (see docs/architecture.md, "Time").
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace meterline {

using TimePoint = std::chrono::sys_time<std::chrono::milliseconds>;

// Thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint Now() const override;
};

// A clock that only moves when told to. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimePoint start) : now_ms_(start.time_since_epoch().count()) {}
  TimePoint Now() const override { return TimePoint(std::chrono::milliseconds(now_ms_.load())); }
  void Set(TimePoint t) { now_ms_ = t.time_since_epoch().count(); }
  void Advance(std::chrono::milliseconds d) { now_ms_ += d.count(); }

 private:
  std::atomic<int64_t> now_ms_;
};

inline int64_t ToUnixMillis(TimePoint t) { return t.time_since_epoch().count(); }
inline TimePoint FromUnixMillis(int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

// RFC 3339 / ISO 8601 in UTC with millisecond precision: "2025-01-31T23:59:59.123Z".
std::string FormatIso8601(TimePoint t);

// Parses RFC 3339 timestamps ("2025-01-31T23:59:59Z", fractional seconds and
// "+hh:mm" offsets allowed) and plain dates ("2025-01-31", midnight UTC).
// Returns nullopt when the text is not a valid timestamp, or names an instant
// outside the years 0000-9999 in UTC (what FormatIso8601 writes).
std::optional<TimePoint> ParseIso8601(std::string_view text);

}  // namespace meterline
