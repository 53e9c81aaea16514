#include "storage/sqlite/usage_shard_files.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
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

Status RemoveUsageShard(const std::string& path) {
  for (const std::string& file : {path + "-wal", path + "-shm", path}) {
    std::error_code ec;
    fs::remove(file, ec);
    if (ec) return Internal("cannot remove usage shard " + file + ": " + ec.message());
  }
  return OkStatus();
}

Result<std::unique_ptr<UsageLayoutLock>> UsageLayoutLock::Share(const std::string& db_path) {
  fs::path path = fs::path(db_path).parent_path() / (Stem(db_path) + "-usage.lock");
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Unavailable("cannot open " + path.string() + ": " + std::strerror(errno));
  auto lock = std::unique_ptr<UsageLayoutLock>(new UsageLayoutLock(fd, path.string()));
  MTL_RETURN_IF_ERROR(lock->Share());
  return lock;
}

UsageLayoutLock::~UsageLayoutLock() { ::close(fd_); }

Status UsageLayoutLock::Share() {
  while (::flock(fd_, LOCK_SH) != 0) {
    if (errno != EINTR) return Unavailable("cannot lock " + path_ + ": " + std::strerror(errno));
  }
  return OkStatus();
}

Status UsageLayoutLock::TryExclusive() {
  if (::flock(fd_, LOCK_EX | LOCK_NB) == 0) return OkStatus();
  if (errno == EWOULDBLOCK) {
    return Error(ErrorCode::kConflict, "usage_files_in_use",
                 "another billingd process is using the usage files (" + path_ +
                     "); stop it before usage is moved to the files USAGE_SHARDS names");
  }
  return Unavailable("cannot lock " + path_ + ": " + std::strerror(errno));
}

}  // namespace meterline::storage
