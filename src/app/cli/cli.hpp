// The billingd command line: `billingd <command> [flags]`.
// Exit codes: 0 success, 1 the command failed, 2 the command line was wrong.
#pragma once

#include <functional>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

#include "core/result.hpp"

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
int RunInvoices(const std::vector<std::string>& args);
int RunStripe(const std::vector<std::string>& args);
int RunReconcile(const std::vector<std::string>& args);
int RunUsage(const std::vector<std::string>& args);
int RunPrice(const std::vector<std::string>& args);
int RunPlans(const std::vector<std::string>& args);
int RunCreditNote(const std::vector<std::string>& args);
int RunCredits(const std::vector<std::string>& args);
int RunDunning(const std::vector<std::string>& args);
int RunBackup(const std::vector<std::string>& args);
int RunRestore(const std::vector<std::string>& args);
int RunDoctor(const std::vector<std::string>& args);
int RunForecast(const std::vector<std::string>& args);
int RunAnalytics(const std::vector<std::string>& args);
int RunExport(const std::vector<std::string>& args);

// A one-line progress bar on stderr when it is a terminal (a counter while
// `total` is -1: unknown); else a line every 10 % (every 10,000 while unknown).
// Nothing for a total of 0.
void ShowProgress(const char* what, int64_t done, int64_t total);
// Ends a progress line left open on the terminal, before the summary.
void FinishProgress();

// Prints "billingd: <message>" as one line on stderr.
void PrintError(const std::string& message);
// A whole decimal integer (no sign games, no trailing text).
bool ParseInt(const std::string& text, int64_t& out);
// True when args holds -h or --help.
bool WantsHelp(const std::vector<std::string>& args);

// Parses "--flag value" and "--flag=value"; every flag must be in `allowed`.
Result<std::map<std::string, std::string>> ParseFlags(const std::vector<std::string>& args,
                                                      std::initializer_list<const char*> allowed);

struct App;
// Loads the configuration from the environment, builds the app with logging
// limited to errors (the command's output is its result), and runs `body`.
// Configuration errors exit 2, start-up failures 1, each as one line.
int WithApp(const std::function<int(App&)>& body);

}  // namespace meterline::app
