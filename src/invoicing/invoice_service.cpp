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
#include "outbox/events.hpp"
#include "outbox/stripe_outbox.hpp"
#include "storage/bulk.hpp"

namespace meterline::invoicing {

namespace {

constexpr const char* kLease = "invoice-run";
// The Stripe outbox operation that pushes a finalized invoice (stripe/invoice_sync.hpp).
constexpr const char* kSyncInvoice = "sync_invoice";
// The one that voids it there (stripe/invoice_sync.hpp).
constexpr const char* kVoidInvoice = "void_invoice";
constexpr auto kLeaseTtl = std::chrono::minutes(10);

// The invoice of one subscription period priced at `amounts`, as a draft;
// callers that finalize at once add number, status and dates.
NewInvoice PricedInvoice(const subscriptions::Subscription& subscription, const Period& period,
                         const catalog::Plan& plan, const InvoiceAmounts& amounts,
                         const std::optional<money::Decimal>& tax_rate, TimePoint now) {
  return NewInvoice{.id = NewId("inv"),
                    .customer_id = subscription.customer_id,
                    .subscription_id = subscription.id,
                    .period = period,
                    .currency = plan.currency.code,
                    .subtotal_minor = amounts.subtotal_minor,
                    .tax_minor = amounts.tax_minor,
                    .total_minor = amounts.total_minor,
                    .amount_due_minor = amounts.total_minor,
                    .tax_rate = tax_rate ? tax_rate->ToString() : "",
                    .created_at = now,
                    .lines = amounts.lines};
}

}  // namespace

InvoiceService::InvoiceService(storage::Database& db, metering::UsageStore& usage, plans::PlanBook& plans,
                               const Clock& clock, InvoiceOptions options)
    : db_(db), usage_(usage), plans_(plans), clock_(clock), options_(std::move(options)), lease_holder_(NewId("run")) {}

Result<InvoiceService::Made> InvoiceService::InvoicePeriod(const subscriptions::Subscription& subscription,
                                                           const Period& period) {
  auto segment = subscription.SegmentAt(period.start);
  if (!segment || segment->span.start != period.start) {
    return InvalidArgument("subscription " + subscription.id + " has no billing period starting at " +
                           FormatIso8601(period.start));
  }
  return InvoiceSegment(subscription, *segment);
}

Result<InvoiceAmounts> InvoiceService::Preview(const subscriptions::Subscription& subscription,
                                               const subscriptions::Segment& segment) {
  MTL_ASSIGN_OR_RETURN(const catalog::Plan* plan, subscription.PlanOf(plans_, segment));
  MTL_ASSIGN_OR_RETURN(auto customer,
                       db_.Execute("SELECT country FROM customers WHERE id = $1", {subscription.customer_id}));
  if (customer.rows.empty()) return NotFound("no customer " + subscription.customer_id);
  auto tax_rate = TaxRateFor(subscription.customer_id, customer.rows[0].OptText(0).value_or(""));
  MTL_ASSIGN_OR_RETURN(auto usage, usage_.Totals(subscription.customer_id, segment.span.start, segment.span.end));
  return Amounts(subscription, segment, *plan, usage, tax_rate);
}

Result<InvoiceService::Made> InvoiceService::InvoiceSegment(const subscriptions::Subscription& subscription,
                                                            const subscriptions::Segment& segment) {
  const Period& period = segment.span;
  MTL_ASSIGN_OR_RETURN(const catalog::Plan* plan, subscription.PlanOf(plans_, segment));
  auto customer = db_.Execute("SELECT country FROM customers WHERE id = $1", {subscription.customer_id});
  if (!customer.ok()) return std::move(customer).error();
  if (customer->rows.empty()) return NotFound("no customer " + subscription.customer_id);
  std::string country = customer->rows[0].OptText(0).value_or("");
  std::optional<money::Decimal> tax_rate = TaxRateFor(subscription.customer_id, country);
  MTL_ASSIGN_OR_RETURN(auto usage, usage_.Totals(subscription.customer_id, period.start, period.end));
  MTL_ASSIGN_OR_RETURN(auto amounts, Amounts(subscription, segment, *plan, usage, tax_rate));

  Made made;
  TimePoint now = clock_.Now();
  NewInvoice draft = PricedInvoice(subscription, period, *plan, amounts, tax_rate, now);
  MTL_RETURN_IF_ERROR(db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
    MTL_ASSIGN_OR_RETURN(auto inserted, InvoiceStore::Insert(tx, draft));
    if (!inserted) {
      MTL_ASSIGN_OR_RETURN(auto existing, InvoiceStore::FindForPeriod(tx, subscription.id, period.start));
      if (!existing) return Conflict("the invoice of this period disappeared; retry");
      MTL_ASSIGN_OR_RETURN(auto inv, InvoiceStore::Load(tx, *existing));
      made.invoice = std::move(inv);
      return OkStatus();
    }
    MTL_RETURN_IF_ERROR(FinalizeIn(tx, draft.id, subscription.customer_id, draft.currency, amounts.total_minor, now));
    MTL_ASSIGN_OR_RETURN(auto inv, InvoiceStore::Load(tx, draft.id));
    made.invoice = std::move(inv);
    made.created = true;
    return OkStatus();
  }));
  return made;
}

