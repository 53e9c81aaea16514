// Error and Result<T>: the one error model of Meterline.
//
// Every expected failure (bad input, not found, conflict, a database or remote
// error) is returned as an Error inside a Result<T>; exceptions are reserved for
// programmer errors and for failures that end the process at start-up.
// Exactly one place, http/error_mapping.cpp, turns an ErrorCode into an HTTP status.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace meterline {

// The category of a failure. Each maps to one HTTP status (see error_mapping).
enum class ErrorCode {
  kInvalidArgument,       // 400: malformed or invalid input
  kUnauthenticated,       // 401: missing or bad credentials
  kPermissionDenied,      // 403: authenticated but not allowed
  kNotFound,              // 404: no such object (or not visible to the caller)
  kMethodNotAllowed,      // 405: route exists, method does not
  kConflict,              // 409: state conflict (duplicate, in progress)
  kPayloadTooLarge,       // 413: request body over the limit
  kHeadersTooLarge,       // 431: request line and headers over the limit
  kUnsupportedMediaType,  // 415: Content-Type not accepted
  kUnprocessable,         // 422: well-formed but semantically refused
  kRateLimited,           // 429: too many requests
  kInternal,              // 500: a bug or an unexpected failure
  kUnavailable,           // 503: a dependency (database) is unreachable
};

// Machine-readable default reason for a code, e.g. "not_found".
const char* DefaultReason(ErrorCode code);

// A failure: what kind (code), a stable machine-readable reason shown to API
// clients (e.g. "feature_disabled", "invalid_json"), and a human message.
// The message must never contain secrets; it may be shown to clients.
struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string reason;  // empty means DefaultReason(code)
  std::string message;
  // The request field the error is about ("email", "tiers[2].up_to", a query
  // parameter); "" when it is about no one field. Answered as error.param.
  std::string param;
  // When > 0, the HTTP answer tells the client when to try again (Retry-After).
  int retry_after_seconds = 0;

  Error() = default;
  Error(ErrorCode c, std::string msg) : code(c), message(std::move(msg)) {}
  Error(ErrorCode c, std::string why, std::string msg) : code(c), reason(std::move(why)), message(std::move(msg)) {}

  std::string Reason() const { return reason.empty() ? DefaultReason(code) : reason; }
};

// Convenience constructors for the common codes.
inline Error InvalidArgument(std::string msg) { return {ErrorCode::kInvalidArgument, std::move(msg)}; }
// A request field that is missing or wrong: `msg` names it too ("email must be …").
inline Error InvalidParam(std::string param, std::string msg) {
  Error e(ErrorCode::kInvalidArgument, std::move(msg));
  e.param = std::move(param);
  return e;
}
inline Error NotFound(std::string msg) { return {ErrorCode::kNotFound, std::move(msg)}; }
inline Error Conflict(std::string msg) { return {ErrorCode::kConflict, std::move(msg)}; }
inline Error Internal(std::string msg) { return {ErrorCode::kInternal, std::move(msg)}; }
inline Error Unavailable(std::string msg) { return {ErrorCode::kUnavailable, std::move(msg)}; }

// Either a T or an Error. Check ok() before value(); value() on an error is a
// programmer error (asserts in debug builds).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : state_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(state_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(state_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(state_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  // REQUIRES: !ok()
  const Error& error() const& {
    assert(!ok());
    return std::get<1>(state_);
  }
  Error&& error() && {
    assert(!ok());
    return std::get<1>(std::move(state_));
  }

 private:
  std::variant<T, Error> state_;
};

// Result of an operation that has no value on success.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), failed_(true) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const Error& error() const& {
    assert(failed_);
    return error_;
  }
  Error&& error() && {
    assert(failed_);
    return std::move(error_);
  }

 private:
  Error error_;
  bool failed_ = false;
};

using Status = Result<void>;
inline Status OkStatus() { return {}; }

}  // namespace meterline

// Returns the error of a failed Result/Status expression from the enclosing
// function. Variadic so that braced arguments with commas need no parentheses.
#define MTL_RETURN_IF_ERROR(...)                                  \
  do {                                                            \
    auto mtl_status_ = (__VA_ARGS__);                             \
    if (!mtl_status_.ok()) return std::move(mtl_status_).error(); \
  } while (0)

// `MTL_ASSIGN_OR_RETURN(auto rows, db.Execute(sql, {a, b}));` declares `rows`
// as the value of a successful Result, or returns its error from the enclosing
// function. Expands to several statements: use it as one, never as the body of
// an unbraced if or loop.
#define MTL_ASSIGN_OR_RETURN(lhs, ...) \
  MTL_ASSIGN_OR_RETURN_IMPL_(MTL_RESULT_CONCAT_(mtl_result_, __LINE__), lhs, __VA_ARGS__)
#define MTL_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, ...) \
  auto tmp = (__VA_ARGS__);                       \
  if (!tmp.ok()) return std::move(tmp).error();   \
  lhs = std::move(tmp).value()
#define MTL_RESULT_CONCAT_INNER_(a, b) a##b
#define MTL_RESULT_CONCAT_(a, b) MTL_RESULT_CONCAT_INNER_(a, b)
