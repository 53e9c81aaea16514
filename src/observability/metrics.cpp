#include "observability/metrics.hpp"

#include <charconv>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <mutex>
#include <stdexcept>
#include <variant>

namespace meterline::observability {

namespace {

void AppendLabelValue(std::string& out, const std::string& value) {
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
}

std::string LabelText(const std::vector<std::string>& names, const Labels& values, const std::string& extra = "") {
  if (names.empty() && extra.empty()) return "";
  std::string out = "{";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ',';
    out += names[i];
    out += "=\"";
    AppendLabelValue(out, values[i]);
    out += '"';
  }
  if (!extra.empty()) {
    if (!names.empty()) out += ',';
    out += extra;
  }
  out += '}';
  return out;
}

std::string Seconds(int64_t micros) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%" PRId64 ".%06" PRId64, micros / 1'000'000, micros % 1'000'000);
  // Trim trailing zeros for readability ("0.005000" -> "0.005").
  std::string s = buf;
  while (s.size() > 1 && s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

}  // namespace

Histogram::Histogram(const std::vector<int64_t>* bounds_us)
    : bounds_us_(bounds_us), buckets_(new std::atomic<uint64_t>[bounds_us->size()]) {
  for (size_t i = 0; i < bounds_us_->size(); ++i) buckets_[i].store(0);
}

void Histogram::ObserveMicros(int64_t micros) {
  for (size_t i = 0; i < bounds_us_->size(); ++i) {
    if (micros <= (*bounds_us_)[i]) {
      buckets_[i].fetch_add(1, std::memory_order_relaxed);
      break;
    }
  }
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_us_.fetch_add(micros, std::memory_order_relaxed);
}

std::vector<uint64_t> Histogram::CumulativeCounts() const {
  std::vector<uint64_t> out;
  uint64_t running = 0;
  for (size_t i = 0; i < bounds_us_->size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    out.push_back(running);
  }
  out.push_back(count());
  return out;
}

template <typename Child>
Child& Family<Child>::WithLabels(const Labels& labels) {
  {
    std::shared_lock lock(mutex_);
    auto it = children_.find(labels);
    if (it != children_.end()) return *it->second;
  }
  std::unique_lock lock(mutex_);
  auto& slot = children_[labels];
  if (!slot) slot = make_();
  return *slot;
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

struct Registry::Entry {
  std::string name;
  std::string help;
  std::string type;
  std::vector<std::string> label_names;
  std::vector<int64_t> bounds_us;  // histograms only
  std::variant<std::monostate, std::unique_ptr<Family<Counter>>, std::unique_ptr<Family<Gauge>>,
               std::unique_ptr<Family<Histogram>>, std::function<int64_t()>,
               std::function<std::vector<Registry::Sample>()>>
      metric;
};

Registry::Registry() = default;

namespace {
// Two families with one name would render as a malformed exposition.
template <typename Entries>
void RequireNewName(const Entries& entries, const std::string& name) {
  for (const auto& e : entries) {
    if (e->name == name) throw std::logic_error("metric " + name + " registered twice");
  }
}
}  // namespace
Registry::~Registry() = default;

Family<Counter>& Registry::AddCounter(std::string name, std::string help, std::vector<std::string> label_names) {
  RequireNewName(entries_, name);
  auto entry = std::make_unique<Entry>();
  entry->name = std::move(name);
  entry->help = std::move(help);
  entry->type = "counter";
  entry->label_names = std::move(label_names);
  auto family = std::unique_ptr<Family<Counter>>(new Family<Counter>());
  auto& ref = *family;
  entry->metric = std::move(family);
  entries_.push_back(std::move(entry));
  return ref;
}

Family<Gauge>& Registry::AddGauge(std::string name, std::string help, std::vector<std::string> label_names) {
  RequireNewName(entries_, name);
  auto entry = std::make_unique<Entry>();
  entry->name = std::move(name);
  entry->help = std::move(help);
  entry->type = "gauge";
  entry->label_names = std::move(label_names);
  auto family = std::unique_ptr<Family<Gauge>>(new Family<Gauge>());
  auto& ref = *family;
  entry->metric = std::move(family);
  entries_.push_back(std::move(entry));
  return ref;
}

Family<Histogram>& Registry::AddHistogram(std::string name, std::string help, std::vector<std::string> label_names,
                                          const std::vector<double>& bounds_seconds) {
  RequireNewName(entries_, name);
  auto entry = std::make_unique<Entry>();
  entry->name = std::move(name);
  entry->help = std::move(help);
  entry->type = "histogram";
  entry->label_names = std::move(label_names);
  for (double b : bounds_seconds) entry->bounds_us.push_back(std::llround(b * 1e6));
  auto family = std::unique_ptr<Family<Histogram>>(new Family<Histogram>(&entry->bounds_us));
  auto& ref = *family;
  entry->metric = std::move(family);
  entries_.push_back(std::move(entry));
  return ref;
}

void Registry::AddCallbackGauge(std::string name, std::string help, std::function<int64_t()> read) {
  RequireNewName(entries_, name);
  auto entry = std::make_unique<Entry>();
  entry->name = std::move(name);
  entry->help = std::move(help);
  entry->type = "gauge";
  entry->metric = std::move(read);
  entries_.push_back(std::move(entry));
}

void Registry::AddCallbackFamily(std::string name, std::string help, std::string type,
                                 std::vector<std::string> label_names, std::function<std::vector<Sample>()> read) {
  RequireNewName(entries_, name);
  auto entry = std::make_unique<Entry>();
  entry->name = std::move(name);
  entry->help = std::move(help);
  entry->type = std::move(type);
  entry->label_names = std::move(label_names);
  entry->metric = std::move(read);
  entries_.push_back(std::move(entry));
}

std::string Registry::Render() const {
  std::string out;
  for (const auto& entry : entries_) {
    out += "# HELP " + entry->name + " " + entry->help + "\n";
    out += "# TYPE " + entry->name + " " + entry->type + "\n";
    if (auto* read = std::get_if<std::function<int64_t()>>(&entry->metric)) {
      out += entry->name + " " + std::to_string((*read)()) + "\n";
    } else if (auto* samples = std::get_if<std::function<std::vector<Sample>()>>(&entry->metric)) {
      for (const Sample& sample : (*samples)()) {
        char value[32];
        auto [end, ec] = std::to_chars(value, value + sizeof(value), sample.value);
        out += entry->name + LabelText(entry->label_names, sample.labels) + " " +
               std::string(value, ec == std::errc() ? end : value) + "\n";
      }
    } else if (auto* counters = std::get_if<std::unique_ptr<Family<Counter>>>(&entry->metric)) {
      std::shared_lock lock((*counters)->mutex_);
      for (const auto& [labels, child] : (*counters)->children_) {
        out += entry->name + LabelText(entry->label_names, labels) + " " + std::to_string(child->value()) + "\n";
      }
    } else if (auto* gauges = std::get_if<std::unique_ptr<Family<Gauge>>>(&entry->metric)) {
      std::shared_lock lock((*gauges)->mutex_);
      for (const auto& [labels, child] : (*gauges)->children_) {
        out += entry->name + LabelText(entry->label_names, labels) + " " + std::to_string(child->value()) + "\n";
      }
    } else if (auto* histograms = std::get_if<std::unique_ptr<Family<Histogram>>>(&entry->metric)) {
      std::shared_lock lock((*histograms)->mutex_);
      for (const auto& [labels, child] : (*histograms)->children_) {
        std::vector<uint64_t> counts = child->CumulativeCounts();
        for (size_t i = 0; i < counts.size(); ++i) {
          std::string le = i < entry->bounds_us.size() ? Seconds(entry->bounds_us[i]) : "+Inf";
          out += entry->name + "_bucket" + LabelText(entry->label_names, labels, "le=\"" + le + "\"") + " " +
                 std::to_string(counts[i]) + "\n";
        }
        out += entry->name + "_sum" + LabelText(entry->label_names, labels) + " " + Seconds(child->sum_us()) + "\n";
        out +=
            entry->name + "_count" + LabelText(entry->label_names, labels) + " " + std::to_string(counts.back()) + "\n";
      }
    }
  }
  return out;
}

const std::vector<double>& DefaultLatencyBuckets() {
  static const std::vector<double> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                               0.1,    0.25,  0.5,    1,     2.5,  5,     10};
  return kBuckets;
}

}  // namespace meterline::observability