Result<InvoiceAmounts> InvoiceService::Amounts(const subscriptions::Subscription& sub,
                                               const subscriptions::Segment& segment, const catalog::Plan& plan,
                                               const std::map<std::string, int64_t>& usage,
                                               const std::optional<money::Decimal>& tax_rate) {
  InvoiceTerms terms;
  terms.share = segment.Share();
  if (segment.trial) return TrialAmounts(sub, segment, plan, usage, tax_rate);
  if (!sub.base_fee_in_advance) {
    if (!segment.Whole()) terms.fee_lines = {{BaseFeeLine(plan, terms.share, segment.span)}};
    return BuildInvoice(plans_.catalog(), plan, usage, tax_rate, terms);
  }
  // In advance: the fees for what follows the segment.
  TimePoint boundary = segment.span.end;
  terms.with_usage = boundary > sub.billing_anchor;  // the opening invoice has no usage
  std::optional<subscriptions::Segment> next = sub.SegmentAt(boundary);
  std::vector<LineItem> fees;
  if (boundary == segment.period.end) {
    // A period's end: the next period's whole fee, at the plan in force at
    // its start (a change within it credits and charges from there).
    if (next) {
      MTL_ASSIGN_OR_RETURN(const catalog::Plan* next_plan, sub.PlanAt(plans_, boundary));
      fees.push_back(BaseFeeLine(*next_plan, {}, next->period));
    }
  } else {
    // A change or the end within the period: this plan's fee was paid up to
    // the period's end; credit the rest, and charge the next plan's for it.
    Period rest{boundary, segment.period.end};
    money::Share rest_share = money::Share::Of(rest, segment.period);
    fees.push_back(UnusedTimeLine(plan, rest_share, rest));
    if (next) {
      MTL_ASSIGN_OR_RETURN(const catalog::Plan* next_plan, sub.PlanOf(plans_, *next));
      fees.push_back(BaseFeeLine(*next_plan, rest_share, rest));
    }
  }
  terms.fee_lines = std::move(fees);
  return BuildInvoice(plans_.catalog(), plan, usage, tax_rate, terms);
}

