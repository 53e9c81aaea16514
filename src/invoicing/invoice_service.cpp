#include "invoicing/invoice_service.hpp"

#include <algorithm>
#include <cstdio>
#include <future>
#include <iterator>
#include <set>

#include "audit/audit_log.hpp"
#include "core/checked_math.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "invoicing/invoice_builder.hpp"
#include "storage/bulk.hpp"

namespace meterline::invoicing {

namespace {

constexpr const char* kLease = "invoice-run";
constexpr auto kLeaseTtl = std::chrono::minutes(10);

constexpr const char* kInvoiceColumns =
    "id, number, customer_id, subscription_id, period_start, period_end, status, currency, subtotal_minor, "
    "tax_minor, total_minor, amount_due_minor, amount_paid_minor, amount_refunded_minor, tax_rate, due_at, "
    "stripe_invoice_id, failed_payment_count, created_at, finalized_at, paid_at, voided_at, updated_at";

std::optional<TimePoint> OptTime(const storage::Row& row, size_t col) {
  auto v = row.OptInt(col);
  return v ? std::optional<TimePoint>(FromUnixMillis(*v)) : std::nullopt;
}

Invoice FromRow(const storage::Row& row) {
  Invoice inv;
  inv.id = row.Text(0);
  inv.number = row.OptText(1).value_or("");
  inv.customer_id = row.Text(2);
  inv.subscription_id = row.OptText(3).value_or("");
  inv.period = {FromUnixMillis(row.Int(4)), FromUnixMillis(row.Int(5))};
  inv.status = ParseStatus(row.Text(6)).value_or(InvoiceStatus::kDraft);
  inv.currency = row.Text(7);
  inv.subtotal_minor = row.Int(8);
  inv.tax_minor = row.Int(9);
  inv.total_minor = row.Int(10);
  inv.amount_due_minor = row.Int(11);
  inv.amount_paid_minor = row.Int(12);
  inv.amount_refunded_minor = row.Int(13);
  inv.tax_rate = row.OptText(14).value_or("");
  inv.due_at = OptTime(row, 15);
  inv.stripe_invoice_id = row.OptText(16).value_or("");
  inv.failed_payment_count = row.Int(17);
  inv.created_at = FromUnixMillis(row.Int(18));
  inv.finalized_at = OptTime(row, 19);
  inv.paid_at = OptTime(row, 20);
  inv.voided_at = OptTime(row, 21);
  inv.updated_at = FromUnixMillis(row.Int(22));
  return inv;
}

int UtcYear(TimePoint t) {
  std::chrono::year_month_day ymd{std::chrono::floor<std::chrono::days>(t)};
  return static_cast<int>(ymd.year());
}

template <typename Executor>
Result<Invoice> LoadInvoice(Executor& ex, const std::string& id) {
  auto rows = ex.Execute(std::string("SELECT ") + kInvoiceColumns + " FROM invoices WHERE id = $1", {id});
  if (!rows.ok()) return std::move(rows).error();
  if (rows->rows.empty()) return NotFound("no invoice " + id);
  Invoice inv = FromRow(rows->rows[0]);
  auto lines = ex.Execute(
      "SELECT kind, metric, description, quantity, unit_price, amount_minor FROM invoice_line_items "
      "WHERE invoice_id = $1 ORDER BY position",
      {id});
  if (!lines.ok()) return std::move(lines).error();
  for (const auto& l : lines->rows) {
    inv.lines.push_back({l.Text(0), l.OptText(1).value_or(""), l.Text(2), l.Int(3), l.Text(4), l.Int(5)});
  }
  return inv;
}

}  // namespace

InvoiceService::InvoiceService(storage::Database& db, metering::UsageStore& usage, const catalog::Catalog& catalog,
                               const Clock& clock, InvoiceOptions options)
    : db_(db), usage_(usage), catalog_(catalog), clock_(clock), options_(std::move(options)),
      lease_holder_(NewId("run")) {}

Result<InvoiceService::Made> InvoiceService::InvoicePeriod(const subscriptions::Subscription& subscription,
                                                           const Period& period) {
  const catalog::Plan* plan = catalog_.FindPlan(subscription.plan_id);
  if (plan == nullptr) return Internal("subscription " + subscription.id + " names an unknown plan");
  auto customer = db_.Execute("SELECT country FROM customers WHERE id = $1", {subscription.customer_id});
  if (!customer.ok()) return std::move(customer).error();
  if (customer->rows.empty()) return NotFound("no customer " + subscription.customer_id);
  std::string country = customer->rows[0].OptText(0).value_or("");
  std::optional<money::Decimal> tax_rate = TaxRateFor(subscription.customer_id, country);
  auto usage = usage_.Totals(subscription.customer_id, period.start, period.end);
  if (!usage.ok()) return std::move(usage).error();
  auto amounts = BuildInvoice(catalog_, *plan, *usage, tax_rate);
  if (!amounts.ok()) return std::move(amounts).error();

  Made made;
  TimePoint now = clock_.Now();
  int64_t now_ms = ToUnixMillis(now);
  std::string id = NewId("inv");
  Status s = db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
    auto inserted = tx.Execute(
        "INSERT INTO invoices (id, customer_id, subscription_id, period_start, period_end, status, currency, "
        "subtotal_minor, tax_minor, total_minor, amount_due_minor, tax_rate, created_at, updated_at) "
        "VALUES ($1, $2, $3, $4, $5, 'draft', $6, $7, $8, $9, $9, $10, $11, $11) "
        "ON CONFLICT (subscription_id, period_start) DO NOTHING",
        {id, subscription.customer_id, subscription.id, ToUnixMillis(period.start), ToUnixMillis(period.end),
         plan->currency.code, amounts->subtotal_minor, amounts->tax_minor, amounts->total_minor,
         tax_rate ? storage::Value(tax_rate->ToString()) : storage::Value(nullptr), now_ms});
    if (!inserted.ok()) return std::move(inserted).error();
    if (inserted->affected_rows == 0) {
      auto existing = tx.Execute("SELECT id FROM invoices WHERE subscription_id = $1 AND period_start = $2",
                                 {subscription.id, ToUnixMillis(period.start)});
      if (!existing.ok()) return std::move(existing).error();
      auto inv = LoadInvoice(tx, existing->rows.at(0).Text(0));
      if (!inv.ok()) return std::move(inv).error();
      made.invoice = std::move(inv).value();
      return OkStatus();
    }
    for (size_t i = 0; i < amounts->lines.size(); ++i) {
      const LineItem& line = amounts->lines[i];
      auto added = tx.Execute(
          "INSERT INTO invoice_line_items (id, invoice_id, position, kind, metric, description, quantity, "
          "unit_price, amount_minor) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
          {NewId("il"), id, static_cast<int64_t>(i + 1), line.kind,
           line.metric.empty() ? storage::Value(nullptr) : storage::Value(line.metric), line.description,
           line.quantity, line.unit_price, line.amount_minor});
      if (!added.ok()) return std::move(added).error();
    }
    MTL_RETURN_IF_ERROR(FinalizeIn(tx, id, subscription.customer_id, amounts->total_minor, now));
    auto inv = LoadInvoice(tx, id);
    if (!inv.ok()) return std::move(inv).error();
    made.invoice = std::move(inv).value();
    made.created = true;
    return OkStatus();
  });
  if (!s.ok()) return std::move(s).error();
  return made;
}

