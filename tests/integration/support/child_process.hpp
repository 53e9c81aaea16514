// ChildProcess: runs the real billingd binary (MTL_BILLINGD) with a chosen
// environment, capturing stdout and stderr to files.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace meterline::testing {

// The billingd binary under test (from the MTL_BILLINGD environment variable set by ctest).
std::string BillingdPath();

class ChildProcess {
 public:
  // Starts `program args...` with exactly `env` as its environment (plus PATH);
  // with `max_open_files`, under that RLIMIT_NOFILE (soft and hard).
  ChildProcess(const std::string& program, const std::vector<std::string>& args,
               const std::map<std::string, std::string>& env, const std::string& stdin_data = "",
               std::optional<int> max_open_files = std::nullopt);
  ~ChildProcess();  // kills the child if it is still running

  // Waits for exit; returns the exit code, or 128+signal, or nullopt on timeout.
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  void Signal(int signo);
  std::string Stdout() const;
  std::string Stderr() const;
  pid_t pid() const { return pid_; }

  // Waits until stderr has a JSON log line with "msg":"listening" and returns its port.
  std::optional<int> WaitForListeningPort(std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
  bool exited_ = false;
  int exit_code_ = -1;
  std::string stdin_path_;
  std::string stdout_path_;
  std::string stderr_path_;
};

// Runs to completion (60 s limit) and returns {exit code, stdout, stderr}.
struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
RunResult RunBillingd(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                      const std::string& stdin_data = "");

}  // namespace meterline::testing