Result<InvoiceAmounts> InvoiceService::TrialAmounts(const subscriptions::Subscription& sub,
                                                    const subscriptions::Segment& segment, const catalog::Plan& plan,
                                                    const std::map<std::string, int64_t>& usage,
                                                    const std::optional<money::Decimal>& tax_rate) {
  // No base fee and no minimum; its usage priced only when the plan says so.
  InvoiceTerms terms;
  terms.share = segment.Share();
  terms.with_usage = plan.trial.usage_billed;
  terms.with_minimum = false;
  std::vector<LineItem> fees{TrialLine(plan, segment.span)};
  // A fee in advance: the first period's, on the trial's last invoice, when
  // the subscription goes on (its invoice waits for the trial's outcome).
  if (sub.base_fee_in_advance && segment.span.end == segment.period.end) {
    if (auto next = sub.SegmentAt(segment.span.end)) {
      MTL_ASSIGN_OR_RETURN(const catalog::Plan* next_plan, sub.PlanAt(plans_, segment.span.end));
      fees.push_back(BaseFeeLine(*next_plan, {}, next->period));
    }
  }
  terms.fee_lines = std::move(fees);
  return BuildInvoice(plans_.catalog(), plan, usage, tax_rate, terms);
}

Status InvoiceService::ApplyCreditsIn(storage::Transaction& tx, const std::vector<credits::InvoiceToCredit>& invoices,
                                      TimePoint now) {
  if (invoices.empty()) return OkStatus();
  MTL_ASSIGN_OR_RETURN(auto applied, credits::CreditLedger::Apply(tx, invoices, "system", now));
  for (const credits::InvoiceToCredit& inv : invoices) {
    auto it = applied.find(inv.invoice_id);
    if (it == applied.end()) continue;
    MTL_RETURN_IF_ERROR(InvoiceStore::ApplyCredits(tx, inv.invoice_id, it->second, now));
    boost::json::object data{{"invoice_id", inv.invoice_id}, {"amount_minor", it->second}, {"currency", inv.currency}};
    MTL_RETURN_IF_ERROR(audit::Record(tx, clock_, {"system", "credits.apply", inv.customer_id, data, {}}));
    MTL_RETURN_IF_ERROR(outbox::Publish(tx, {"credits.applied", inv.customer_id, std::move(data), now}));
  }
  return OkStatus();
}

Status InvoiceService::FinalizeIn(storage::Transaction& tx, const std::string& id, const std::string& customer_id,
                                  const std::string& currency, int64_t total_minor, TimePoint now) {
  // The next number of this issuer and year, in this transaction.
  int year = UtcYear(now);
  MTL_ASSIGN_OR_RETURN(auto first, InvoiceStore::ReserveNumbers(tx, options_.number_prefix, year, 1));
  std::string number = FormatNumber(options_.number_prefix, year, first);
  MTL_RETURN_IF_ERROR(InvoiceStore::Finalize(tx, id, number, now, now + std::chrono::hours(24 * options_.net_days)));
  // Prepaid credits pay what they can of it (before Stripe sees it).
  if (total_minor > 0) MTL_RETURN_IF_ERROR(ApplyCreditsIn(tx, {{id, customer_id, currency, total_minor}}, now));
  // The Stripe sync, queued in the same transaction (stripe/invoice_sync.hpp).
  MTL_RETURN_IF_ERROR(outbox::StripeOutbox::Enqueue(tx, kSyncInvoice, {id}, now));
  return audit::Record(tx, clock_,
                       {"system",
                        "invoice.finalize",
                        customer_id,
                        {{"invoice_id", id}, {"number", number}, {"total_minor", total_minor}},
                        {}});
}

Result<Invoice> InvoiceService::CreateDraft(const std::string& customer_id, const std::string& currency,
                                            const Period& period, const std::vector<LineItem>& lines) {
  int64_t subtotal = 0;
  for (const LineItem& l : lines) {
    MTL_RETURN_IF_ERROR(AddChecked(subtotal, l.amount_minor, "the invoice subtotal"));
  }
  NewInvoice draft{.id = NewId("inv"),
                   .customer_id = customer_id,
                   .period = period,
                   .currency = currency,
                   .subtotal_minor = subtotal,
                   .total_minor = subtotal,
                   .amount_due_minor = subtotal,
                   .created_at = clock_.Now(),
                   .lines = lines};
  Invoice out;
  MTL_RETURN_IF_ERROR(db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
    MTL_RETURN_IF_ERROR(InvoiceStore::Insert(tx, draft));
    MTL_ASSIGN_OR_RETURN(auto inv, InvoiceStore::Load(tx, draft.id));
    out = std::move(inv);
    return OkStatus();
  }));
  return out;
}

