#include "observability/metrics.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace meterline::observability {
namespace {

TEST(MetricsTest, RendersCountersWithEscapedLabels) {
  Registry registry;
  auto& family = registry.AddCounter("test_requests_total", "Requests.", {"route"});
  family.WithLabels({"/a\"b"}).Inc(3);
  std::string text = registry.Render();
  EXPECT_NE(text.find("# TYPE test_requests_total counter"), std::string::npos);
  EXPECT_NE(text.find(R"(test_requests_total{route="/a\"b"} 3)"), std::string::npos) << text;
}

TEST(MetricsTest, HistogramBucketsAreCumulative) {
  Registry registry;
  auto& h = registry.AddHistogram("test_duration_seconds", "Durations.", {}, {0.001, 0.01});
  h.WithLabels({}).ObserveMicros(500);    // <= 1 ms
  h.WithLabels({}).ObserveMicros(5000);   // <= 10 ms
  h.WithLabels({}).ObserveMicros(50000);  // +Inf
  std::string text = registry.Render();
  EXPECT_NE(text.find(R"(test_duration_seconds_bucket{le="0.001"} 1)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(test_duration_seconds_bucket{le="0.01"} 2)"), std::string::npos);
  EXPECT_NE(text.find(R"(test_duration_seconds_bucket{le="+Inf"} 3)"), std::string::npos);
  EXPECT_NE(text.find("test_duration_seconds_sum 0.0555"), std::string::npos);
  EXPECT_NE(text.find("test_duration_seconds_count 3"), std::string::npos);
}

TEST(MetricsTest, ConcurrentIncrementsAreNotLost) {
  Registry registry;
  auto& family = registry.AddCounter("test_total", "T.", {"k"});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&family, t] {
      for (int i = 0; i < 10000; ++i) family.WithLabels({std::to_string(i % 3)}).Inc();
      (void)t;
    });
  }
  for (auto& th : threads) th.join();
  uint64_t total = 0;
  for (int k = 0; k < 3; ++k) total += family.WithLabels({std::to_string(k)}).value();
  EXPECT_EQ(total, 40000u);
}

TEST(MetricsTest, CallbackGaugeIsReadAtRender) {
  Registry registry;
  int64_t value = 1;
  registry.AddCallbackGauge("test_pool_in_use", "In use.", [&value] { return value; });
  value = 7;
  EXPECT_NE(registry.Render().find("test_pool_in_use 7"), std::string::npos);
}

}  // namespace
}  // namespace meterline::observability
