#include "app/cli/cli.hpp"

#include <cstdio>
#include <iostream>

#ifndef MTL_VERSION
#define MTL_VERSION "0.0.0"
#endif
#ifndef MTL_GIT_COMMIT
#define MTL_GIT_COMMIT "unknown"
#endif

namespace meterline::app {

namespace {

constexpr const char* kUsage = R"(billingd — Meterline usage-based billing server

Usage: billingd <command> [flags]

Commands:
  serve     Run the HTTP API, the web console and background jobs
  migrate   Apply database migrations (--status lists them)
  version   Print the version and exit
  customer  Create customers
  user      Create logins (admin or member)
  apikey    Create, list and revoke API keys for machine callers
  subscription  Put a customer on a plan
  demo      Fill the database with demo customers, logins and usage

Run 'billingd <command> --help' for a command's flags.
Configuration comes from environment variables; see README.md.
)";

constexpr const char* kVersionUsage = R"(Usage: billingd version

Prints the version and the git commit billingd was built from.
)";

}  // namespace

void PrintError(const std::string& message) { std::fprintf(stderr, "billingd: %s\n", message.c_str()); }

bool WantsHelp(const std::vector<std::string>& args) {
  for (const auto& a : args) {
    if (a == "-h" || a == "--help") return true;
  }
  return false;
}

int RunCli(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::cerr << kUsage;
    return 2;
  }
  std::string command = args.front();
  args.erase(args.begin());
  if (command == "-h" || command == "--help" || command == "help") {
    std::cout << kUsage;
    return 0;
  }
  if (command == "serve") return RunServe(args);
  if (command == "migrate") return RunMigrate(args);
  if (command == "customer") return RunCustomer(args);
  if (command == "user") return RunUser(args);
  if (command == "apikey") return RunApiKey(args);
  if (command == "subscription") return RunSubscription(args);
  if (command == "demo") return RunDemo(args);
  if (command == "version" || command == "--version") {
    if (WantsHelp(args)) {
      std::cout << kVersionUsage;
      return 0;
    }
    if (!args.empty()) {
      PrintError("version takes no arguments, got " + args.front());
      return 2;
    }
    std::cout << "billingd " << MTL_VERSION << " (" << MTL_GIT_COMMIT << ")\n";
    return 0;
  }
  PrintError("unknown command '" + command + "'; run 'billingd --help'");
  return 2;
}

}  // namespace meterline::app
