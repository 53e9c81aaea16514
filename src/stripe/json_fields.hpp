// Reading fields of Stripe's JSON objects, where a field may be absent,
// null or of another type than expected (shapes vary by API version).
#pragma once

#include <boost/json/object.hpp>

#include <optional>
#include <string>

namespace meterline::stripe {

// The string at `key`, or "" when absent, null or not a string.
inline std::string TextField(const boost::json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : "";
}

// The integer at `key`, or nullopt.
inline std::optional<int64_t> IntField(const boost::json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr) return std::nullopt;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64() && v->as_uint64() <= static_cast<uint64_t>(INT64_MAX)) return static_cast<int64_t>(v->as_uint64());
  return std::nullopt;
}

// The object at `key`, or null.
inline const boost::json::object* ObjectField(const boost::json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_object() ? &v->as_object() : nullptr;
}

// metadata[key] as a string, or "".
inline std::string MetadataField(const boost::json::object& o, const char* key) {
  const auto* m = ObjectField(o, "metadata");
  return m != nullptr ? TextField(*m, key) : "";
}

}  // namespace meterline::stripe
