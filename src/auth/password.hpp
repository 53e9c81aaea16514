// Password hashing with Argon2id (libsodium crypto_pwhash_str). The encoded hash
// carries its own salt and parameters, so the cost can be raised later without
// invalidating stored hashes. Passwords are never logged or returned.
// Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace meterline::auth {

enum class PasswordCost {
  kInteractive,  // libsodium INTERACTIVE: 64 MiB, 2 passes (~50-100 ms here)
  kModerate,     // libsodium MODERATE: 256 MiB, 3 passes
  // libsodium's minimum (8 KiB, 1 pass: microseconds). For tests only: no
  // setting reaches it, and BuildApp refuses it in production mode.
  kTestsOnlyMinimum,
};

class PasswordHasher {
 public:
  explicit PasswordHasher(PasswordCost cost = PasswordCost::kInteractive);

  // Fails with kInvalidArgument when the password is shorter than 10 or longer
  // than 1024 bytes.
  Result<std::string> Hash(std::string_view password) const;

  // True when `password` matches `encoded_hash`.
  bool Verify(std::string_view encoded_hash, std::string_view password) const;

  // Spends the time of one Verify() against a real hash and returns false: used
  // for unknown accounts so that "no such email" and "wrong password" cannot
  // be told apart by timing.
  bool VerifyAgainstDummy(std::string_view password) const;

 private:
  unsigned long long opslimit_;
  size_t memlimit_;
  std::string dummy_hash_;
};

}  // namespace meterline::auth
