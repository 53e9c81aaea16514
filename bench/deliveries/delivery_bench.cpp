// Outgoing webhook delivery throughput (bench/deliveries/run): EVENTS events
// published for CUSTOMERS customers, fanned out to one platform-wide endpoint
// on a local receiver that answers 200 at once (retries never happen), then
// delivered by one worker pass after another until none is left. Prints the
// fan-out and delivery rates. The receiver's address comes from
// MTL_BENCH_RECEIVER_URL; WEBHOOK_ALLOW_PRIVATE_TARGETS must be true.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/bench_app.hpp"
#include "outbox/events.hpp"

using namespace meterline;

int main(int argc, char** argv) {
  int64_t events = argc > 1 ? std::atoll(argv[1]) : 20000;
  int64_t customers = argc > 2 ? std::atoll(argv[2]) : 100;
  const char* url = std::getenv("MTL_BENCH_RECEIVER_URL");
  if (url == nullptr || events <= 0 || customers <= 0) {
    std::fprintf(stderr, "usage: MTL_BENCH_RECEIVER_URL=http://127.0.0.1:PORT/ delivery_bench [events] [customers]\n");
    return 2;
  }
  SystemClock clock;
  auto app = bench::BuildAppFromEnv(clock);
  auto made = app->webhook_endpoints->Create({.url = url, .event_types = {"*"}, .actor = "bench"});
  if (!made.ok()) {
    std::fprintf(stderr, "endpoint: %s\n", made.error().message.c_str());
    return 1;
  }
  // Published as the product does, in transactions of 1,000.
  for (int64_t done = 0; done < events;) {
    std::vector<outbox::Event> batch;
    for (; done < events && batch.size() < 1000; ++done) {
      batch.push_back({"invoice.finalized",
                       "cus_bench_" + std::to_string(done % customers + 1),
                       {{"invoice_id", "inv_bench_" + std::to_string(done)}, {"total_minor", 14900}},
                       clock.Now()});
    }
    auto written = app->db->Transact(storage::TxMode::kReadWrite,
                                     [&](storage::Transaction& tx) { return outbox::PublishMany(tx, batch); });
    if (!written.ok()) {
      std::fprintf(stderr, "publish: %s\n", written.error().message.c_str());
      return 1;
    }
  }
  auto started = std::chrono::steady_clock::now();
  int64_t fanned = 0;
  for (;;) {
    auto n = app->webhook_worker->FanOut(5000);
    if (!n.ok()) {
      std::fprintf(stderr, "fan-out: %s\n", n.error().message.c_str());
      return 1;
    }
    if (*n == 0) break;
    fanned += *n;
  }
  double fan_seconds = bench::SecondsSince(started);
  started = std::chrono::steady_clock::now();
  int64_t delivered = 0, failed = 0;
  for (;;) {
    auto run = app->webhook_worker->RunOnce();
    if (!run.ok()) {
      std::fprintf(stderr, "delivery: %s\n", run.error().message.c_str());
      return 1;
    }
    delivered += run->succeeded;
    failed += run->retrying + run->failed;
    if (run->succeeded + run->retrying + run->failed == 0) break;
  }
  double seconds = bench::SecondsSince(started);
  std::printf(
      "events %lld, customers %lld: fan-out %.2f s (%.0f events/s); delivered %lld in %.2f s: %.0f "
      "deliveries/s (%lld not 2xx)\n",
      static_cast<long long>(fanned), static_cast<long long>(customers), fan_seconds,
      static_cast<double>(fanned) / fan_seconds, static_cast<long long>(delivered), seconds,
      static_cast<double>(delivered) / seconds, static_cast<long long>(failed));
  return failed == 0 && delivered == events ? 0 : 1;
}
