// Development secrets: generated once and kept in the data directory, so that
// sessions survive a restart without anyone having to set JWT_SECRET.
#pragma once

#include <string>

#include "core/result.hpp"

namespace meterline::app {

// Returns the secret stored in `data_dir`/`name`, creating it (32 random bytes,
// hex, file mode 0600) when missing. Fails with kInternal naming the file when
// it cannot be read or written.
Result<std::string> LoadOrCreateSecret(const std::string& data_dir, const std::string& name);

}  // namespace meterline::app
