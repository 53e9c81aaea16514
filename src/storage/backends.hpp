// Constructors of the two backends, for Database::Open only.
#pragma once

#include <memory>
#include <string>

#include "storage/database.hpp"

namespace meterline::storage {

Result<std::unique_ptr<Database>> OpenSqlite(const std::string& path, const DatabaseOptions& options);
Result<std::unique_ptr<Database>> OpenPostgres(const std::string& url, const DatabaseOptions& options);

}  // namespace meterline::storage
