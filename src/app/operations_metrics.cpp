#include "app/operations_metrics.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include "core/log.hpp"
#include "observability/metrics.hpp"

namespace meterline::app {

namespace {

using observability::Registry;
using Samples = std::vector<Registry::Sample>;

// The database's side, read at most every kRefresh: a scrape every second
// from several Prometheus servers costs a few indexed queries every 5 s.
constexpr auto kRefresh = std::chrono::seconds(5);

struct QueueState {
  std::map<std::string, int64_t> rows;  // by status
  std::optional<int64_t> oldest_ms;     // created_at of the oldest row still to do
};

struct DatabaseSnapshot {
  QueueState outbox, inbox, deliveries;
  int64_t events_pending = 0;
  std::optional<int64_t> events_oldest_ms;
  int64_t dunning_active = 0;
  std::optional<int64_t> reconciliation_at_ms;
  int64_t reconciliation_findings = 0;
  int64_t reconciliation_alert = 0;
  bool ok = false;
};

Result<QueueState> ReadQueue(storage::Database& db, const std::string& table, const std::string& open_statuses) {
  QueueState state;
  // `table` and the statuses are ours, never input.
  MTL_ASSIGN_OR_RETURN(auto rows, db.Execute("SELECT status, COUNT(*), MIN(created_at) FROM " + table +
                                             " WHERE status IN (" + open_statuses + ") GROUP BY status"));
  for (const auto& row : rows.rows) {
    state.rows[row.Text(0)] = row.Int(1);
    if (row.Text(0) != "dead" && row.Text(0) != "failed" && row.OptInt(2)) {
      state.oldest_ms = state.oldest_ms ? std::min(*state.oldest_ms, *row.OptInt(2)) : *row.OptInt(2);
    }
  }
  return state;
}

Result<DatabaseSnapshot> ReadSnapshot(storage::Database& db) {
  DatabaseSnapshot s;
  MTL_ASSIGN_OR_RETURN(s.outbox, ReadQueue(db, "stripe_outbox", "'pending', 'processing', 'failed', 'dead'"));
  MTL_ASSIGN_OR_RETURN(s.inbox, ReadQueue(db, "stripe_webhook_events", "'pending', 'processing', 'failed', 'dead'"));
  MTL_ASSIGN_OR_RETURN(s.deliveries, ReadQueue(db, "webhook_deliveries", "'pending', 'processing'"));
  MTL_ASSIGN_OR_RETURN(auto events,
                       db.Execute("SELECT COUNT(*), MIN(created_at) FROM events WHERE status = 'pending'"));
  s.events_pending = events.rows[0].Int(0);
  s.events_oldest_ms = events.rows[0].OptInt(1);
  MTL_ASSIGN_OR_RETURN(auto dunning, db.Execute("SELECT COUNT(*) FROM dunning_campaigns WHERE state = 'active'"));
  s.dunning_active = dunning.rows[0].Int(0);
  MTL_ASSIGN_OR_RETURN(auto rec, db.Execute("SELECT created_at, findings_count, alert_raised FROM reconciliations "
                                            "ORDER BY created_at DESC LIMIT 1"));
  if (!rec.rows.empty()) {
    s.reconciliation_at_ms = rec.rows[0].Int(0);
    s.reconciliation_findings = rec.rows[0].Int(1);
    s.reconciliation_alert = rec.rows[0].Int(2) != 0 ? 1 : 0;
  }
  s.ok = true;
  return s;
}

class SnapshotCache {
 public:
  SnapshotCache(storage::Database& db, const Clock& clock) : db_(db), clock_(clock) {}

  // The latest snapshot (read again when older than kRefresh) and now.
  std::pair<DatabaseSnapshot, int64_t> Get() {
    std::lock_guard lock(mutex_);
    auto now = std::chrono::steady_clock::now();
    if (!read_at_ || now - *read_at_ >= kRefresh) {
      auto fresh = ReadSnapshot(db_);
      if (fresh.ok()) {
        snapshot_ = std::move(*fresh);
      } else {
        // Scrapes go on; the figures are left out until the database answers.
        log::Warn("metrics: database figures unavailable", {{"error", fresh.error().message}});
        snapshot_ = DatabaseSnapshot{};
      }
      read_at_ = now;
    }
    return {snapshot_, ToUnixMillis(clock_.Now())};
  }

