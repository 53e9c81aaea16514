// UsageStore: where usage events and their hourly rollups live. Two
// implementations: SqlUsageStore (the transactional database: SQLite or
// PostgreSQL) and ClickHouseUsageStore (CLICKHOUSE_URL). Services above it
// (ingest, current usage, history, invoices) do not know which one runs.
//
// A rollup row is one (customer, metric, hour): the sum of its events'
// values, their count, the largest value and the latest one, so each
// aggregation (catalog::Aggregation) reads at most one row per hour. An event
// adds to the rollup of its metric name and to those of the derived metrics
// it matches (catalog::Catalog::DerivedMetricsOf). Reads return each metric's
// quantity under its aggregation.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "catalog/catalog.hpp"
#include "core/clock.hpp"
#include "core/paging.hpp"
#include "core/result.hpp"
#include "storage/database.hpp"

namespace meterline::metering {

struct UsageEvent {
  std::string id;  // idempotency key, unique per customer
  std::string customer_id;
  std::string metric;           // a catalog metric id
  int64_t value = 0;            // units: impressions, calls, bytes
  TimePoint timestamp;          // when the usage happened
  std::string properties_json;  // "" or a JSON object, stored as given
};

// A usage event as the write path reads it: views of strings kept elsewhere
// (an ingestion request's body or its batch's arena, or a UsageEvent), which
// outlive the write. Ingestion copies no event's strings.
struct UsageEventRef {
  std::string_view id;
  std::string_view customer_id;
  std::string_view metric;
  int64_t value = 0;
  TimePoint timestamp;
  std::string_view properties_json;  // "" or a JSON object

  UsageEventRef() = default;
  // Implicit, as std::string_view from std::string: a view of `event`'s strings.
  UsageEventRef(const UsageEvent& event)  // NOLINT(google-explicit-constructor)
      : id(event.id),
        customer_id(event.customer_id),
        metric(event.metric),
        value(event.value),
        timestamp(event.timestamp),
        properties_json(event.properties_json) {}
};

// Views of events held as UsageEvents (by a CLI command or a test), positions kept.
inline std::vector<std::pair<size_t, UsageEventRef>> RefsOf(const std::vector<std::pair<size_t, UsageEvent>>& events) {
  return {events.begin(), events.end()};
}

// A stored event as read back: what was sent, and when it was received.
struct StoredEvent {
  UsageEvent event;
  TimePoint received_at;
};

// Which of one customer's events a list shows: one metric or all, with
// timestamps in [from, to) when given.
struct EventFilter {
  std::string customer_id;
  std::string metric;  // "" = every metric
  std::optional<TimePoint> from, to;
};

// (customer, metric, hour start) whose rollup a write changed.
using RollupKey = std::tuple<std::string, std::string, TimePoint>;

// What rollups hold for one metric over an hour or a range of hours.
struct RollupTotals {
  int64_t sum = 0;     // of the events' values
  int64_t count = 0;   // events
  int64_t peak = 0;    // the largest value (0 without events)
  int64_t latest = 0;  // the latest event's value: by timestamp, the larger on a tie
  int64_t Of(catalog::Aggregation aggregation) const {
    switch (aggregation) {
      case catalog::Aggregation::kCount: return count;
      case catalog::Aggregation::kMax: return peak;
      case catalog::Aggregation::kLast: return latest;
      case catalog::Aggregation::kSum: break;
    }
    return sum;
  }
};

// A metric's quantity (under its aggregation) from a customer's rollups with
// hour starts in [from, to).
using TotalFn = std::function<Result<int64_t>(const std::string& customer_id, const std::string& metric, TimePoint from,
                                              TimePoint to)>;

// Runs inside the store's write transaction on the transactional database,
// after the events are stored: records threshold alerts. `total` reads the
// store's rollups including this write.
using AfterWrite =
    std::function<Status(storage::Executor& tx, const std::set<RollupKey>& touched, const TotalFn& total)>;

// An event the store would not take, and why.
struct StoreRefusal {
  size_t position = 0;  // in the written vector
  std::string reason;
};

struct WriteOutcome {
  int64_t accepted = 0;
  std::vector<size_t> duplicates;     // positions in the written vector, ascending
  std::vector<StoreRefusal> refused;  // new events that would push their hour's rollup
                                      // past kMaxHourlyUsage (usage_limits.hpp)
};

struct RollupBucket {
  std::string metric;
  TimePoint start;
  int64_t total = 0;  // the metric's quantity in the bucket, under its aggregation
};

class UsageStore {
 public:
  virtual ~UsageStore() = default;

  // Stores each event whose (customer_id, id) is not stored yet, exactly once
  // even against concurrent writers, and adds it to its hourly rollup; then
  // runs `after`. When this returns OK, the accepted events are durable. An
  // event whose rollup would pass kMaxHourlyUsage is refused, not stored.
  // Sums read back from a store never wrap: one that does not fit in int64
  // is OverflowError.
  virtual Result<WriteOutcome> Write(const std::vector<UsageEventRef>& events, TimePoint received,
                                     const AfterWrite& after) = 0;

  // Per-metric quantities of a customer's rollups with hour_start in [from, to).
  virtual Result<std::map<std::string, int64_t>> Totals(const std::string& customer_id, TimePoint from,
                                                        TimePoint to) = 0;

  // Totals() for many customers over one range: customer -> metric -> total
  // (customers without usage are missing).
  virtual Result<std::map<std::string, std::map<std::string, int64_t>>> TotalsForCustomers(
      const std::vector<std::string>& customer_ids, TimePoint from, TimePoint to) = 0;

  // Per-metric quantities in buckets of `bucket` (an hour or a UTC day), oldest first.
  virtual Result<std::vector<RollupBucket>> Buckets(const std::string& customer_id, TimePoint from, TimePoint to,
                                                    std::chrono::milliseconds bucket) = 0;

  // One customer's events, newest first by timestamp. Events of one
  // millisecond come in an order fixed per store: the last stored first on
  // SQLite, by event id (descending, in the store's collation) on PostgreSQL
  // and ClickHouse. A cursor is an event id of this customer; one that is not
  // stored is InvalidParam.
  virtual Result<Page<StoredEvent>> ListEvents(const EventFilter& filter, const PageRequest& page) = 0;

  // For checks: the rollup total and the raw event sum of one metric over all
  // time (they must agree), and the number of stored events.
  struct Audit {
    int64_t rollup_total = 0;
    int64_t event_total = 0;
    int64_t events = 0;
  };
  virtual Result<Audit> AuditMetric(const std::string& customer_id, const std::string& metric) = 0;

  // Checks that the store answers (for GET /ready).
  virtual Status Ping() = 0;

  virtual const char* name() const = 0;  // "sqlite" | "postgres" | "clickhouse"
};

}  // namespace meterline::metering
