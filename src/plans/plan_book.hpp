// PlanBook: the plans customers subscribe to, as versioned rows (tables
// `plans` and `plan_versions`, written only here). A price change is a new
// version with an effective date; a version never changes once written, so it
// is cached in memory after its first read and shared by every instance of a
// deployment through the database. The catalog (CATALOG_PATH or the built-in
// one) seeds an empty database and keeps the metric definitions. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "catalog/catalog.hpp"
#include "core/clock.hpp"
#include "core/paging.hpp"
#include "core/result.hpp"
#include "storage/database.hpp"

namespace meterline::plans {

struct PlanVersion {
  catalog::Plan plan;      // plan.version is this version's number
  TimePoint effective_at;  // new subscriptions from this instant get it
  std::string created_by;
  TimePoint created_at;
};

struct PlanRecord {
  std::string id;
  std::optional<TimePoint> archived_at;
  std::vector<PlanVersion> versions;  // ascending by version, never empty

  // The version a subscription started at `t` gets: the newest version
  // effective at `t`, else the first (a plan is never without a price).
  const PlanVersion& CurrentAt(TimePoint t) const;
};

class PlanBook {
 public:
  // `db`, `catalog` and `clock` must outlive the book.
  PlanBook(storage::Database& db, const catalog::Catalog& catalog, const Clock& clock);

  // The metrics, and the plans that seed an empty database.
  const catalog::Catalog& catalog() const { return catalog_; }

  // At start: writes each catalog plan missing from the database as its
  // version 1 (an empty database, or an upgraded one from before versions);
  // for a plan the database already has, only warns when the catalog's prices
  // differ from its current version: the database wins.
  Status Seed();

  // One version of a plan; kNotFound when there is none. The pointer stays
  // valid for the book's lifetime (versions are immutable).
  Result<const catalog::Plan*> Version(const std::string& plan_id, int64_t version);

  // A plan with all its versions; kNotFound when unknown.
  Result<PlanRecord> Get(const std::string& plan_id);
  // The same inside the caller's transaction; nullopt when unknown.
  static Result<std::optional<PlanRecord>> Load(storage::Executor& ex, const std::string& plan_id,
                                                const std::vector<catalog::Metric>& metrics);
  // Plans in the order they were created (the catalog's order for the ones
  // it seeded), archived ones included, with their versions.
  Result<Page<PlanRecord>> List(const PageRequest& page);

  // A new plan (version 1, effective at `effective_at`); kConflict when the id
  // is taken. Audited as plan.create.
  Result<PlanRecord> Create(const catalog::Plan& plan, TimePoint effective_at, const std::string& actor);
  // The next version of an existing plan; its currency cannot change (the
  // subscriptions on it were checked against it). Audited as plan.version.create.
  Result<PlanRecord> AddVersion(const std::string& plan_id, const catalog::Plan& plan, TimePoint effective_at,
                                const std::string& actor);
  // No new subscriptions to the plan from now; existing ones keep billing.
  // Idempotent. Audited as plan.archive.
  Result<PlanRecord> Archive(const std::string& plan_id, const std::string& actor);

 private:
  Status InsertVersion(storage::Transaction& tx, const catalog::Plan& plan, TimePoint effective_at,
                       const std::string& actor, TimePoint now);

  storage::Database& db_;
  const catalog::Catalog& catalog_;
  const Clock& clock_;
  std::shared_mutex mu_;
  std::map<std::pair<std::string, int64_t>, std::unique_ptr<const catalog::Plan>> cache_;
};

}  // namespace meterline::plans
