// The billingd command line: `billingd <command> [flags]`.
// Exit codes: 0 success, 1 the command failed, 2 the command line was wrong.
#pragma once

#include <string>
#include <vector>

namespace meterline::app {

int RunCli(int argc, char** argv);

// Subcommands; `args` excludes the program and command names.
int RunServe(const std::vector<std::string>& args);
int RunMigrate(const std::vector<std::string>& args);
int RunCustomer(const std::vector<std::string>& args);
int RunUser(const std::vector<std::string>& args);
int RunApiKey(const std::vector<std::string>& args);
int RunSubscription(const std::vector<std::string>& args);
int RunDemo(const std::vector<std::string>& args);

// Prints "billingd: <message>" as one line on stderr.
void PrintError(const std::string& message);
// True when args holds -h or --help.
bool WantsHelp(const std::vector<std::string>& args);

}  // namespace meterline::app