Status InvoiceService::FinalizeIn(storage::Transaction& tx, const std::string& id, const std::string& customer_id,
                                  int64_t total_minor, TimePoint now) {
  int64_t now_ms = ToUnixMillis(now);
  {
    // Finalize: the next number of this issuer and year, in this transaction.
    int year = UtcYear(now);
    auto next = tx.Execute(
        "INSERT INTO invoice_number_sequences (issuer, year, next_value) VALUES ($1, $2, 2) "
        "ON CONFLICT (issuer, year) DO UPDATE SET next_value = invoice_number_sequences.next_value + 1 "
        "RETURNING next_value - 1",
        {options_.number_prefix, int64_t{year}});
    if (!next.ok()) return std::move(next).error();
    char number[64];
    std::snprintf(number, sizeof number, "%s-%04d-%06lld", options_.number_prefix.c_str(), year,
                  static_cast<long long>(next->rows.at(0).Int(0)));
    int64_t due_ms = ToUnixMillis(now + std::chrono::hours(24 * options_.net_days));
    auto finalized = tx.Execute(
        "UPDATE invoices SET status = 'open', number = $2, finalized_at = $3, due_at = $4, updated_at = $3 "
        "WHERE id = $1 AND status = 'draft'",
        {id, std::string(number), now_ms, due_ms});
    if (!finalized.ok()) return std::move(finalized).error();
    if (finalized->affected_rows != 1) {
      return Error(ErrorCode::kConflict, "illegal_transition", "invoice " + id + " is not a draft");
    }
    // The Stripe sync, queued in the same transaction (stripe/invoice_sync.hpp).
    auto queued = tx.Execute(
        "INSERT INTO stripe_outbox (operation, object_id, next_attempt_at, created_at, updated_at) "
        "VALUES ('sync_invoice', $1, $2, $2, $2) ON CONFLICT (operation, object_id) DO NOTHING",
        {id, now_ms});
    if (!queued.ok()) return std::move(queued).error();
    return audit::Record(tx, clock_,
                         {"system", "invoice.finalize", customer_id,
                          "{\"invoice_id\":\"" + id + "\",\"number\":\"" + number +
                              "\",\"total_minor\":" + std::to_string(total_minor) + "}",
                          "", ""});
  }
}