Result<Invoice> InvoiceService::Finalize(const std::string& id) {
  Invoice out;
  MTL_RETURN_IF_ERROR(db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
    MTL_ASSIGN_OR_RETURN(auto inv, InvoiceStore::Load(tx, id));
    MTL_RETURN_IF_ERROR(FinalizeIn(tx, id, inv.customer_id, inv.currency, inv.total_minor, clock_.Now()));
    MTL_ASSIGN_OR_RETURN(auto reloaded, InvoiceStore::Load(tx, id));
    out = std::move(reloaded);
    return OkStatus();
  }));
  return out;
}

Result<RunSummary> InvoiceService::Run(const SegmentsFn& segments_of, TimePoint ended_after,
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
  MTL_ASSIGN_OR_RETURN(auto collected, CollectWork(segments_of, ended_after, summary));
  std::vector<WorkItem>& work = collected;
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
        auto made = InvoiceSegment(item.subscription, item.segment);
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
    by_period[{ToUnixMillis(item.segment.span.start), ToUnixMillis(item.segment.span.end)}].push_back(
        item.subscription.customer_id);
  }
  std::map<std::string, std::string> countries;
  MTL_RETURN_IF_ERROR(db_.Transact(storage::TxMode::kReadOnly, [&](storage::Transaction& tx) {
    return storage::SelectIn(tx, "SELECT id, country FROM customers WHERE id IN_LIST", {}, customer_ids,
                             [&](const storage::Row& row) { countries[row.Text(0)] = row.OptText(1).value_or(""); });
  }));
  std::map<std::pair<int64_t, int64_t>, std::map<std::string, std::map<std::string, int64_t>>> usage;
  for (const auto& [bounds, ids] : by_period) {
    MTL_ASSIGN_OR_RETURN(auto totals,
                         usage_.TotalsForCustomers(ids, FromUnixMillis(bounds.first), FromUnixMillis(bounds.second)));
    usage[bounds] = std::move(totals);
  }
  std::vector<InvoiceAmounts>& amounts = out.amounts;
  std::vector<std::optional<money::Decimal>>& rates = out.rates;
  for (const WorkItem& item : chunk_items) {
    MTL_ASSIGN_OR_RETURN(const catalog::Plan* plan, item.subscription.PlanOf(plans_, item.segment));
    out.plans.push_back(plan);
    rates.push_back(TaxRateFor(item.subscription.customer_id, countries[item.subscription.customer_id]));
    auto& period_usage = usage[{ToUnixMillis(item.segment.span.start), ToUnixMillis(item.segment.span.end)}];
    MTL_ASSIGN_OR_RETURN(auto built, Amounts(item.subscription, item.segment, *plan,
                                             period_usage[item.subscription.customer_id], rates.back()));
    amounts.push_back(std::move(built));
  }

  return out;
}

