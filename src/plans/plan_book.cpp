#include "plans/plan_book.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <mutex>

#include "audit/audit_log.hpp"
#include "core/log.hpp"

namespace meterline::plans {

namespace {

constexpr const char* kVersionColumns =
    "SELECT plan_id, version, effective_at, definition, created_by, created_at FROM plan_versions ";

Result<catalog::Plan> ParseStored(const std::string& definition, int64_t version,
                                  const std::vector<catalog::Metric>& metrics) {
  boost::system::error_code ec;
  boost::json::value doc = boost::json::parse(definition, ec);
  if (ec) return Internal("plan_versions.definition is not JSON: " + ec.message());
  auto plan = catalog::ParsePlan(doc, metrics, "");
  // A stored version names a metric the catalog no longer has: the operator
  // removed it from CATALOG_PATH under live plans.
  if (!plan.ok()) return Internal("a stored plan version no longer fits the catalog: " + plan.error().message);
  plan->SetVersion(version);
  return plan;
}

Result<PlanVersion> VersionFromRow(const storage::Row& row, const std::vector<catalog::Metric>& metrics) {
  MTL_ASSIGN_OR_RETURN(auto plan, ParseStored(row.Text(3), row.Int(1), metrics));
  return PlanVersion{std::move(plan), FromUnixMillis(row.Int(2)), row.Text(4), FromUnixMillis(row.Int(5))};
}

}  // namespace

const PlanVersion& PlanRecord::CurrentAt(TimePoint t) const {
  const PlanVersion* current = &versions.front();
  for (const PlanVersion& v : versions) {
    if (v.effective_at <= t && v.plan.version > current->plan.version) current = &v;
  }
  return *current;
}

PlanBook::PlanBook(storage::Database& db, const catalog::Catalog& catalog, const Clock& clock)
    : db_(db), catalog_(catalog), clock_(clock) {}

Status PlanBook::Seed() {
  TimePoint now = clock_.Now();
  std::vector<std::string> differing;
  MTL_RETURN_IF_ERROR(db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
    differing.clear();
    // A millisecond apart, so that plans list in the catalog's order.
    TimePoint created = now;
    for (const catalog::Plan& plan : catalog_.plans()) {
      created += std::chrono::milliseconds(1);
      MTL_ASSIGN_OR_RETURN(auto stored, Load(tx, plan.id, catalog_.metrics()));
      if (!stored) {
        // Effective since the epoch: subscriptions older than this start were on it too.
        MTL_RETURN_IF_ERROR(
            tx.Execute("INSERT INTO plans (id, name, currency, base_fee_minor, definition, created_at, updated_at) "
                       "VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (id) DO NOTHING",
                       {plan.id, plan.name, plan.currency.code, plan.base_fee_minor,
                        boost::json::serialize(catalog::PlanDefinition(plan)), ToUnixMillis(created)}));
        catalog::Plan first = plan;
        first.SetVersion(1);
        MTL_RETURN_IF_ERROR(InsertVersion(tx, first, FromUnixMillis(0), "catalog", now));
      } else if (!catalog::SamePricing(stored->CurrentAt(now).plan, plan)) {
        differing.push_back(plan.id);
      }
    }
    return OkStatus();
  }));
  for (const std::string& id : differing) {
    log::Warn(
        "the catalog's prices for this plan differ from its current version in the database; the database wins. "
        "Change prices with POST /api/v1/admin/plans/{id}/versions",
        {{"plan", id}});
  }
  return OkStatus();
}

Result<const catalog::Plan*> PlanBook::Version(const std::string& plan_id, int64_t version) {
  {
    std::shared_lock lock(mu_);
    if (auto it = cache_.find({plan_id, version}); it != cache_.end()) return it->second.get();
  }
  MTL_ASSIGN_OR_RETURN(
      auto rows, db_.Execute(std::string(kVersionColumns) + "WHERE plan_id = $1 AND version = $2", {plan_id, version}));
  if (rows.rows.empty()) return NotFound("plan " + plan_id + " has no version " + std::to_string(version));
  MTL_ASSIGN_OR_RETURN(auto plan, ParseStored(rows.rows[0].Text(3), version, catalog_.metrics()));
  std::unique_lock lock(mu_);
  auto [it, inserted] = cache_.try_emplace({plan_id, version}, nullptr);
  if (inserted) it->second = std::make_unique<const catalog::Plan>(std::move(plan));
  return it->second.get();
}