Result<Invoice> InvoiceService::CreateDraft(const std::string& customer_id, const std::string& currency,
                                            const Period& period, const std::vector<LineItem>& lines) {
  int64_t subtotal = 0;
  for (const LineItem& l : lines) {
    MTL_RETURN_IF_ERROR(AddChecked(subtotal, l.amount_minor, "the invoice subtotal"));
  }
  std::string id = NewId("inv");
  int64_t now_ms = ToUnixMillis(clock_.Now());
  Invoice out;
  Status s = db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
    auto inserted = tx.Execute(
        "INSERT INTO invoices (id, customer_id, period_start, period_end, status, currency, subtotal_minor, "
        "total_minor, amount_due_minor, created_at, updated_at) "
        "VALUES ($1, $2, $3, $4, 'draft', $5, $6, $6, $6, $7, $7)",
        {id, customer_id, ToUnixMillis(period.start), ToUnixMillis(period.end), currency, subtotal, now_ms});
    if (!inserted.ok()) return std::move(inserted).error();
    for (size_t i = 0; i < lines.size(); ++i) {
      const LineItem& line = lines[i];
      auto added = tx.Execute(
          "INSERT INTO invoice_line_items (id, invoice_id, position, kind, metric, description, quantity, "
          "unit_price, amount_minor) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
          {NewId("il"), id, static_cast<int64_t>(i + 1), line.kind,
           line.metric.empty() ? storage::Value(nullptr) : storage::Value(line.metric), line.description,
           line.quantity, line.unit_price, line.amount_minor});
      if (!added.ok()) return std::move(added).error();
    }
    auto inv = LoadInvoice(tx, id);
    if (!inv.ok()) return std::move(inv).error();
    out = std::move(inv).value();
    return OkStatus();
  });
  if (!s.ok()) return std::move(s).error();
  return out;
}

Result<Invoice> InvoiceService::Finalize(const std::string& id) {
  Invoice out;
  Status s = db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
    auto inv = LoadInvoice(tx, id);
    if (!inv.ok()) return std::move(inv).error();
    MTL_RETURN_IF_ERROR(FinalizeIn(tx, id, inv->customer_id, inv->total_minor, clock_.Now()));
    auto reloaded = LoadInvoice(tx, id);
    if (!reloaded.ok()) return std::move(reloaded).error();
    out = std::move(reloaded).value();
    return OkStatus();
  });
  if (!s.ok()) return std::move(s).error();
  return out;
}

