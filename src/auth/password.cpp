#include "auth/password.hpp"

#include <sodium.h>

#include <stdexcept>

namespace meterline::auth {

namespace {

void EnsureSodium() {
  static const bool ready = [] { return sodium_init() >= 0; }();
  if (!ready) throw std::runtime_error("libsodium failed to initialise");
}

}  // namespace

PasswordHasher::PasswordHasher(PasswordCost cost) {
  EnsureSodium();
  if (cost == PasswordCost::kModerate) {
    opslimit_ = crypto_pwhash_OPSLIMIT_MODERATE;
    memlimit_ = crypto_pwhash_MEMLIMIT_MODERATE;
  } else if (cost == PasswordCost::kTestsOnlyMinimum) {
    opslimit_ = crypto_pwhash_OPSLIMIT_MIN;
    memlimit_ = crypto_pwhash_MEMLIMIT_MIN;
  } else {
    opslimit_ = crypto_pwhash_OPSLIMIT_INTERACTIVE;
    memlimit_ = crypto_pwhash_MEMLIMIT_INTERACTIVE;
  }
  char out[crypto_pwhash_STRBYTES];
  static constexpr char kDummy[] = "dummy password for timing equality";
  if (crypto_pwhash_str_alg(out, kDummy, sizeof kDummy - 1, opslimit_, memlimit_, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    throw std::runtime_error("Argon2id hashing failed (out of memory?)");
  }
  dummy_hash_ = out;
}

Result<std::string> PasswordHasher::Hash(std::string_view password) const {
  if (password.size() < 10) return InvalidArgument("password must be at least 10 characters");
  if (password.size() > 1024) return InvalidArgument("password must be at most 1024 bytes");
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), opslimit_, memlimit_,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Internal("Argon2id hashing failed (out of memory?)");
  }
  return std::string(out);
}

bool PasswordHasher::Verify(std::string_view encoded_hash, std::string_view password) const {
  if (password.size() > 1024) return VerifyAgainstDummy(password.substr(0, 1024));
  std::string hash(encoded_hash);  // crypto_pwhash_str_verify needs a NUL-terminated string
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

bool PasswordHasher::VerifyAgainstDummy(std::string_view password) const {
  std::string copy(password.substr(0, 1024));
  int ignored = crypto_pwhash_str_verify(dummy_hash_.c_str(), copy.data(), copy.size());
  (void)ignored;
  return false;
}

}  // namespace meterline::auth