Result<std::optional<PlanRecord>> PlanBook::Load(storage::Executor& ex, const std::string& plan_id,
                                                 const std::vector<catalog::Metric>& metrics) {
  MTL_ASSIGN_OR_RETURN(auto plan_rows, ex.Execute("SELECT id, archived_at FROM plans WHERE id = $1", {plan_id}));
  if (plan_rows.rows.empty()) return std::optional<PlanRecord>();
  MTL_ASSIGN_OR_RETURN(auto rows,
                       ex.Execute(std::string(kVersionColumns) + "WHERE plan_id = $1 ORDER BY version", {plan_id}));
  if (rows.rows.empty()) return std::optional<PlanRecord>();  // a pre-versions row not yet seeded
  PlanRecord record{plan_id, std::nullopt, {}};
  if (auto archived = plan_rows.rows[0].OptInt(1)) record.archived_at = FromUnixMillis(*archived);
  for (const storage::Row& row : rows.rows) {
    MTL_ASSIGN_OR_RETURN(auto version, VersionFromRow(row, metrics));
    record.versions.push_back(std::move(version));
  }
  return std::optional<PlanRecord>(std::move(record));
}

Result<PlanRecord> PlanBook::Get(const std::string& plan_id) {
  MTL_ASSIGN_OR_RETURN(auto record, Load(db_, plan_id, catalog_.metrics()));
  if (!record) return NotFound("no plan '" + plan_id.substr(0, 64) + "'");
  return std::move(*record);
}

Result<Page<PlanRecord>> PlanBook::List(const PageRequest& request) {
  Page<PlanRecord> page;
  MTL_RETURN_IF_ERROR(db_.Transact(storage::TxMode::kReadOnly, [&](storage::Transaction& tx) -> Status {
    page.items.clear();
    MTL_ASSIGN_OR_RETURN(auto count, tx.Execute("SELECT COUNT(*) FROM plans p WHERE EXISTS "
                                                "(SELECT 1 FROM plan_versions v WHERE v.plan_id = p.id)"));
    page.total = count.rows[0].Int(0);
    MTL_ASSIGN_OR_RETURN(auto ids, tx.Execute("SELECT id FROM plans p WHERE EXISTS (SELECT 1 FROM plan_versions v "
                                              "WHERE v.plan_id = p.id) ORDER BY created_at, id LIMIT $1 OFFSET $2",
                                              {request.limit + 1, request.offset}));
    page.has_more = static_cast<int64_t>(ids.rows.size()) > request.limit;
    for (size_t i = 0; i < ids.rows.size() && static_cast<int64_t>(i) < request.limit; ++i) {
      MTL_ASSIGN_OR_RETURN(auto record, Load(tx, ids.rows[i].Text(0), catalog_.metrics()));
      if (record) page.items.push_back(std::move(*record));
    }
    return OkStatus();
  }));
  return page;
}

Status PlanBook::InsertVersion(storage::Transaction& tx, const catalog::Plan& plan, TimePoint effective_at,
                               const std::string& actor, TimePoint now) {
  std::string definition = boost::json::serialize(catalog::PlanDefinition(plan));
  MTL_RETURN_IF_ERROR(
      tx.Execute("INSERT INTO plan_versions (plan_id, version, effective_at, definition, created_by, created_at) "
                 "VALUES ($1, $2, $3, $4, $5, $6)",
                 {plan.id, plan.version, ToUnixMillis(effective_at), definition, actor, ToUnixMillis(now)}));
  // The plans row shows the newest version (what the pre-versions columns meant).
  MTL_RETURN_IF_ERROR(
      tx.Execute("UPDATE plans SET name = $2, currency = $3, base_fee_minor = $4, definition = $5, updated_at = $6, "
                 "interval_months = $7, base_fee_in_advance = $8 WHERE id = $1",
                 {plan.id, plan.name, plan.currency.code, plan.base_fee_minor, definition, ToUnixMillis(now),
                  int64_t{plan.interval_months}, int64_t{plan.base_fee_in_advance ? 1 : 0}}));
  return OkStatus();
}