Result<RunSummary> InvoiceService::Run(
    const std::function<std::vector<Period>(const subscriptions::Subscription&)>& periods_of,
    const std::function<void(const RunProgress&)>& progress) {
  int64_t now_ms = ToUnixMillis(clock_.Now());
  // The lease: taken when free, expired, or already ours.
  auto lease = db_.Execute(
      "INSERT INTO job_leases (name, holder, expires_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE SET "
      "holder = excluded.holder, expires_at = excluded.expires_at "
      "WHERE job_leases.expires_at < $4 OR job_leases.holder = excluded.holder",
      {kLease, lease_holder_, now_ms + std::chrono::duration_cast<std::chrono::milliseconds>(kLeaseTtl).count(),
       now_ms});
  if (!lease.ok()) return std::move(lease).error();
  if (lease->affected_rows == 0) {
    return Error(ErrorCode::kConflict, "invoice_run_in_progress", "another invoice run holds the lease; try later");
  }
  struct ReleaseLease {
    storage::Database& db;
    const std::string& holder;
    ~ReleaseLease() { (void)db.Execute("DELETE FROM job_leases WHERE name = $1 AND holder = $2", {kLease, holder}); }
  } release{db_, lease_holder_};

  RunSummary summary;
  auto collected = CollectWork(periods_of, summary);
  if (!collected.ok()) return std::move(collected).error();
  std::vector<WorkItem>& work = *collected;
  // Chunks of invoices per transaction; a chunk that meets an invoice made
  // meanwhile by someone else is redone one invoice at a time.
  constexpr size_t kChunk = 1024;
  RunProgress p{0, static_cast<int64_t>(work.size())};
  auto slice = [&](size_t from) {
    return std::vector<WorkItem>(work.begin() + static_cast<std::ptrdiff_t>(from),
                                 work.begin() + static_cast<std::ptrdiff_t>(std::min(from + kChunk, work.size())));
  };
  // Reads for the next chunk (usage totals of closed periods, which no longer
  // change) overlap with the writes of this one.
  std::future<Result<PreparedChunk>> next;
  if (!work.empty()) next = std::async(std::launch::async, [this, c = slice(0)] { return PrepareChunk(c); });
  for (size_t done = 0; done < work.size(); done += kChunk) {
    auto prepared = next.get();
    if (done + kChunk < work.size()) {
      next = std::async(std::launch::async, [this, c = slice(done + kChunk)] { return PrepareChunk(c); });
    }
    if (!prepared.ok()) {
      if (next.valid()) next.wait();
      return std::move(prepared).error();
    }
    const std::vector<WorkItem>& chunk = prepared->items;
    RunSummary part;
    Status s = WriteChunk(*prepared, part);
    if (!s.ok() && s.error().Reason() == "chunk_conflict") {
      part = RunSummary{};
      for (const WorkItem& item : chunk) {
        auto made = InvoicePeriod(item.subscription, item.period);
        if (!made.ok()) {
          if (next.valid()) next.wait();
          return std::move(made).error();
        }
        if (made->created) {
          ++part.created;
          MTL_RETURN_IF_ERROR(AddChecked(part.total_minor[made->invoice.currency], made->invoice.total_minor,
                                         "the run's " + made->invoice.currency + " total"));
        } else {
          ++part.existing;
        }
      }
    } else if (!s.ok()) {
      if (next.valid()) next.wait();
      return std::move(s).error();
    }
    summary.created += part.created;
    summary.existing += part.existing;
    for (const auto& [currency, minor] : part.total_minor) {
      MTL_RETURN_IF_ERROR(AddChecked(summary.total_minor[currency], minor, "the run's " + currency + " total"));
    }
    p.done += static_cast<int64_t>(chunk.size());
    if (progress) progress(p);
  }
  return summary;
}

