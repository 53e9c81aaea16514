// Outgoing webhooks across real billingd processes, once per backend: an
// instance is killed with SIGKILL while it waits on a slow receiver, two more
// instances then share the work. Every event arrives; the only one that
// arrives twice is the one in flight when the instance died (its attempt was
// never recorded, so it is sent again after the lease, with the same event
// id); the two live instances never send one delivery twice.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <csignal>
#include <filesystem>
#include <map>

#include "outbox/events.hpp"
#include "support/child_process.hpp"
#include "support/test_database.hpp"
#include "support/webhook_receiver.hpp"
#include "webhooks/endpoint_store.hpp"

namespace meterline::testing {
namespace {

namespace fs = std::filesystem;

class WebhookProcessTest : public ::testing::TestWithParam<storage::Backend> {};

TEST_P(WebhookProcessTest, AKilledInstanceRepeatsOnlyWhatWasInFlightAndTwoInstancesNothing) {
  constexpr int kEvents = 30;
  auto database = TestDatabase::Create(GetParam());
  fs::path dir = fs::temp_directory_path() / ("mtl_webhook_proc_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::map<std::string, std::string> env = {
      {"DATABASE_URL", database->url()},         {"DATA_DIR", dir.string()},
      {"CONSOLE_DIR", "/nonexistent"},           {"INVOICE_SCHEDULE_SECONDS", "0"},
      {"WEBHOOK_ALLOW_PRIVATE_TARGETS", "true"}, {"WEBHOOK_LEASE_SECONDS", "20"}};
  ASSERT_EQ(RunBillingd({"migrate"}, env).exit_code, 0);

  WebhookReceiver receiver;
  SystemClock clock;
  auto db = database->OpenAnother();
  webhooks::EndpointStore endpoints(*db, clock, true);
  ASSERT_TRUE(endpoints.Create({.url = receiver.Url(), .event_types = {"*"}, .actor = "test"}).ok());
  std::vector<outbox::Event> events;
  for (int n = 0; n < kEvents; ++n) {
    events.push_back({"invoice.finalized", "cus_" + std::to_string(n % 3), {{"n", n}}, clock.Now()});
  }
  ASSERT_TRUE(db->Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) {
                  return outbox::PublishMany(tx, events);
                }).ok());

  // The first delivery hangs at the receiver: the instance is killed then.
  receiver.Script({{.status = 200, .delay = std::chrono::seconds(4)}});
  {
    ChildProcess first(BillingdPath(), {"serve", "--port", "0", "--host", "127.0.0.1"}, env);
    ASSERT_TRUE(first.WaitForListeningPort(std::chrono::seconds(15)).has_value()) << first.Stderr();
    ASSERT_TRUE(receiver.WaitFor(1, std::chrono::seconds(15))) << first.Stderr();
    first.Signal(SIGKILL);
    first.Wait(std::chrono::seconds(5));
  }
  ASSERT_EQ(receiver.Count(), 1u);

  ChildProcess second(BillingdPath(), {"serve", "--port", "0", "--host", "127.0.0.1"}, env);
  ChildProcess third(BillingdPath(), {"serve", "--port", "0", "--host", "127.0.0.1"}, env);
  ASSERT_TRUE(second.WaitForListeningPort(std::chrono::seconds(15)).has_value()) << second.Stderr();
  ASSERT_TRUE(third.WaitForListeningPort(std::chrono::seconds(15)).has_value()) << third.Stderr();
  // The dead instance's claims run out 20 s after it made them.
  ASSERT_TRUE(receiver.WaitFor(kEvents + 1, std::chrono::seconds(60))) << receiver.Count();
  std::this_thread::sleep_for(std::chrono::seconds(2));  // anything more would show now

  std::map<std::string, int> times;
  std::string first_id;
  for (const auto& r : receiver.Requests()) {
    std::string id = r.headers.at("meterline-event-id");
    if (first_id.empty()) first_id = id;
    ++times[id];
  }
  EXPECT_EQ(times.size(), static_cast<size_t>(kEvents)) << "every event arrives";
  EXPECT_EQ(times[first_id], 2) << "the one in flight at the kill, again";
  for (const auto& [id, n] : times) {
    if (id != first_id) {
      EXPECT_EQ(n, 1) << id << " arrived " << n << " times";
    }
  }
  auto done = db->Execute("SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'succeeded'");
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->rows[0].Int(0), kEvents);
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Backends, WebhookProcessTest, ::testing::ValuesIn(TestBackends()),
                         [](const auto& info) { return BackendParamName(info.param); });

}  // namespace
}  // namespace meterline::testing
