// current_usage_bench: how long GET /api/v1/billing/usage/current's work takes
// for a customer with many events in the period. Uses the configuration
// billingd would (DATABASE_URL, CLICKHOUSE_URL, …), creates a customer on the
// enterprise plan, stores EVENTS events spread over the current period through
// the real ingest path, then times UsageService::Current REPEAT times.
//
//   current_usage_bench EVENTS [REPEAT]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "app/config.hpp"
#include "app/wiring.hpp"
#include "core/log.hpp"

using namespace meterline;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: current_usage_bench EVENTS [REPEAT]\n");
    return 2;
  }
  int64_t events = std::atoll(argv[1]);
  int repeat = argc > 2 ? std::atoi(argv[2]) : 200;
  log::Init(log::Level::kError);
  auto config = app::LoadConfig([](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    return v ? std::optional<std::string>(v) : std::nullopt;
  });
  if (!config.ok()) {
    std::fprintf(stderr, "%s\n", config.error().message.c_str());
    return 2;
  }
  config->migrate_on_start = true;
  SystemClock clock;
  auto built = app::BuildApp(*config, clock);
  if (!built.ok()) {
    std::fprintf(stderr, "%s\n", built.error().message.c_str());
    return 1;
  }
  app::App& a = **built;
  auth::RequestOrigin origin{"", "bench"};
  auto customer = a.customers->Create({"Bench Corp", "", "US", "USD"}, "bench", origin);
  TimePoint now = clock.Now();
  TimePoint anchor = now - std::chrono::hours(24 * 20);  // period started 20 days ago
  auto sub = a.subscriptions->Create(customer->id, "enterprise", anchor, subscriptions::Status::kActive, "bench");
  if (!sub.ok()) {
    std::fprintf(stderr, "%s\n", sub.error().message.c_str());
    return 1;
  }

  // Events spread evenly over the 20 days so far, three metrics in turn.
  const char* metrics[] = {"impressions", "api_calls", "data_transfer"};
  int64_t span_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - anchor).count() - 60'000;
  auto load_start = std::chrono::steady_clock::now();
  const int64_t kBatch = 10'000;
  for (int64_t done = 0; done < events;) {
    std::vector<std::pair<size_t, metering::UsageEvent>> batch;
    for (int64_t i = 0; i < kBatch && done < events; ++i, ++done) {
      metering::UsageEvent e;
      e.id = "ev-" + std::to_string(done);
      e.customer_id = customer->id;
      e.metric = metrics[done % 3];
      e.value = 1 + done % 7;
      e.timestamp = anchor + std::chrono::milliseconds(span_ms * done / events);
      batch.emplace_back(batch.size(), std::move(e));
    }
    auto r = a.ingest->Ingest(metering::RefsOf(batch), {}, "");
    if (!r.ok() || r->accepted != static_cast<int64_t>(batch.size())) {
      std::fprintf(stderr, "ingest failed: %s\n", r.ok() ? "not all accepted" : r.error().message.c_str());
      return 1;
    }
    if (done % 1'000'000 == 0) std::fprintf(stderr, "loaded %lld events\n", static_cast<long long>(done));
  }
  double load_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count();

  std::vector<double> micros;
  int64_t seen = 0;
  for (int i = 0; i < repeat; ++i) {
    auto start = std::chrono::steady_clock::now();
    auto usage = a.usage->Current(customer->id);
    micros.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count());
    if (!usage.ok()) {
      std::fprintf(stderr, "current usage failed: %s\n", usage.error().message.c_str());
      return 1;
    }
    seen = 0;
    for (const auto& m : usage->metrics) seen += m.usage;
  }
  std::sort(micros.begin(), micros.end());
  auto pct = [&](double p) { return micros[std::min(micros.size() - 1, static_cast<size_t>(p * micros.size()))]; };
  std::printf(
      "store=%s events=%lld load_seconds=%.1f load_events_per_second=%.0f repeat=%d "
      "current_usage_p50_ms=%.2f p99_ms=%.2f max_ms=%.2f usage_sum=%lld\n",
      a.usage_store->name(), static_cast<long long>(events), load_seconds, events / load_seconds, repeat,
      pct(0.50) / 1000, pct(0.99) / 1000, micros.back() / 1000, static_cast<long long>(seen));
  return 0;
}