Result<InvoiceService::PreparedChunk> InvoiceService::PrepareChunk(std::vector<WorkItem> chunk) {
  PreparedChunk out;
  out.items = std::move(chunk);
  const std::vector<WorkItem>& chunk_items = out.items;
  // Reads first, outside the write transaction: countries and period totals.
  std::vector<std::string> customer_ids;
  std::map<std::pair<int64_t, int64_t>, std::vector<std::string>> by_period;
  for (const WorkItem& item : chunk_items) {
    customer_ids.push_back(item.subscription.customer_id);
    by_period[{ToUnixMillis(item.period.start), ToUnixMillis(item.period.end)}].push_back(
        item.subscription.customer_id);
  }
  std::map<std::string, std::string> countries;
  MTL_RETURN_IF_ERROR(db_.Transact(storage::TxMode::kReadOnly, [&](storage::Transaction& tx) {
    return storage::SelectIn(tx, "SELECT id, country FROM customers WHERE id IN_LIST", {}, customer_ids,
                             [&](const storage::Row& row) { countries[row.Text(0)] = row.OptText(1).value_or(""); });
  }));
  std::map<std::pair<int64_t, int64_t>, std::map<std::string, std::map<std::string, int64_t>>> usage;
  for (const auto& [bounds, ids] : by_period) {
    auto totals = usage_.TotalsForCustomers(ids, FromUnixMillis(bounds.first), FromUnixMillis(bounds.second));
    if (!totals.ok()) return std::move(totals).error();
    usage[bounds] = std::move(totals).value();
  }
  std::vector<InvoiceAmounts>& amounts = out.amounts;
  std::vector<std::optional<money::Decimal>>& rates = out.rates;
  for (const WorkItem& item : chunk_items) {
    const catalog::Plan* plan = catalog_.FindPlan(item.subscription.plan_id);
    if (plan == nullptr) return Internal("subscription " + item.subscription.id + " names an unknown plan");
    rates.push_back(TaxRateFor(item.subscription.customer_id, countries[item.subscription.customer_id]));
    auto& period_usage = usage[{ToUnixMillis(item.period.start), ToUnixMillis(item.period.end)}];
    auto built = BuildInvoice(catalog_, *plan, period_usage[item.subscription.customer_id], rates.back());
    if (!built.ok()) return std::move(built).error();
    amounts.push_back(std::move(built).value());
  }

  return out;
}

