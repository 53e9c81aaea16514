// A file compiled into the binary (migrations, the OpenAPI document); see cmake/EmbedFiles.cmake.
#pragma once

#include <string_view>

namespace meterline {

struct EmbeddedFile {
  std::string_view name;     // base name, e.g. "0001_init.sql"
  std::string_view content;  // the file's bytes
};

}  // namespace meterline
