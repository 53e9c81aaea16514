#include "support/child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace meterline::testing {

namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string TempPath(const std::string& suffix) {
  // Atomic: tests start children from several threads at once, and two
  // children given the same number would share their stdout and stderr files.
  static std::atomic<int> counter{0};
  return std::string(std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp") + "/mtl_child_" +
         std::to_string(::getpid()) + "_" + std::to_string(++counter) + suffix;
}

}  // namespace

std::string BillingdPath() {
  const char* path = std::getenv("MTL_BILLINGD");
  if (path == nullptr) throw std::runtime_error("MTL_BILLINGD is not set; run the tests through ctest");
  return path;
}

ChildProcess::ChildProcess(const std::string& program, const std::vector<std::string>& args,
                           const std::map<std::string, std::string>& env, const std::string& stdin_data,
                           std::optional<int> max_open_files)
    : stdin_path_(TempPath(".in")), stdout_path_(TempPath(".out")), stderr_path_(TempPath(".err")) {
  std::ofstream(stdin_path_) << stdin_data;
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  if (!env.count("PATH"))
    env_strings.push_back(std::string("PATH=") + (std::getenv("PATH") ? std::getenv("PATH") : ""));
  // The sanitizer builds' runtime options (suppressions) reach the child too.
  for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS", "G_SLICE"}) {
    const char* value = std::getenv(name);
    if (value != nullptr && !env.count(name)) env_strings.push_back(std::string(name) + "=" + value);
  }
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    int out = ::open(stdout_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = ::open(stderr_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int in = ::open(stdin_path_.c_str(), O_RDONLY);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    if (max_open_files) {
      rlimit limit{static_cast<rlim_t>(*max_open_files), static_cast<rlim_t>(*max_open_files)};
      if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) ::_exit(126);
    }
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(program.c_str()));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (auto& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
    ::execve(program.c_str(), argv.data(), envp.data());
    ::_exit(127);
  }
}

ChildProcess::~ChildProcess() {
  if (!exited_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  ::unlink(stdin_path_.c_str());
  ::unlink(stdout_path_.c_str());
  ::unlink(stderr_path_.c_str());
}

std::optional<int> ChildProcess::Wait(std::chrono::milliseconds timeout) {
  if (exited_) return exit_code_;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exited_ = true;
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return exit_code_;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void ChildProcess::Signal(int signo) {
  if (!exited_) ::kill(pid_, signo);
}

std::string ChildProcess::Stdout() const { return ReadFile(stdout_path_); }
std::string ChildProcess::Stderr() const { return ReadFile(stderr_path_); }

std::optional<int> ChildProcess::WaitForListeningPort(std::chrono::milliseconds timeout) {
  static const std::regex kListening(R"("msg":"listening".*"port":(\d+))");
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::smatch m;
    std::string err = Stderr();
    if (std::regex_search(err, m, kListening)) return std::stoi(m[1]);
    if (Wait(std::chrono::milliseconds(0)).has_value()) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return std::nullopt;
}

RunResult RunBillingd(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
                      const std::string& stdin_data) {
  ChildProcess child(BillingdPath(), args, env, stdin_data);
  RunResult result;
  // A ceiling for a hung child, not a speed test: `demo` takes a few seconds,
  // but nearly 20 under ThreadSanitizer on a busy machine.
  auto code = child.Wait(std::chrono::seconds(60));
  result.exit_code = code.value_or(-1);
  result.out = child.Stdout();
  result.err = child.Stderr();
  return result;
}

}  // namespace meterline::testing
