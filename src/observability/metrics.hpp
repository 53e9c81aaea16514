// Metrics: a small Prometheus registry (counters, gauges, histograms with
// labels, and gauges read by callback at scrape time) rendered in the text
// exposition format 0.0.4 for GET /metrics.
//
// Thread-safe. Families are created at wiring time; the hot path (Inc/Observe
// on a labelled child) takes a shared lock to find the child, then uses atomics.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <vector>

namespace meterline::observability {

using Labels = std::vector<std::string>;  // values, in the order of the family's label names

class Counter {
 public:
  void Inc(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(int64_t v) { value_.store(v, std::memory_order_relaxed); }
  void Inc(int64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  void Dec(int64_t n = 1) { value_.fetch_sub(n, std::memory_order_relaxed); }
  int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

// Observations are durations in microseconds (integers: no floating point in
// the hot path); buckets and the sum are rendered in seconds.
class Histogram {
 public:
  explicit Histogram(const std::vector<int64_t>* bounds_us);
  void ObserveMicros(int64_t micros);
  // Snapshot for rendering: cumulative counts per bound, then +Inf.
  std::vector<uint64_t> CumulativeCounts() const;
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  int64_t sum_us() const { return sum_us_.load(std::memory_order_relaxed); }

 private:
  const std::vector<int64_t>* bounds_us_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<uint64_t> count_{0};
  std::atomic<int64_t> sum_us_{0};
};

template <typename Child>
class Family {
 public:
  // Returns the child for these label values, creating it on first use. The
  // reference stays valid for the registry's lifetime.
  // REQUIRES: labels.size() equals the number of label names.
  Child& WithLabels(const Labels& labels);

 private:
  friend class Registry;
  template <typename... Args>
  // NOLINTNEXTLINE(modernize-use-equals-delete): not a copy constructor
  explicit Family(Args&&... child_args) : make_([=] { return std::make_unique<Child>(child_args...); }) {}
  std::function<std::unique_ptr<Child>()> make_;
  mutable std::shared_mutex mutex_;
  std::map<Labels, std::unique_ptr<Child>> children_;
};

class Registry {
 public:
  Registry();
  ~Registry();
  // Names follow Prometheus conventions (counters end in _total, durations in _seconds).
  Family<Counter>& AddCounter(std::string name, std::string help, std::vector<std::string> label_names);
  Family<Gauge>& AddGauge(std::string name, std::string help, std::vector<std::string> label_names);
  // Bucket upper bounds in seconds, ascending, e.g. {0.001, 0.005, ...}.
  Family<Histogram>& AddHistogram(std::string name, std::string help, std::vector<std::string> label_names,
                                  const std::vector<double>& bounds_seconds);
  // A gauge without labels whose value is read when /metrics is scraped.
  void AddCallbackGauge(std::string name, std::string help, std::function<int64_t()> read);
  // A family ("gauge" or "counter") whose samples are read when /metrics is
  // scraped: database depths, process figures. Values may be fractional.
  struct Sample {
    Labels labels;
    double value = 0;
  };
  void AddCallbackFamily(std::string name, std::string help, std::string type, std::vector<std::string> label_names,
                         std::function<std::vector<Sample>()> read);

  // The whole registry in Prometheus text format.
  std::string Render() const;

 private:
  struct Entry;
  std::vector<std::unique_ptr<Entry>> entries_;
};

// Standard latency buckets for HTTP handlers, in seconds.
const std::vector<double>& DefaultLatencyBuckets();

}  // namespace meterline::observability