Status InvoiceService::WriteChunk(const PreparedChunk& prepared, RunSummary& summary) {
  const std::vector<WorkItem>& chunk = prepared.items;
  const std::vector<InvoiceAmounts>& amounts = prepared.amounts;
  const std::vector<std::optional<money::Decimal>>& rates = prepared.rates;
  TimePoint now = clock_.Now();
  int64_t now_ms = ToUnixMillis(now);
  int64_t due_ms = ToUnixMillis(now + std::chrono::hours(24 * options_.net_days));
  int year = UtcYear(now);
  return db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
    std::vector<std::string> sub_ids;
    for (const WorkItem& item : chunk) sub_ids.push_back(item.subscription.id);
    std::set<std::pair<std::string, int64_t>> existing;
    MTL_RETURN_IF_ERROR(storage::SelectIn(
        tx, "SELECT subscription_id, period_start FROM invoices WHERE subscription_id IN_LIST", {}, sub_ids,
        [&](const storage::Row& row) { existing.emplace(row.Text(0), row.Int(1)); }));
    std::vector<size_t> fresh;
    for (size_t i = 0; i < chunk.size(); ++i) {
      if (existing.count({chunk[i].subscription.id, ToUnixMillis(chunk[i].period.start)})) {
        ++summary.existing;
      } else {
        fresh.push_back(i);
      }
    }
    if (fresh.empty()) return OkStatus();
    // Numbers for all of them at once, from the gap-free counter.
    auto reserved = tx.Execute(
        "INSERT INTO invoice_number_sequences (issuer, year, next_value) VALUES ($1, $2, CAST($3 AS BIGINT) + 1) "
        "ON CONFLICT (issuer, year) DO UPDATE SET next_value = invoice_number_sequences.next_value + "
        "CAST($3 AS BIGINT) RETURNING next_value - CAST($3 AS BIGINT)",
        {options_.number_prefix, int64_t{year}, static_cast<int64_t>(fresh.size())});
    if (!reserved.ok()) return std::move(reserved).error();
    int64_t first_number = reserved->rows.at(0).Int(0);
    std::vector<storage::Value> invoices, lines, audits, outbox;
    for (size_t n = 0; n < fresh.size(); ++n) {
      const WorkItem& item = chunk[fresh[n]];
      const InvoiceAmounts& a = amounts[fresh[n]];
      const catalog::Plan& plan = *catalog_.FindPlan(item.subscription.plan_id);
      std::string id = NewId("inv");
      char number[64];
      std::snprintf(number, sizeof number, "%s-%04d-%06lld", options_.number_prefix.c_str(), year,
                    static_cast<long long>(first_number + static_cast<int64_t>(n)));
      const auto& rate = rates[fresh[n]];
      for (storage::Value v : std::initializer_list<storage::Value>{
               id, std::string(number), item.subscription.customer_id, item.subscription.id,
               ToUnixMillis(item.period.start), ToUnixMillis(item.period.end), std::string("open"),
               plan.currency.code, a.subtotal_minor, a.tax_minor, a.total_minor, a.total_minor,
               rate ? storage::Value(rate->ToString()) : storage::Value(nullptr), due_ms, now_ms, now_ms, now_ms}) {
        invoices.push_back(std::move(v));
      }
      for (size_t l = 0; l < a.lines.size(); ++l) {
        const LineItem& line = a.lines[l];
        for (storage::Value v : std::initializer_list<storage::Value>{
                 NewId("il"), id, static_cast<int64_t>(l + 1), line.kind,
                 line.metric.empty() ? storage::Value(nullptr) : storage::Value(line.metric), line.description,
                 line.quantity, line.unit_price, line.amount_minor}) {
          lines.push_back(std::move(v));
        }
      }
      for (storage::Value v : std::initializer_list<storage::Value>{
               std::string("system"), std::string("invoice.finalize"), item.subscription.customer_id,
               "{\"invoice_id\":\"" + id + "\",\"number\":\"" + number +
                   "\",\"total_minor\":" + std::to_string(a.total_minor) + "}",
               nullptr, nullptr, now_ms}) {
        audits.push_back(std::move(v));
      }
      for (storage::Value v : std::initializer_list<storage::Value>{std::string("sync_invoice"), id, now_ms, now_ms,
                                                                      now_ms}) {
        outbox.push_back(std::move(v));
      }
      MTL_RETURN_IF_ERROR(
          AddChecked(summary.total_minor[plan.currency.code], a.total_minor, "the run's " + plan.currency.code + " total"));
    }
    auto inserted = storage::InsertRows(
        tx,
        "INSERT INTO invoices (id, number, customer_id, subscription_id, period_start, period_end, status, currency, "
        "subtotal_minor, tax_minor, total_minor, amount_due_minor, tax_rate, due_at, created_at, finalized_at, "
        "updated_at)",
        17, invoices, "ON CONFLICT (subscription_id, period_start) DO NOTHING");
    if (!inserted.ok()) return std::move(inserted).error();
    if (*inserted != static_cast<int64_t>(fresh.size())) {
      // Someone invoiced one of these meanwhile: roll back (numbers included).
      return Error(ErrorCode::kConflict, "chunk_conflict", "an invoice of this chunk appeared meanwhile");
    }
    auto added = storage::InsertRows(tx,
                                     "INSERT INTO invoice_line_items (id, invoice_id, position, kind, metric, "
                                     "description, quantity, unit_price, amount_minor)",
                                     9, lines);
    if (!added.ok()) return std::move(added).error();
    auto audited = storage::InsertRows(
        tx, "INSERT INTO billing_audit (actor, action, customer_id, data, ip, user_agent, created_at)", 7, audits);
    if (!audited.ok()) return std::move(audited).error();
    auto queued = storage::InsertRows(
        tx, "INSERT INTO stripe_outbox (operation, object_id, next_attempt_at, created_at, updated_at)", 5, outbox);
    if (!queued.ok()) return std::move(queued).error();
    summary.created += static_cast<int64_t>(fresh.size());
    return OkStatus();
  });
}

std::optional<money::Decimal> InvoiceService::TaxRateFor(const std::string& customer_id,
                                                         const std::string& country) const {
  if (auto it = options_.tax_rates.find(customer_id); it != options_.tax_rates.end()) return it->second;
  if (auto c = options_.tax_rates.find(country); !country.empty() && c != options_.tax_rates.end()) return c->second;
  return std::nullopt;
}

Result<std::vector<InvoiceService::WorkItem>> InvoiceService::CollectWork(
    const std::function<std::vector<Period>(const subscriptions::Subscription&)>& periods_of, RunSummary& summary,
    std::optional<TimePoint> as_of) {
  auto subs = db_.Execute(
      "SELECT id, customer_id, plan_id, status, billing_anchor, created_at FROM subscriptions "
      "WHERE status IN ('active', 'past_due') ORDER BY id");
  if (!subs.ok()) return std::move(subs).error();
  TimePoint closed_before = as_of.value_or(clock_.Now()) - options_.grace;
  std::vector<WorkItem> work;
  for (const auto& row : subs->rows) {
    subscriptions::Subscription sub{row.Text(0), row.Text(1), row.Text(2),
                                    subscriptions::ParseStatus(row.Text(3)).value_or(subscriptions::Status::kActive),
                                    FromUnixMillis(row.Int(4)), row.Int(5)};
    ++summary.subscriptions;
    for (const Period& period : periods_of(sub)) {
      if (period.end > closed_before) {
        ++summary.not_closed;
      } else {
        work.push_back({sub, period});
      }
    }
  }
  return work;
}

