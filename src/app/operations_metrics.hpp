// The metrics an operator runs Meterline by (docs/operations.md), beyond
// those each module counts itself: queue depths and ages read from the
// database when /metrics is scraped (at most every few seconds, however
// often it is), the last reconciliation, invoice runs, the process's own
// figures (process_*) and the build (meterline_build_info).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "core/clock.hpp"
#include "invoicing/invoice_service.hpp"
#include "storage/database.hpp"

namespace meterline::observability {
class Registry;
}

namespace meterline::app {

// Registers the scrape-time families on `registry`; `db` and `clock` must
// outlive it.
void RegisterOperationsMetrics(observability::Registry& registry, storage::Database& db, const Clock& clock,
                               const std::string& version, const std::string& commit);

// What the scheduler's invoice runs did: the last success, durations,
// invoices made, failures.
class InvoiceRunMetrics {
 public:
  explicit InvoiceRunMetrics(observability::Registry& registry);
  ~InvoiceRunMetrics();
  void Succeeded(const invoicing::RunSummary& summary, std::chrono::steady_clock::duration took, TimePoint at);
  void Failed();

 private:
  struct Families;
  std::unique_ptr<Families> families_;
};

}  // namespace meterline::app
