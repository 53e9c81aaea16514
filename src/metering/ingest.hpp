// Ingest: stores usage events exactly once and keeps hourly rollups and usage
// alerts in step, all in one transaction per batch.
//
// Exactly once: the key is (customer, event id), enforced by the primary key of
// usage_events (INSERT … ON CONFLICT DO NOTHING): a resend — in one batch, in
// two batches, or from two concurrent requests, with any timestamp — counts
// once. The event row, its rollup increment and any threshold alert commit
// together, so a crash loses or keeps all of them. A success means committed
// (SQLite synchronous=FULL; PostgreSQL's commit).
// Thread-safe.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "catalog/catalog.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "storage/database.hpp"

namespace meterline::metering {

struct UsageEvent {
  std::string id;           // idempotency key, unique per customer
  std::string customer_id;
  std::string metric;       // a catalog metric id
  int64_t value = 0;        // units: impressions, calls, bytes
  TimePoint timestamp;      // when the usage happened
  std::string properties_json;  // "" or a JSON object, stored as given
};

struct Rejection {
  size_t index = 0;  // position in the batch
  std::string id;
  std::string reason;
};

struct IngestResult {
  int64_t accepted = 0;
  std::vector<Rejection> duplicates;  // reason empty
  std::vector<Rejection> rejected;
};

struct IngestOptions {
  std::chrono::hours max_age{35 * 24};       // older events are refused
  std::chrono::minutes max_future{5};        // events this far ahead are refused
};

class IngestService {
 public:
  IngestService(storage::Database& db, const catalog::Catalog& catalog, const Clock& clock, IngestOptions options);

  // Validates each event and stores the valid ones. Events already rejected
  // while parsing are passed in `rejected` and returned with the rest.
  // `only_customer`: when not empty, events for other customers are rejected
  // (a customer-bound API key). Fails as a whole only when storage fails.
  Result<IngestResult> Ingest(const std::vector<std::pair<size_t, UsageEvent>>& events,
                              std::vector<Rejection> rejected, const std::string& only_customer);

 private:
  storage::Database& db_;
  const catalog::Catalog& catalog_;
  const Clock& clock_;
  IngestOptions options_;
};

}  // namespace meterline::metering
