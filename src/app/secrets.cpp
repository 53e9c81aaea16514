#include "app/secrets.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/ids.hpp"

namespace meterline::app {

Result<std::string> LoadOrCreateSecret(const std::string& data_dir, const std::string& name) {
  std::filesystem::path path = std::filesystem::path(data_dir) / name;
  std::error_code ec;
  if (!std::filesystem::exists(data_dir, ec)) {
    std::filesystem::create_directories(data_dir, ec);
    std::filesystem::permissions(data_dir, std::filesystem::perms::owner_all, ec);  // 0700: it holds secrets
  }
  if (std::filesystem::exists(path, ec)) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string secret = ss.str();
    while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
    if (!in || secret.size() < 32)
      return Internal("cannot use " + path.string() + ": unreadable or shorter than 32 bytes");
    return secret;
  }
  std::string secret = RandomHex(32);
  // Written whole to a file of our own, then linked into place: two processes
  // starting at once on a fresh directory must neither write different
  // secrets (link fails for the second) nor read a half-written file (the
  // name appears only once its content is complete).
  std::filesystem::path draft = path;
  draft += ".new-" + RandomHex(8);
  int fd = ::open(draft.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return Internal("cannot create " + draft.string());
  std::string line = secret + "\n";
  bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) {
    ::unlink(draft.c_str());
    return Internal("cannot write " + draft.string());
  }
  int linked = ::link(draft.c_str(), path.c_str());
  int link_errno = errno;
  ::unlink(draft.c_str());
  if (linked != 0) {
    if (link_errno == EEXIST) return LoadOrCreateSecret(data_dir, name);  // another process was first
    return Internal("cannot create " + path.string());
  }
  return secret;
}

}  // namespace meterline::app
