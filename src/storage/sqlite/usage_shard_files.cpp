#include "storage/sqlite/usage_shard_files.hpp"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <system_error>

namespace meterline::storage {

namespace {

namespace fs = std::filesystem;

// "meterline" for meterline.db: what the shard names start with.
std::string Stem(const std::string& db_path) {
  std::string name = fs::path(db_path).filename().string();
  if (name.size() > 3 && name.compare(name.size() - 3, 3, ".db") == 0) name.resize(name.size() - 3);
  return name;
}

}  // namespace

std::string UsageShardPath(const std::string& db_path, int index) {
  fs::path path(db_path);
  return (path.parent_path() / (Stem(db_path) + "-usage-" + std::to_string(index) + ".db")).string();
}

std::vector<std::pair<int, std::string>> ExistingUsageShards(const std::string& db_path) {
  std::vector<std::pair<int, std::string>> out;
  fs::path dir = fs::path(db_path).parent_path();
  if (dir.empty()) dir = ".";
  std::string prefix = Stem(db_path) + "-usage-";
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.size() <= prefix.size() + 3 || name.compare(0, prefix.size(), prefix) != 0 ||
        name.compare(name.size() - 3, 3, ".db") != 0) {
      continue;
    }
    std::string_view digits(name.data() + prefix.size(), name.size() - prefix.size() - 3);
    int index = -1;
    auto [end_of_number, error] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
    if (error != std::errc() || end_of_number != digits.data() + digits.size() || index < 0) continue;
    out.emplace_back(index, it->path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace meterline::storage