Result<PlanRecord> PlanBook::Create(const catalog::Plan& plan, TimePoint effective_at, const std::string& actor) {
  TimePoint now = clock_.Now();
  catalog::Plan first = plan;
  first.SetVersion(1);
  MTL_RETURN_IF_ERROR(db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
    auto inserted = tx.Execute(
        "INSERT INTO plans (id, name, currency, base_fee_minor, definition, created_at, updated_at) "
        "VALUES ($1, $2, $3, $4, '{}', $5, $5)",
        {first.id, first.name, first.currency.code, first.base_fee_minor, ToUnixMillis(now)});
    if (!inserted.ok()) {
      if (inserted.error().code == ErrorCode::kConflict) return Conflict("plan " + first.id + " already exists");
      return std::move(inserted).error();
    }
    MTL_RETURN_IF_ERROR(InsertVersion(tx, first, effective_at, actor, now));
    return audit::Record(tx, clock_,
                         {actor,
                          "plan.create",
                          "",
                          {{"plan", first.id}, {"version", 1}, {"effective_at", ToUnixMillis(effective_at)}},
                          {}});
  }));
  return Get(first.id);
}

Result<PlanRecord> PlanBook::AddVersion(const std::string& plan_id, const catalog::Plan& plan, TimePoint effective_at,
                                        const std::string& actor) {
  TimePoint now = clock_.Now();
  MTL_RETURN_IF_ERROR(db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
    MTL_ASSIGN_OR_RETURN(auto record, Load(tx, plan_id, catalog_.metrics()));
    if (!record) return NotFound("no plan " + plan_id.substr(0, 64));
    const catalog::Plan& latest = record->versions.back().plan;
    if (plan.currency.code != latest.currency.code) {
      return InvalidParam("currency", "plan " + plan_id + " is priced in " + latest.currency.code +
                                          "; a version cannot change its currency (create another plan)");
    }
    if (plan.interval_months != latest.interval_months) {
      return InvalidParam("interval", "plan " + plan_id + " bills every " +
                                          std::string(catalog::IntervalName(latest.interval_months)) +
                                          "; a version cannot change its interval (create another plan)");
    }
    if (plan.base_fee_in_advance != latest.base_fee_in_advance) {
      return InvalidParam("base_fee_timing", "plan " + plan_id + " bills its base fee " +
                                                 (latest.base_fee_in_advance ? "in advance" : "in arrears") +
                                                 "; a version cannot change that (create another plan)");
    }
    catalog::Plan next = plan;
    next.id = plan_id;
    next.SetVersion(latest.version + 1);
    // Two admins adding a version at once: the primary key refuses the second.
    auto inserted = InsertVersion(tx, next, effective_at, actor, now);
    if (!inserted.ok() && inserted.error().code == ErrorCode::kConflict) {
      return Conflict("another version of plan " + plan_id + " was added meanwhile; retry");
    }
    MTL_RETURN_IF_ERROR(inserted);
    return audit::Record(tx, clock_,
                         {actor,
                          "plan.version.create",
                          "",
                          {{"plan", plan_id}, {"version", next.version}, {"effective_at", ToUnixMillis(effective_at)}},
                          {}});
  }));
  return Get(plan_id);
}

Result<PlanRecord> PlanBook::Archive(const std::string& plan_id, const std::string& actor) {
  TimePoint now = clock_.Now();
  MTL_RETURN_IF_ERROR(db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
    MTL_ASSIGN_OR_RETURN(auto record, Load(tx, plan_id, catalog_.metrics()));
    if (!record) return NotFound("no plan " + plan_id.substr(0, 64));
    if (record->archived_at) return OkStatus();
    MTL_RETURN_IF_ERROR(
        tx.Execute("UPDATE plans SET archived_at = $2, updated_at = $2 WHERE id = $1", {plan_id, ToUnixMillis(now)}));
    return audit::Record(tx, clock_, {actor, "plan.archive", "", {{"plan", plan_id}}, {}});
  }));
  return Get(plan_id);
}

}  // namespace meterline::plans
