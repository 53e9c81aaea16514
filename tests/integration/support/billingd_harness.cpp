#include "support/billingd_harness.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

namespace meterline::testing {

BillingdHarness::BillingdHarness(Options options) {
  log::Init(log::Level::kError);
  shared_ = options.shared_database;
  if (shared_ == nullptr) database_ = TestDatabase::Create(options.backend);
  if (options.fake_now && options.clock) throw std::invalid_argument("harness: fake_now or clock, not both");
  if (options.fake_now) fake_clock_ = std::make_unique<FakeClock>(*options.fake_now);
  clock_ = fake_clock_ ? fake_clock_.get() : options.clock ? options.clock : &system_clock_;
  std::map<std::string, std::string> env = options.env;
  env["DATABASE_URL"] = database().url();
  if (options.usage_store != Options::UsageStore::kSql) {
    clickhouse_ = TestClickHouse::Create(options.usage_store == Options::UsageStore::kClickHouseCluster);
    for (const auto& [name, value] : clickhouse_->env()) env[name] = value;
  }
  env.emplace("CONSOLE_DIR", "/nonexistent");
  env.emplace("JWT_SECRET", kJwtSecret);
  auto config = app::LoadConfig([&env](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  });
  if (!config.ok()) throw std::runtime_error("harness config: " + config.error().message);
  config->host = "127.0.0.1";
  config->port = 0;
  app::BuildOptions build;
  build.password_cost =
      options.password_cost.value_or(config->mode == app::Mode::kProduction ? auth::PasswordCost::kInteractive
                                                                            : auth::PasswordCost::kTestsOnlyMinimum);
  auto app = app::BuildApp(*config, *clock_, build);
  if (!app.ok()) throw std::runtime_error("harness wiring: " + app.error().message);
  app_ = std::move(app).value();
  if (options.customize) options.customize(*app_);

  http::ServerOptions server_options = app::ServerOptionsFor(*config, *app_);
  server_options.address = "127.0.0.1";
  server_options.port = 0;
  server_options.io_threads = 2;
  server_options.worker_threads = 4;
  server_options.handle_signals = false;
  auto server = http::Server::Start(server_options, *app_->pipeline);
  if (!server.ok()) throw std::runtime_error("harness server: " + server.error().message);
  server_ = std::move(server).value();
  thread_ = std::thread([this] { server_->Run(); });
}

BillingdHarness::~BillingdHarness() {
  server_->Shutdown();
  if (thread_.joinable()) thread_.join();
}

}  // namespace meterline::testing
