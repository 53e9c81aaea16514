// Structured logging: every line is one JSON object on stderr,
//   {"time":"…Z","level":"info","msg":"…", <fields>}
// Never pass a secret (keys, passwords, tokens, database passwords) as a field.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace meterline::log {

enum class Level { kDebug, kInfo, kWarn, kError, kOff };

// Parses "debug" | "info" | "warn" | "error" | "off".
bool ParseLevel(std::string_view text, Level& out);

// Sets the minimum level. Thread-safe; may be called again (tests).
void Init(Level level);

using FieldValue = std::variant<std::string_view, int64_t, bool>;
struct Field {
  std::string_view key;
  FieldValue value;
  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const std::string& v) : key(k), value(std::string_view(v)) {}
  Field(std::string_view k, const char* v) : key(k), value(std::string_view(v)) {}
  Field(std::string_view k, int64_t v) : key(k), value(v) {}
  Field(std::string_view k, int v) : key(k), value(static_cast<int64_t>(v)) {}
  Field(std::string_view k, uint64_t v) : key(k), value(static_cast<int64_t>(v)) {}
  Field(std::string_view k, bool v) : key(k), value(v) {}
};

bool Enabled(Level level);
void Write(Level level, std::string_view msg, std::initializer_list<Field> fields);
// Writes a pre-built JSON object line as-is (the access log builds its own).
void WriteRaw(Level level, std::string_view json_line);

inline void Debug(std::string_view msg, std::initializer_list<Field> f = {}) { Write(Level::kDebug, msg, f); }
inline void Info(std::string_view msg, std::initializer_list<Field> f = {}) { Write(Level::kInfo, msg, f); }
inline void Warn(std::string_view msg, std::initializer_list<Field> f = {}) { Write(Level::kWarn, msg, f); }
inline void Error(std::string_view msg, std::initializer_list<Field> f = {}) { Write(Level::kError, msg, f); }

// Appends `text` to `out` as a JSON string literal (with quotes), escaping as RFC 8259 requires.
void AppendJsonString(std::string& out, std::string_view text);

}  // namespace meterline::log
