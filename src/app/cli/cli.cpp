#include "app/cli/cli.hpp"

#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <iostream>

#include "app/config.hpp"
#include "app/wiring.hpp"
#include "core/log.hpp"

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
  backup    Copy the embedded SQLite database while serving (backup --to FILE)
  restore   Put a backup in place of the embedded database (restore --from FILE [--force])
  version   Print the version and exit
  doctor    Check the configuration, database, ClickHouse, Redis and Stripe; say what is wrong
  customer  Create customers
  user      Create, list, disable/enable logins, set roles, revoke sessions
  apikey    Create, list and revoke API keys for machine callers
  subscription  Put a customer on a plan, change or cancel it
  usage     List a customer's stored usage events (usage events --customer ID)
  plans     Plans and their versions: list, show, create, add-version, archive, migrate
  price     What a plan would invoice for given usage (price --plan ID --usage M=N,…)
  invoices  Invoice closed billing periods (invoices run [--period YYYY-MM])
  credit-note  Issue a credit note on a finalized invoice, or list an invoice's
  credits   A customer's prepaid credits: show, grant
  dunning   Retries of failed payments: list campaigns, run the due retries
  forecast  A customer's projected period (forecast show), the model's accuracy (forecast backtest)
  analytics MRR, revenue and receivables for admins: refresh the summaries, show them
  export    Stream invoices, invoice lines, usage rollups or audit rows as CSV or JSON Lines
  stripe    Send invoices to Stripe or fetch their state (stripe sync)
  reconcile Compare computed charges with Stripe's invoices (reconcile [--period YYYY-MM])
  demo      Fill the database with demo customers, logins and usage

Run 'billingd <command> --help' for a command's flags.
Configuration comes from environment variables; see README.md.
)";

constexpr const char* kVersionUsage = R"(Usage: billingd version

Prints the version and the git commit billingd was built from.
)";

}  // namespace

void PrintError(const std::string& message) { std::fprintf(stderr, "billingd: %s\n", message.c_str()); }

bool ParseInt(const std::string& text, int64_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && !text.empty();
}

bool WantsHelp(const std::vector<std::string>& args) {
  for (const auto& a : args) {
    if (a == "-h" || a == "--help") return true;
  }
  return false;
}

Result<std::map<std::string, std::string>> ParseFlags(const std::vector<std::string>& args,
                                                      std::initializer_list<const char*> allowed) {
  std::map<std::string, std::string> out;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i], value;
    if (auto eq = arg.find('='); eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return InvalidArgument("flag " + arg + " needs a value");
    }
    bool known = false;
    for (const char* a : allowed) known = known || arg == a;
    if (!known) return InvalidArgument("unknown flag " + arg);
    out[arg] = value;
  }
  return out;
}

int WithApp(const std::function<int(App&)>& body) {
  auto config = LoadConfig(ProcessEnvironment());
  if (!config.ok()) {
    PrintError(config.error().message);
    return 2;
  }
  log::Init(log::Level::kError);
  static SystemClock clock;
  auto app = BuildApp(*config, clock);
  if (!app.ok()) {
    PrintError(app.error().message);
    return 1;
  }
  return body(**app);
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
  if (command == "invoices") return RunInvoices(args);
  if (command == "stripe") return RunStripe(args);
  if (command == "reconcile") return RunReconcile(args);
  if (command == "usage") return RunUsage(args);
  if (command == "price") return RunPrice(args);
  if (command == "plans") return RunPlans(args);
  if (command == "credit-note") return RunCreditNote(args);
  if (command == "credits") return RunCredits(args);
  if (command == "dunning") return RunDunning(args);
  if (command == "backup") return RunBackup(args);
  if (command == "restore") return RunRestore(args);
  if (command == "doctor") return RunDoctor(args);
  if (command == "forecast") return RunForecast(args);
  if (command == "analytics") return RunAnalytics(args);
  if (command == "export") return RunExport(args);
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

// A bar per stage on a terminal (a counter while the total is unknown);
// otherwise a line per tenth of the way (per 10,000 while unknown), so a
// log of a cron run shows where a long job is without flooding it.
namespace {
// The command line's progress state (one job at a time per process).
std::string progress_stage;
int64_t progress_last_step = -1;
bool progress_open_line = false;  // a terminal line ended with \r, not \n
}  // namespace

void FinishProgress() {
  if (progress_open_line) std::fprintf(stderr, "\n");
  progress_open_line = false;
  progress_stage.clear();
  progress_last_step = -1;
}

void ShowProgress(const char* what, int64_t done, int64_t total) {
  std::string& stage = progress_stage;
  int64_t& last_step = progress_last_step;
  bool& open_line = progress_open_line;
  const bool tty = isatty(STDERR_FILENO);
  if (stage != what) {
    if (open_line) std::fprintf(stderr, "\n");
    stage = what;
    last_step = -1;
    open_line = false;
  }
  if (total == 0) return;  // nothing to do
  if (total < 0) {         // unknown: count
    if (tty) {
      std::fprintf(stderr, "\r%s: %lld", what, static_cast<long long>(done));
      open_line = true;
    } else if (done / 10'000 != last_step) {
      last_step = done / 10'000;
      std::fprintf(stderr, "%s: %lld\n", what, static_cast<long long>(done));
    }
    return;
  }
  int64_t percent = done * 100 / total;
  if (tty) {
    int filled = static_cast<int>(percent * 30 / 100);
    std::fprintf(stderr, "\r[%.*s%.*s] %3lld%% %lld/%lld %s", filled, "##############################", 30 - filled,
                 "..............................", static_cast<long long>(percent), static_cast<long long>(done),
                 static_cast<long long>(total), what);
    open_line = done != total;
    if (done == total) std::fprintf(stderr, "\n");
  } else if (percent / 10 != last_step) {
    last_step = percent / 10;
    std::fprintf(stderr, "%s: %lld/%lld\n", what, static_cast<long long>(done), static_cast<long long>(total));
  }
}

}  // namespace meterline::app
