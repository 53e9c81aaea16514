// Headers: an ordered list of HTTP header fields with case-insensitive lookup.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace meterline::http {

bool EqualsIgnoreCase(std::string_view a, std::string_view b);
// A Content-Type's media type without its parameters: "application/json" of
// "application/json; charset=utf-8".
std::string_view MediaType(std::string_view content_type);

class Headers {
 public:
  // Returns the first value of `name`, or "" when absent.
  std::string_view Get(std::string_view name) const;
  bool Has(std::string_view name) const;
  // Replaces every field called `name` with one holding `value`.
  void Set(std::string_view name, std::string value);
  // Appends a field (for repeatable headers such as Set-Cookie).
  void Add(std::string_view name, std::string value);
  void Remove(std::string_view name);

  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

}  // namespace meterline::http