Status InvoiceService::WriteChunk(const PreparedChunk& prepared, RunSummary& summary) {
  const std::vector<WorkItem>& chunk = prepared.items;
  const std::vector<InvoiceAmounts>& amounts = prepared.amounts;
  const std::vector<std::optional<money::Decimal>>& rates = prepared.rates;
  TimePoint now = clock_.Now();
  TimePoint due = now + std::chrono::hours(24 * options_.net_days);
  int year = UtcYear(now);
  return db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
    std::vector<std::string> sub_ids;
    sub_ids.reserve(chunk.size());
    for (const WorkItem& item : chunk) sub_ids.push_back(item.subscription.id);
    auto invoiced = InvoiceStore::PeriodsOf(tx, sub_ids);
    if (!invoiced.ok()) return std::move(invoiced).error();
    std::set<std::pair<std::string, int64_t>> existing(invoiced->begin(), invoiced->end());
    std::vector<size_t> fresh;
    for (size_t i = 0; i < chunk.size(); ++i) {
      if (existing.count({chunk[i].subscription.id, ToUnixMillis(chunk[i].segment.span.start)})) {
        ++summary.existing;
      } else {
        fresh.push_back(i);
      }
    }
    if (fresh.empty()) return OkStatus();
    // Numbers for all of them at once, from the gap-free counter.
    auto first_number =
        InvoiceStore::ReserveNumbers(tx, options_.number_prefix, year, static_cast<int64_t>(fresh.size()));
    if (!first_number.ok()) return std::move(first_number).error();
    std::vector<NewInvoice> invoices;
    std::vector<audit::AuditEntry> audits;
    std::vector<std::string> synced;
    invoices.reserve(fresh.size());
    for (size_t n = 0; n < fresh.size(); ++n) {
      const WorkItem& item = chunk[fresh[n]];
      const InvoiceAmounts& a = amounts[fresh[n]];
      const catalog::Plan& plan = *prepared.plans[fresh[n]];
      const auto& rate = rates[fresh[n]];
      NewInvoice invoice = PricedInvoice(item.subscription, item.segment.span, plan, a, rate, now);
      invoice.number = FormatNumber(options_.number_prefix, year, *first_number + static_cast<int64_t>(n));
      // Nothing to pay (a free trial's invoice): paid at once, as InvoiceStore::Finalize does.
      invoice.status = a.total_minor == 0 ? InvoiceStatus::kPaid : InvoiceStatus::kOpen;
      if (a.total_minor == 0) invoice.paid_at = now;
      invoice.due_at = due;
      invoice.finalized_at = now;
      audits.push_back({"system",
                        "invoice.finalize",
                        item.subscription.customer_id,
                        {{"invoice_id", invoice.id}, {"number", invoice.number}, {"total_minor", a.total_minor}},
                        {}});
      synced.push_back(invoice.id);
      MTL_RETURN_IF_ERROR(AddChecked(summary.total_minor[plan.currency.code], a.total_minor,
                                     "the run's " + plan.currency.code + " total"));
      invoices.push_back(std::move(invoice));
    }
    MTL_ASSIGN_OR_RETURN(auto inserted, InvoiceStore::InsertMany(tx, invoices));
    if (inserted != static_cast<int64_t>(fresh.size())) {
      // Someone invoiced one of these meanwhile: roll back (numbers included).
      return Error(ErrorCode::kConflict, "chunk_conflict", "an invoice of this chunk appeared meanwhile");
    }
    MTL_RETURN_IF_ERROR(audit::RecordMany(tx, clock_, audits));
    // invoice.finalized for each; invoice.paid too for those with nothing to pay.
    std::vector<outbox::Event> events;
    for (const NewInvoice& inv : invoices) {
      boost::json::object payload{{"invoice_id", inv.id},
                                  {"number", inv.number},
                                  {"currency", inv.currency},
                                  {"total_minor", inv.total_minor},
                                  {"amount_due_minor", inv.amount_due_minor},
                                  {"amount_paid_minor", inv.amount_paid_minor},
                                  {"status", StatusName(inv.status)},
                                  {"period_start", FormatIso8601(inv.period.start)},
                                  {"period_end", FormatIso8601(inv.period.end)}};
      events.push_back({"invoice.finalized", inv.customer_id, payload, now});
      if (inv.status == InvoiceStatus::kPaid) events.push_back({"invoice.paid", inv.customer_id, payload, now});
    }
    MTL_RETURN_IF_ERROR(outbox::PublishMany(tx, events));
    std::vector<credits::InvoiceToCredit> payable;
    for (const NewInvoice& inv : invoices) {
      if (inv.amount_due_minor > 0) payable.push_back({inv.id, inv.customer_id, inv.currency, inv.amount_due_minor});
    }
    MTL_RETURN_IF_ERROR(ApplyCreditsIn(tx, payable, now));
    MTL_RETURN_IF_ERROR(outbox::StripeOutbox::Enqueue(tx, kSyncInvoice, synced, now));
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

Result<std::vector<InvoiceService::WorkItem>> InvoiceService::CollectWork(const SegmentsFn& segments_of,
                                                                          TimePoint ended_after, RunSummary& summary,
                                                                          std::optional<TimePoint> as_of) {
  // Live subscriptions, and ended ones whose last segments may not be invoiced yet.
  MTL_ASSIGN_OR_RETURN(auto subs,
                       db_.Execute(std::string(subscriptions::SubscriptionService::kSelectSubscriptions) +
                                       " WHERE s.status IN ('active', 'past_due') OR (s.ends_at IS NOT NULL AND "
                                       "s.ends_at > $1 AND s.status <> 'trialing') ORDER BY s.id",
                                   {ToUnixMillis(ended_after)}));
  TimePoint closed_before = as_of.value_or(clock_.Now()) - options_.grace;
  std::vector<subscriptions::Subscription> billable;
  billable.reserve(subs.rows.size());
  for (const auto& row : subs.rows) billable.push_back(subscriptions::SubscriptionService::FromRow(row));
  MTL_RETURN_IF_ERROR(subscriptions::SubscriptionService::LoadPhases(db_, billable));
  std::vector<WorkItem> work;
  for (subscriptions::Subscription& sub : billable) {
    ++summary.subscriptions;
    for (const subscriptions::Segment& segment : segments_of(sub)) {
      if (sub.FinalFrom(segment) > closed_before) {
        ++summary.not_closed;
      } else {
        work.push_back({sub, segment});
      }
    }
  }
  return work;
}

std::vector<subscriptions::Segment> InvoiceService::SegmentsStartingIn(const subscriptions::Subscription& sub,
                                                                       TimePoint from, TimePoint to) {
  std::vector<subscriptions::Segment> out;
  std::optional<subscriptions::Segment> s = sub.FirstSegment();
  if (s && s->span.start < from) s = sub.SegmentAt(from);
  if (s && s->span.start < from) s = sub.Next(*s);
  for (; s && s->span.start < to; s = sub.Next(*s)) out.push_back(*s);
  return out;
}

Result<std::vector<ExpectedInvoice>> InvoiceService::ExpectedForPeriodsStartingIn(
    TimePoint from, TimePoint to, const std::function<void(int64_t, int64_t)>& progress) {
  std::vector<ExpectedInvoice> out;
  MTL_RETURN_IF_ERROR(ForEachExpectedChunk(
      from, to, clock_.Now(),
      [&](std::vector<ExpectedInvoice>& chunk) {
        std::move(chunk.begin(), chunk.end(), std::back_inserter(out));
        return OkStatus();
      },
      progress));
  return out;
}

Status InvoiceService::ForEachExpectedChunk(TimePoint from, TimePoint to, TimePoint as_of,
                                            const std::function<Status(std::vector<ExpectedInvoice>&)>& visit,
                                            const std::function<void(int64_t, int64_t)>& progress) {
  RunSummary ignored;
  MTL_ASSIGN_OR_RETURN(
      auto work, CollectWork([&](const subscriptions::Subscription& sub) { return SegmentsStartingIn(sub, from, to); },
                             from, ignored, as_of));
  constexpr size_t kChunk = 4096;
  const auto total = static_cast<int64_t>(work.size());
  if (progress) progress(0, total);
  std::vector<ExpectedInvoice> chunk;
  for (size_t at = 0; at < work.size(); at += kChunk) {
    auto end = work.begin() + static_cast<std::ptrdiff_t>(std::min(at + kChunk, work.size()));
    MTL_ASSIGN_OR_RETURN(auto prepared,
                         PrepareChunk(std::vector<WorkItem>(work.begin() + static_cast<std::ptrdiff_t>(at), end)));
    chunk.clear();
    for (size_t i = 0; i < prepared.items.size(); ++i) {
      WorkItem& item = prepared.items[i];
      chunk.push_back({std::move(item.subscription), item.segment.span, std::move(prepared.amounts[i]),
                       prepared.plans[i]->currency.code});
    }
    MTL_RETURN_IF_ERROR(visit(chunk));
    if (progress) progress(static_cast<int64_t>(std::min(at + kChunk, work.size())), total);
  }
  return OkStatus();
}

Result<RunSummary> InvoiceService::RunPeriodsStartingIn(TimePoint from, TimePoint to,
                                                        const std::function<void(const RunProgress&)>& progress) {
  return Run([&](const subscriptions::Subscription& sub) { return SegmentsStartingIn(sub, from, to); }, from, progress);
}

Result<RunSummary> InvoiceService::RunDue(const std::function<void(const RunProgress&)>& progress) {
  TimePoint closed_before = clock_.Now() - options_.grace;
  // Only the most recent segments matter to a running scheduler; older ones
  // were invoiced by earlier runs (the unique key makes re-checks cheap).
  constexpr size_t kRecent = 3;
  return Run(
      [&](const subscriptions::Subscription& sub) {
        std::vector<subscriptions::Segment> out;
        for (auto s = sub.FirstSegment(); s && s->span.end <= closed_before; s = sub.Next(*s)) {
          out.push_back(*s);
          if (out.size() > 2 * kRecent) out.erase(out.begin(), out.end() - kRecent);
        }
        if (out.size() > kRecent) out.erase(out.begin(), out.end() - kRecent);
        return out;
      },
      // Ended subscriptions stay for a while, for their last segments.
      closed_before - std::chrono::hours(24 * 400), progress);
}

Result<Invoice> InvoiceService::Get(const std::string& id, const std::string& customer_id) {
  auto inv = InvoiceStore::Load(db_, id);
  if (!inv.ok()) return std::move(inv).error();
  if (!customer_id.empty() && inv->customer_id != customer_id) return NotFound("no invoice " + id);
  return inv;
}

Result<InvoicePage> InvoiceService::List(const InvoiceFilter& filter, const PageRequest& page) {
  return InvoiceStore::List(db_, filter, page);
}

Result<Invoice> InvoiceService::Transition(const std::string& id, InvoiceStatus to, TimePoint at,
                                           const std::string& actor) {
  Invoice out;
  MTL_RETURN_IF_ERROR(db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
    MTL_ASSIGN_OR_RETURN(auto inv, InvoiceStore::Load(tx, id));
    MTL_RETURN_IF_ERROR(InvoiceStore::ApplyTransition(
        tx, {.invoice_id = id, .from = inv.status, .to = to, .at = at, .source = TransitionSource::kManual}));
    MTL_RETURN_IF_ERROR(audit::Record(tx, clock_,
                                      {actor,
                                       std::string("invoice.") + StatusName(to),
                                       inv.customer_id,
                                       {{"invoice_id", id}, {"from", StatusName(inv.status)}},
                                       {}}));
    if (to == InvoiceStatus::kVoid) {
      // Stripe's copy is voided too (after it is pushed, if it is not yet),
      // and the void is announced.
      MTL_RETURN_IF_ERROR(outbox::StripeOutbox::Enqueue(tx, kVoidInvoice, {id}, at));
      MTL_RETURN_IF_ERROR(outbox::Publish(
          tx,
          {"invoice.voided",
           inv.customer_id,
           {{"invoice_id", id}, {"number", inv.number}, {"total_minor", inv.total_minor}, {"currency", inv.currency}},
           clock_.Now()}));
    }
    MTL_ASSIGN_OR_RETURN(auto reloaded, InvoiceStore::Load(tx, id));
    out = std::move(reloaded);
    return OkStatus();
  }));
  return out;
}

Result<Invoice> InvoiceService::Void(const std::string& id, const std::string& customer_id, const std::string& actor) {
  MTL_RETURN_IF_ERROR(Get(id, customer_id));
  return Transition(id, InvoiceStatus::kVoid, clock_.Now(), actor);
}

}  // namespace meterline::invoicing