std::vector<Period> InvoiceService::PeriodsStartingIn(const subscriptions::Subscription& sub, TimePoint from,
                                                      TimePoint to) {
  std::vector<Period> out;
  Period p = MonthlyPeriodContaining(sub.billing_anchor, std::max(from, sub.billing_anchor));
  if (p.start < from) p = MonthlyPeriodContaining(sub.billing_anchor, p.end);
  for (; p.start < to; p = MonthlyPeriodContaining(sub.billing_anchor, p.end)) out.push_back(p);
  return out;
}

Result<std::vector<ExpectedInvoice>> InvoiceService::ExpectedForPeriodsStartingIn(
    TimePoint from, TimePoint to, const std::function<void(int64_t, int64_t)>& progress) {
  std::vector<ExpectedInvoice> out;
  Status s = ForEachExpectedChunk(
      from, to, clock_.Now(),
      [&](std::vector<ExpectedInvoice>& chunk) {
        std::move(chunk.begin(), chunk.end(), std::back_inserter(out));
        return OkStatus();
      },
      progress);
  if (!s.ok()) return std::move(s).error();
  return out;
}

Status InvoiceService::ForEachExpectedChunk(TimePoint from, TimePoint to, TimePoint as_of,
                                            const std::function<Status(std::vector<ExpectedInvoice>&)>& visit,
                                            const std::function<void(int64_t, int64_t)>& progress) {
  RunSummary ignored;
  auto work = CollectWork([&](const subscriptions::Subscription& sub) { return PeriodsStartingIn(sub, from, to); },
                          ignored, as_of);
  if (!work.ok()) return std::move(work).error();
  constexpr size_t kChunk = 4096;
  const auto total = static_cast<int64_t>(work->size());
  if (progress) progress(0, total);
  std::vector<ExpectedInvoice> chunk;
  for (size_t at = 0; at < work->size(); at += kChunk) {
    auto end = work->begin() + static_cast<std::ptrdiff_t>(std::min(at + kChunk, work->size()));
    auto prepared = PrepareChunk(std::vector<WorkItem>(work->begin() + static_cast<std::ptrdiff_t>(at), end));
    if (!prepared.ok()) return std::move(prepared).error();
    chunk.clear();
    for (size_t i = 0; i < prepared->items.size(); ++i) {
      WorkItem& item = prepared->items[i];
      const catalog::Plan* plan = catalog_.FindPlan(item.subscription.plan_id);
      chunk.push_back({std::move(item.subscription), item.period, std::move(prepared->amounts[i]),
                       plan != nullptr ? plan->currency.code : ""});
    }
    MTL_RETURN_IF_ERROR(visit(chunk));
    if (progress) progress(static_cast<int64_t>(std::min(at + kChunk, work->size())), total);
  }
  return OkStatus();
}

Result<RunSummary> InvoiceService::RunPeriodsStartingIn(TimePoint from, TimePoint to,
                                                        const std::function<void(const RunProgress&)>& progress) {
  return Run([&](const subscriptions::Subscription& sub) { return PeriodsStartingIn(sub, from, to); }, progress);
}

Result<RunSummary> InvoiceService::RunDue(const std::function<void(const RunProgress&)>& progress) {
  TimePoint closed_before = clock_.Now() - options_.grace;
  return Run(
      [&](const subscriptions::Subscription& sub) {
        std::vector<Period> out;
        for (Period p = MonthlyPeriodContaining(sub.billing_anchor, sub.billing_anchor); p.end <= closed_before;
             p = MonthlyPeriodContaining(sub.billing_anchor, p.end)) {
          out.push_back(p);
        }
        // Only the most recent periods matter to a running scheduler; older
        // ones were invoiced by earlier runs (the unique key makes re-checks cheap).
        if (out.size() > 3) out.erase(out.begin(), out.end() - 3);
        return out;
      },
      progress);
}

