// billingd: Meterline's one server binary. See app/cli/cli.hpp.
#include <cstdio>
#include <exception>

#include "app/cli/cli.hpp"
#include "app/console_assets.hpp"

int main(int argc, char** argv) {
  try {
    meterline::app::RegisterConsole(meterline::app::ConsoleAssets());
    return meterline::app::RunCli(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "billingd: fatal: %s\n", e.what());
    return 1;
  }
}