 private:
  storage::Database& db_;
  const Clock& clock_;
  std::mutex mutex_;
  std::optional<std::chrono::steady_clock::time_point> read_at_;
  DatabaseSnapshot snapshot_;
};

Samples ByStatus(const QueueState& q, std::initializer_list<const char*> statuses) {
  Samples out;
  for (const char* status : statuses) {
    auto it = q.rows.find(status);
    out.push_back({{status}, static_cast<double>(it == q.rows.end() ? 0 : it->second)});
  }
  return out;
}

Samples AgeSeconds(const std::optional<int64_t>& oldest_ms, int64_t now_ms) {
  return {{{}, oldest_ms ? std::max<int64_t>(0, now_ms - *oldest_ms) / 1000.0 : 0.0}};
}

// /proc/self/stat fields 14, 15 (utime, stime, ticks), 22 (starttime, ticks
// after boot), 23 (vsize), 24 (rss, pages); field 2 may hold spaces.
struct ProcStat {
  double cpu_seconds = 0, start_time_seconds = 0, virtual_bytes = 0, resident_bytes = 0;
  bool ok = false;
};

ProcStat ReadProcStat() {
  ProcStat out;
  std::ifstream stat_file("/proc/self/stat");
  std::string text((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
  size_t close = text.rfind(')');
  if (close == std::string::npos) return out;
  std::istringstream fields(text.substr(close + 2));
  std::vector<std::string> f((std::istream_iterator<std::string>(fields)), std::istream_iterator<std::string>());
  // f[0] is field 3 (state).
  if (f.size() < 22) return out;
  double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  out.cpu_seconds = (std::stod(f[11]) + std::stod(f[12])) / ticks;
  double boot = 0;
  std::ifstream proc_stat("/proc/stat");
  for (std::string line; std::getline(proc_stat, line);) {
    if (line.rfind("btime ", 0) == 0) boot = std::stod(line.substr(6));
  }
  out.start_time_seconds = boot + std::stod(f[19]) / ticks;
  out.virtual_bytes = std::stod(f[20]);
  out.resident_bytes = std::stod(f[21]) * static_cast<double>(sysconf(_SC_PAGESIZE));
  out.ok = true;
  return out;
}

double OpenFds() {
  std::error_code ec;
  double n = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    ++n;
  }
  return n;
}

}  // namespace

void RegisterOperationsMetrics(Registry& registry, storage::Database& db, const Clock& clock,
                               const std::string& version, const std::string& commit) {
  auto cache = std::make_shared<SnapshotCache>(db, clock);
  auto db_family = [&](const char* name, const char* help, std::vector<std::string> labels,
                       const std::function<Samples(const DatabaseSnapshot&, int64_t now_ms)>& pick) {
    registry.AddCallbackFamily(name, help, "gauge", std::move(labels), [cache, pick] {
      auto [snapshot, now_ms] = cache->Get();
      return snapshot.ok ? pick(snapshot, now_ms) : Samples{};
    });
  };
  db_family("meterline_stripe_outbox_rows", "Stripe work queue rows not done, by state (dead: needs an admin).",
            {"state"}, [](const DatabaseSnapshot& s, int64_t) {
              return ByStatus(s.outbox, {"pending", "processing", "failed", "dead"});
            });
  db_family("meterline_stripe_outbox_oldest_pending_age_seconds",
            "Age of the oldest Stripe work queue row still to do (pending or processing); 0 when none.", {},
            [](const DatabaseSnapshot& s, int64_t now) { return AgeSeconds(s.outbox.oldest_ms, now); });
  db_family("meterline_stripe_webhook_inbox_rows", "Received Stripe webhook events not processed yet, by state.",
            {"state"}, [](const DatabaseSnapshot& s, int64_t) {
              return ByStatus(s.inbox, {"pending", "processing", "failed", "dead"});
            });
  db_family("meterline_stripe_webhook_inbox_lag_seconds",
            "Age of the oldest received Stripe webhook event still to process; 0 when none.", {},
            [](const DatabaseSnapshot& s, int64_t now) { return AgeSeconds(s.inbox.oldest_ms, now); });
  db_family("meterline_events_pending", "Recorded events not yet fanned out to webhook endpoints.", {},
            [](const DatabaseSnapshot& s, int64_t) {
              return Samples{{{}, static_cast<double>(s.events_pending)}};
            });
  db_family("meterline_events_oldest_pending_age_seconds",
            "Age of the oldest recorded event not yet fanned out; 0 when none.", {},
            [](const DatabaseSnapshot& s, int64_t now) { return AgeSeconds(s.events_oldest_ms, now); });
  db_family("meterline_webhook_deliveries_open", "Outgoing webhook deliveries still to make, by state.", {"state"},
            [](const DatabaseSnapshot& s, int64_t) {
              return ByStatus(s.deliveries, {"pending", "processing"});
            });
  db_family("meterline_dunning_campaigns_active", "Dunning campaigns with retries to come.", {},
            [](const DatabaseSnapshot& s, int64_t) {
              return Samples{{{}, static_cast<double>(s.dunning_active)}};
            });
  db_family("meterline_reconciliation_last_run_timestamp_seconds",
            "When the latest reconciliation ran (unix seconds); absent before the first.", {},
            [](const DatabaseSnapshot& s, int64_t) {
              return s.reconciliation_at_ms ? Samples{{{}, *s.reconciliation_at_ms / 1000.0}} : Samples{};
            });
  db_family("meterline_reconciliation_last_findings", "Findings of the latest reconciliation.", {},
            [](const DatabaseSnapshot& s, int64_t) {
              return s.reconciliation_at_ms ? Samples{{{}, static_cast<double>(s.reconciliation_findings)}} : Samples{};
            });
  db_family("meterline_reconciliation_last_alert", "1 when the latest reconciliation raised an alert.", {},
            [](const DatabaseSnapshot& s, int64_t) {
              return s.reconciliation_at_ms ? Samples{{{}, static_cast<double>(s.reconciliation_alert)}} : Samples{};
            });

  // The process, as Prometheus' client libraries name these.
  registry.AddCallbackFamily("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", "counter",
                             {}, [] {
                               ProcStat p = ReadProcStat();
                               return p.ok ? Samples{{{}, p.cpu_seconds}} : Samples{};
                             });
  registry.AddCallbackFamily("process_resident_memory_bytes", "Resident memory size in bytes.", "gauge", {}, [] {
    ProcStat p = ReadProcStat();
    return p.ok ? Samples{{{}, p.resident_bytes}} : Samples{};
  });
  registry.AddCallbackFamily("process_virtual_memory_bytes", "Virtual memory size in bytes.", "gauge", {}, [] {
    ProcStat p = ReadProcStat();
    return p.ok ? Samples{{{}, p.virtual_bytes}} : Samples{};
  });
  registry.AddCallbackFamily("process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
                             "gauge", {}, [] {
                               ProcStat p = ReadProcStat();
                               return p.ok ? Samples{{{}, p.start_time_seconds}} : Samples{};
                             });
  registry.AddCallbackFamily("process_open_fds", "Number of open file descriptors.", "gauge", {}, [] {
    return Samples{{{}, OpenFds()}};
  });
  registry.AddCallbackFamily("process_max_fds", "Maximum number of open file descriptors.", "gauge", {}, [] {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return Samples{};
    return Samples{{{}, static_cast<double>(limit.rlim_cur)}};
  });
  registry.AddCallbackFamily("meterline_build_info", "The billingd build: always 1, with its version and commit.",
                             "gauge", {"version", "commit"}, [version, commit] {
                               return Samples{{{version, commit}, 1}};
                             });
}

struct InvoiceRunMetrics::Families {
  explicit Families(Registry& registry)
      : last_success(registry
                         .AddGauge("meterline_invoice_run_last_success_timestamp_seconds",
                                   "When the latest scheduled invoice run succeeded (unix seconds).", {})
                         .WithLabels({})),
        duration(registry
                     .AddHistogram("meterline_invoice_run_duration_seconds", "Time a scheduled invoice run took.", {},
                                   {0.01, 0.1, 1, 5, 15, 60, 300, 900, 3600})
                     .WithLabels({})),
        created(registry
                    .AddCounter("meterline_invoice_run_invoices_created_total",
                                "Invoices made by scheduled invoice runs.", {})
                    .WithLabels({})),
        failures(registry
                     .AddCounter("meterline_invoice_run_failures_total",
                                 "Scheduled invoice runs that failed (another instance's run in progress is not one).",
                                 {})
                     .WithLabels({})) {}
  observability::Gauge& last_success;
  observability::Histogram& duration;
  observability::Counter& created;
  observability::Counter& failures;
};

InvoiceRunMetrics::InvoiceRunMetrics(Registry& registry) : families_(std::make_unique<Families>(registry)) {}
InvoiceRunMetrics::~InvoiceRunMetrics() = default;

void InvoiceRunMetrics::Succeeded(const invoicing::RunSummary& summary, std::chrono::steady_clock::duration took,
                                  TimePoint at) {
  families_->last_success.Set(ToUnixMillis(at) / 1000);
  families_->duration.ObserveMicros(std::chrono::duration_cast<std::chrono::microseconds>(took).count());
  families_->created.Inc(static_cast<uint64_t>(std::max<int64_t>(0, summary.created)));
}

void InvoiceRunMetrics::Failed() { families_->failures.Inc(); }

}  // namespace meterline::app