Result<Invoice> InvoiceService::Get(const std::string& id, const std::string& customer_id) {
  auto inv = LoadInvoice(db_, id);
  if (!inv.ok()) return std::move(inv).error();
  if (!customer_id.empty() && inv->customer_id != customer_id) return NotFound("no invoice " + id);
  return inv;
}

Result<InvoicePage> InvoiceService::List(const InvoiceFilter& filter) {
  // One statement for every filter combination: a NULL parameter disables its condition.
  std::string where =
      " WHERE (CAST($1 AS TEXT) IS NULL OR customer_id = $1) AND (CAST($2 AS TEXT) IS NULL OR status = $2) "
      "AND (CAST($3 AS BIGINT) IS NULL OR created_at >= $3) AND (CAST($4 AS BIGINT) IS NULL OR created_at < $4)";
  std::vector<storage::Value> params = {
      filter.customer_id.empty() ? storage::Value(nullptr) : storage::Value(filter.customer_id),
      filter.status ? storage::Value(std::string(StatusName(*filter.status))) : storage::Value(nullptr),
      filter.from ? storage::Value(ToUnixMillis(*filter.from)) : storage::Value(nullptr),
      filter.to ? storage::Value(ToUnixMillis(*filter.to)) : storage::Value(nullptr)};
  auto count = db_.Execute("SELECT COUNT(*) FROM invoices" + where, params);
  if (!count.ok()) return std::move(count).error();
  params.emplace_back(filter.limit);
  params.emplace_back(filter.offset);
  auto rows = db_.Execute(std::string("SELECT ") + kInvoiceColumns + " FROM invoices" + where +
                              " ORDER BY created_at DESC, period_start DESC, id DESC LIMIT $5 OFFSET $6",
                          params);
  if (!rows.ok()) return std::move(rows).error();
  InvoicePage page;
  page.total = count->rows[0].Int(0);
  for (const auto& row : rows->rows) page.invoices.push_back(FromRow(row));
  return page;
}

Result<Invoice> InvoiceService::Transition(const std::string& id, InvoiceStatus to, TimePoint at,
                                           const std::string& actor) {
  Invoice out;
  Status s = db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
    auto inv = LoadInvoice(tx, id);
    if (!inv.ok()) return std::move(inv).error();
    if (!CanTransition(inv->status, to)) {
      return Error(ErrorCode::kConflict, "illegal_transition",
                   std::string("invoice ") + id + " cannot go from " + StatusName(inv->status) + " to " +
                       StatusName(to));
    }
    int64_t at_ms = ToUnixMillis(at);
    auto updated = tx.Execute(
        "UPDATE invoices SET status = $2, updated_at = $3, "
        "paid_at = CASE WHEN $2 = 'paid' THEN $3 ELSE paid_at END, "
        "voided_at = CASE WHEN $2 = 'void' THEN $3 ELSE voided_at END, "
        "amount_paid_minor = CASE WHEN $2 = 'paid' THEN total_minor ELSE amount_paid_minor END, "
        "amount_due_minor = CASE WHEN $2 IN ('paid', 'void') THEN 0 ELSE amount_due_minor END "
        "WHERE id = $1 AND status = $4",
        {id, std::string(StatusName(to)), at_ms, std::string(StatusName(inv->status))});
    if (!updated.ok()) return std::move(updated).error();
    if (updated->affected_rows != 1) return Conflict("invoice " + id + " changed concurrently; retry");
    MTL_RETURN_IF_ERROR(audit::Record(tx, clock_,
                                      {actor, std::string("invoice.") + StatusName(to), inv->customer_id,
                                       "{\"invoice_id\":\"" + id + "\",\"from\":\"" + StatusName(inv->status) + "\"}",
                                       "", ""}));
    auto reloaded = LoadInvoice(tx, id);
    if (!reloaded.ok()) return std::move(reloaded).error();
    out = std::move(reloaded).value();
    return OkStatus();
  });
  if (!s.ok()) return std::move(s).error();
  return out;
}

}  // namespace meterline::invoicing
