#include "reconciliation/reconciliation_service.hpp"

#include <boost/json/serialize.hpp>

#include <cctype>
#include <charconv>
#include <map>
#include <set>

#include "audit/audit_log.hpp"
#include "core/checked_math.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "core/period.hpp"
#include "customers/customer_store.hpp"
#include "money/money.hpp"
#include "observability/metrics.hpp"
#include "outbox/events.hpp"
#include "storage/bulk.hpp"
#include "stripe/invoice_lines.hpp"
#include "stripe/json_fields.hpp"

namespace meterline::reconciliation {

namespace json = boost::json;

namespace {

// What Stripe billed: every invoice created since `since` (ours are created
// after their period closes), a page of 100 at a time.
struct StripeSide {
  std::map<std::string, BilledInvoice> billed;     // by Stripe id
  std::map<std::string, std::string> by_metadata;  // our invoice id -> Stripe id
};

Result<StripeSide> ReadStripeSide(stripe::StripeClient& stripe, TimePoint since,
                                  const std::function<void(const char*, int64_t, int64_t)>& report) {
  StripeSide side;
  std::string after;
  int64_t fetched = 0;
  report("Stripe invoices", 0, -1);
  for (bool more = true; more;) {
    stripe::FormParams query = {{"limit", "100"}, {"created[gte]", std::to_string(ToUnixMillis(since) / 1000)}};
    if (!after.empty()) query.emplace_back("starting_after", after);
    MTL_ASSIGN_OR_RETURN(auto page, stripe.Get("invoices", query));
    const auto* data = page.if_contains("data");
    if (data == nullptr || !data->is_array()) return Unavailable("Stripe's invoice list has no data");
    for (const auto& v : data->as_array()) {
      if (!v.is_object()) continue;
      const json::object& inv = v.as_object();
      std::string currency = stripe::TextField(inv, "currency");
      for (char& c : currency) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      BilledInvoice b{
          stripe::TextField(inv, "id"), std::move(currency), stripe::IntField(inv, "total").value_or(0), {}};
      b.credit_notes = stripe::IntField(inv, "pre_payment_credit_notes_amount").value_or(0) +
                       stripe::IntField(inv, "post_payment_credit_notes_amount").value_or(0);
      if (auto ending = stripe::IntField(inv, "ending_balance")) {
        b.applied_balance = *ending - stripe::IntField(inv, "starting_balance").value_or(0);
      }
      after = b.id;
      auto lines = stripe::InvoiceLines(stripe, inv);  // a call of its own only past 10 lines
      if (!lines.ok()) return std::move(lines).error();
      for (const auto& l : *lines) {
        std::string position = stripe::MetadataField(l, "meterline_line");
        int64_t at = 0;
        if (std::from_chars(position.data(), position.data() + position.size(), at).ec != std::errc()) continue;
        MTL_RETURN_IF_ERROR(AddChecked(b.lines[at], stripe::IntField(l, "amount").value_or(0),
                                       "line " + position + " of Stripe invoice " + b.id));
      }
      std::string meta = stripe::MetadataField(inv, "meterline_invoice_id");
      if (!meta.empty()) side.by_metadata[meta] = b.id;
      side.billed[b.id] = std::move(b);
    }
    const auto* has_more = page.if_contains("has_more");
    more = has_more != nullptr && has_more->is_bool() && has_more->as_bool() && !data->as_array().empty();
    fetched += static_cast<int64_t>(data->as_array().size());
    report("Stripe invoices", fetched, more ? -1 : fetched);
  }
  return side;
}

// Our invoices of the periods starting in [from, to), by (subscription,
// period start), as they were at `as_of`: the moment the expected periods
// (closed by then) describe too. Stripe's list is read newest first, so an
// invoice pushed during the download would not be in it; an invoice made
// during a long run (a scheduler behind) thus shows as missing_internal, as
// it was at the start, and the next run sees both sides of it.
using OurInvoices = std::map<std::pair<std::string, int64_t>, OurInvoice>;

Result<OurInvoices> ReadOurInvoices(storage::Database& db, TimePoint from, TimePoint to, TimePoint as_of) {
  MTL_ASSIGN_OR_RETURN(auto rows, invoicing::InvoiceStore::ForPeriodsStartingIn(db, from, to, as_of));
  OurInvoices ours;
  for (auto& row : rows) {
    ours[{row.subscription_id, ToUnixMillis(row.period_start)}] = {std::move(row.id), std::move(row.stripe_invoice_id),
                                                                   row.status, row.credit_notes_minor,
                                                                   row.credits_applied_minor};
  }
  return ours;
}

Reconciliation FromRow(const storage::Row& r) {
  Reconciliation out;
  out.id = r.Text(0);
  out.period = r.Text(1);
  out.status = r.Text(2);
  out.actor = r.Text(3);
  out.tolerance = r.Text(4);
  out.currency = r.Text(5);
  out.subscriptions_checked = r.Int(6);
  out.invoices_compared = r.Int(7);
  out.findings_count = r.Int(8);
  out.expected_total_minor = r.Int(9);
  out.billed_total_minor = r.Int(10);
  out.discrepancy_total_minor = r.Int(11);
  out.alert_raised = r.Int(12) != 0;
  out.created_at = FromUnixMillis(r.Int(13));
  out.finished_at = FromUnixMillis(r.Int(14));
  return out;
}

// What an alert says: the currencies over their thresholds. The top-level
// amounts are the first such currency's (most alerts name one).
json::object AlertPayload(const Reconciliation& r) {
  json::array over;
  const CurrencyTotals* first = nullptr;
  for (const CurrencyTotals& t : r.totals) {
    if (!t.alert_raised) continue;
    if (first == nullptr) first = &t;
    over.push_back({{"currency", t.currency},
                    {"discrepancy_total_minor", t.discrepancy_total_minor},
                    {"threshold_minor", t.alert_threshold_minor}});
  }
  json::object o{{"reconciliation_id", r.id}, {"period", r.period}, {"findings", r.findings_count}};
  if (first != nullptr) {
    o["discrepancy_total_minor"] = first->discrepancy_total_minor;
    o["threshold_minor"] = first->alert_threshold_minor;
    o["currency"] = first->currency;
  }
  o["currencies"] = std::move(over);
  return o;
}

constexpr const char* kColumns =
    "id, period, status, actor, tolerance, currency, subscriptions_checked, invoices_compared, findings_count, "
    "expected_total_minor, billed_total_minor, discrepancy_total_minor, alert_raised, created_at, finished_at";

}  // namespace

ReconciliationService::ReconciliationService(storage::Database& db, invoicing::InvoiceService& invoices,
                                             stripe::StripeClient& stripe, observability::Registry& metrics,
                                             const Clock& clock, Options options, std::unique_ptr<AlertSink> alert_sink)
    : db_(db),
      invoices_(invoices),
      stripe_(stripe),
      alerts_(metrics.AddCounter("meterline_reconciliation_alerts_total",
                                 "Reconciliations whose discrepancy crossed the alert threshold.", {})),
      clock_(clock),
      options_(std::move(options)),
      alert_sink_(std::move(alert_sink)) {
  if (alert_sink_ == nullptr && !options_.alert_webhook_url.empty()) {
    alert_sink_ = NewWebhookAlertSink(options_.alert_webhook_url);
  }
}

std::string ReconciliationService::LastClosedPeriod(TimePoint now) {
  std::chrono::year_month_day today{std::chrono::floor<std::chrono::days>(now)};
  std::chrono::year_month last = std::chrono::year_month(today.year(), today.month()) - std::chrono::months(1);
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02u", static_cast<int>(last.year()), static_cast<unsigned>(last.month()));
  return text;
}

Result<Reconciliation> ReconciliationService::Run(const std::string& period, const std::string& actor,
                                                  const std::function<void(const Progress&)>& progress) {
  auto month = ParseMonth(period);
  if (!month) return InvalidArgument("period must be a month like 2025-01, got '" + period + "'");
  TimePoint started = clock_.Now();
  if (month->start > started) return InvalidArgument("period " + period + " has not started yet");

  Reconciliation r;
  r.id = NewId("rec");
  r.period = period;
  r.actor = actor;
  r.tolerance = options_.tolerance.ToString();
  r.created_at = started;

  auto report = [&](const char* stage, int64_t done, int64_t total) {
    if (progress) progress({stage, done, total});
  };
  MTL_ASSIGN_OR_RETURN(auto stripe_side, ReadStripeSide(stripe_, month->start, report));
  std::map<std::string, BilledInvoice>& billed = stripe_side.billed;
  const std::map<std::string, std::string>& by_metadata = stripe_side.by_metadata;

  auto ours = ReadOurInvoices(db_, month->start, month->end, started);
  if (!ours.ok()) return std::move(ours).error();

  // Priced from the rollups and compared a chunk at a time, so that only
  // Stripe's side and our invoice ids are held for the whole month.
  TotalsByCurrency totals;
  std::set<std::string> matched;  // Stripe ids compared with an invoice of ours
  auto compare = [&](const invoicing::ExpectedInvoice& e) -> Status {
    const OurInvoice* mine = nullptr;
    const BilledInvoice* theirs = nullptr;
    auto found = ours->find({e.subscription.id, ToUnixMillis(e.period.start)});
    if (found != ours->end()) {
      mine = &found->second;
      std::string stripe_id = mine->stripe_invoice_id;
      if (stripe_id.empty() || !billed.count(stripe_id)) {
        auto meta = by_metadata.find(mine->id);
        stripe_id = meta == by_metadata.end() ? "" : meta->second;
      }
      auto it = billed.find(stripe_id);
      if (it != billed.end() && mine->status != invoicing::InvoiceStatus::kVoid) theirs = &it->second;
    }
    MTL_ASSIGN_OR_RETURN(auto compared, CompareInvoice(e, mine, theirs, options_.tolerance));
    if (compared.stripe_matched) {
      matched.insert(theirs->id);
      ++r.invoices_compared;
    }
    for (Finding& f : compared.findings) r.findings.push_back(std::move(f));
    return totals.Add(e.currency, e.subscription.id, compared);
  };
  MTL_RETURN_IF_ERROR(invoices_.ForEachExpectedChunk(
      month->start, month->end, started,
      [&](std::vector<invoicing::ExpectedInvoice>& chunk) -> Status {
        for (const invoicing::ExpectedInvoice& e : chunk) MTL_RETURN_IF_ERROR(compare(e));
        return OkStatus();
      },
      [&](int64_t done, int64_t total) { report("pricing and comparing", done, total); }));
  r.subscriptions_checked = totals.subscriptions();

  // Stripe invoices that name an invoice of ours we do not have.
  std::vector<std::string> unmatched;
  for (const auto& [meta, stripe_id] : by_metadata) {
    if (!matched.count(stripe_id)) unmatched.push_back(meta);
  }
  std::set<std::string> known;
  std::map<std::string, std::string> names, numbers;
  std::vector<std::string> customer_ids, invoice_ids;
  for (const Finding& f : r.findings) {
    customer_ids.push_back(f.customer_id);
    if (!f.invoice_id.empty()) invoice_ids.push_back(f.invoice_id);
  }
  MTL_RETURN_IF_ERROR(db_.Transact(storage::TxMode::kReadOnly, [&](storage::Transaction& tx) -> Status {
    MTL_ASSIGN_OR_RETURN(auto existing, invoicing::InvoiceStore::Existing(tx, unmatched));
    known.insert(existing.begin(), existing.end());
    MTL_ASSIGN_OR_RETURN(names, customers::CustomerStore::Names(tx, customer_ids));
    MTL_ASSIGN_OR_RETURN(numbers, invoicing::InvoiceStore::Numbers(tx, invoice_ids));
    return OkStatus();
  }));
  for (const std::string& meta : unmatched) {
    if (known.count(meta)) continue;
    const BilledInvoice& b = billed.at(by_metadata.at(meta));
    r.findings.push_back(UnknownToUs(meta, b));
    MTL_RETURN_IF_ERROR(totals.AddUnmatched(b));
  }
  for (Finding& f : r.findings) {
    f.customer_name = names[f.customer_id];
    if (auto number = numbers.find(f.invoice_id); number != numbers.end()) f.invoice_number = number->second;
  }

  r.totals = totals.Finish(options_);
  for (const CurrencyTotals& t : r.totals) r.alert_raised = r.alert_raised || t.alert_raised;
  const CurrencyTotals* main = MainCurrency(r.totals);
  r.currency = main == nullptr ? "USD" : main->currency;
  if (main != nullptr) {
    r.expected_total_minor = main->expected_total_minor;
    r.billed_total_minor = main->billed_total_minor;
    r.discrepancy_total_minor = main->discrepancy_total_minor;
  }
  r.findings_count = static_cast<int64_t>(r.findings.size());
  r.finished_at = clock_.Now();
  MTL_RETURN_IF_ERROR(Store(r));
  if (r.alert_raised) Alert(r);
  log::Info("reconciliation finished", {{"id", r.id},
                                        {"period", r.period},
                                        {"findings", r.findings_count},
                                        {"discrepancy_minor", r.discrepancy_total_minor}});
  return r;
}

Status ReconciliationService::Store(const Reconciliation& r) {
  int64_t now = ToUnixMillis(r.finished_at);
  return db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
    MTL_RETURN_IF_ERROR(
        tx.Execute(std::string("INSERT INTO reconciliations (") + kColumns +
                       ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
                   {r.id, r.period, r.status, r.actor, r.tolerance, r.currency, r.subscriptions_checked,
                    r.invoices_compared, r.findings_count, r.expected_total_minor, r.billed_total_minor,
                    r.discrepancy_total_minor, int64_t{r.alert_raised ? 1 : 0}, ToUnixMillis(r.created_at), now}));
    std::vector<storage::Value> findings;
    std::vector<audit::AuditEntry> audits;
    auto optional = [](const std::string& s) { return s.empty() ? storage::Value(nullptr) : storage::Value(s); };
    for (const Finding& f : r.findings) {
      for (storage::Value v : std::initializer_list<storage::Value>{
               r.id, f.customer_id, std::string(FindingKindName(f.kind)), f.line, f.expected_minor, f.billed_minor,
               f.difference_minor, f.currency, optional(f.invoice_id), optional(f.stripe_invoice_id),
               optional(f.billed_currency)}) {
        findings.push_back(std::move(v));
      }
      json::object data = {{"reconciliation_id", r.id},       {"period", r.period},
                           {"kind", FindingKindName(f.kind)}, {"line", f.line},
                           {"expected", f.expected_minor},    {"billed", f.billed_minor},
                           {"currency", f.currency}};
      if (!f.invoice_id.empty()) data["invoice_id"] = f.invoice_id;
      if (!f.stripe_invoice_id.empty()) data["stripe_invoice_id"] = f.stripe_invoice_id;
      if (!f.billed_currency.empty()) data["billed_currency"] = f.billed_currency;
      audits.push_back({r.actor, "reconciliation.finding", f.customer_id, std::move(data), {}});
    }
    MTL_RETURN_IF_ERROR(storage::InsertRows(
        tx,
        "INSERT INTO reconciliation_findings (reconciliation_id, customer_id, kind, line, expected_minor, "
        "billed_minor, difference_minor, currency, invoice_id, stripe_invoice_id, billed_currency)",
        11, findings));
    MTL_RETURN_IF_ERROR(audit::RecordMany(tx, clock_, audits));
    std::vector<storage::Value> totals;
    for (const CurrencyTotals& t : r.totals) {
      for (storage::Value v : std::initializer_list<storage::Value>{
               r.id, t.currency, t.subscriptions_checked, t.expected_total_minor, t.billed_total_minor,
               t.discrepancy_total_minor, t.alert_threshold_minor, int64_t{t.alert_raised ? 1 : 0}}) {
        totals.push_back(std::move(v));
      }
    }
    MTL_RETURN_IF_ERROR(storage::InsertRows(
        tx,
        "INSERT INTO reconciliation_totals (reconciliation_id, currency, subscriptions_checked, expected_total_minor, "
        "billed_total_minor, discrepancy_total_minor, alert_threshold_minor, alert_raised)",
        8, totals));
    if (r.alert_raised) {
      MTL_RETURN_IF_ERROR(outbox::Publish(tx, {"reconciliation.alert", "", AlertPayload(r), r.finished_at}));
    }
    return OkStatus();
  });
}

void ReconciliationService::Alert(const Reconciliation& r) {
  alerts_.WithLabels({}).Inc();
  for (const CurrencyTotals& t : r.totals) {
    if (!t.alert_raised) continue;
    log::Error("reconciliation discrepancy over the alert threshold", {{"id", r.id},
                                                                       {"period", r.period},
                                                                       {"discrepancy_minor", t.discrepancy_total_minor},
                                                                       {"threshold_minor", t.alert_threshold_minor},
                                                                       {"currency", t.currency}});
  }
  if (alert_sink_ == nullptr) return;
  json::object payload = AlertPayload(r);
  payload["type"] = "reconciliation.alert";
  alert_sink_->Send(payload);
}

Result<std::vector<Reconciliation>> ReconciliationService::List(int64_t limit, int64_t offset) {
  MTL_ASSIGN_OR_RETURN(auto rows,
                       db_.Execute(std::string("SELECT ") + kColumns +
                                       " FROM reconciliations ORDER BY created_at DESC, id DESC LIMIT $1 OFFSET $2",
                                   {limit, offset}));
  std::vector<Reconciliation> out;
  for (const auto& row : rows.rows) out.push_back(FromRow(row));
  return out;
}

Result<Reconciliation> ReconciliationService::Get(const std::string& id) {
  MTL_ASSIGN_OR_RETURN(auto rows,
                       db_.Execute(std::string("SELECT ") + kColumns + " FROM reconciliations WHERE id = $1", {id}));
  if (rows.rows.empty()) return NotFound("no reconciliation " + id);
  Reconciliation r = FromRow(rows.rows[0]);
  MTL_ASSIGN_OR_RETURN(
      auto findings,
      db_.Execute(
          "SELECT customer_id, kind, line, expected_minor, billed_minor, difference_minor, currency, invoice_id, "
          "stripe_invoice_id, billed_currency FROM reconciliation_findings WHERE reconciliation_id = $1 ORDER BY id",
          {id}));
  std::vector<std::string> customer_ids, invoice_ids;
  for (const auto& f : findings.rows) {
    customer_ids.push_back(f.OptText(0).value_or(""));
    if (auto invoice = f.OptText(7)) invoice_ids.push_back(*invoice);
  }
  MTL_ASSIGN_OR_RETURN(auto names, customers::CustomerStore::Names(db_, customer_ids));
  MTL_ASSIGN_OR_RETURN(auto numbers, invoicing::InvoiceStore::Numbers(db_, invoice_ids));
  for (const auto& f : findings.rows) {
    std::string customer_id = f.OptText(0).value_or("");
    auto name = names.find(customer_id);
    r.findings.push_back({customer_id, name == names.end() ? "" : name->second,
                          ParseFindingKind(f.Text(1)).value_or(FindingKind::kAmountMismatch), f.Text(2), f.Int(3),
                          f.Int(4), f.Int(5), f.Text(6), f.OptText(7).value_or(""), f.OptText(8).value_or(""),
                          f.OptText(9).value_or("")});
    if (auto number = numbers.find(r.findings.back().invoice_id); number != numbers.end()) {
      r.findings.back().invoice_number = number->second;
    }
  }
  auto totals = db_.Execute(
      "SELECT currency, subscriptions_checked, expected_total_minor, billed_total_minor, discrepancy_total_minor, "
      "alert_threshold_minor, alert_raised FROM reconciliation_totals WHERE reconciliation_id = $1 ORDER BY currency",
      {id});
  if (!totals.ok()) return std::move(totals).error();
  for (const auto& t : totals->rows) {
    r.totals.push_back({t.Text(0), t.Int(1), t.Int(2), t.Int(3), t.Int(4), t.Int(5), t.Int(6) != 0});
  }
  if (r.totals.empty() && r.subscriptions_checked + r.findings_count > 0) {
    // Stored before totals were kept per currency: the one it had.
    r.totals.push_back({r.currency, r.subscriptions_checked, r.expected_total_minor, r.billed_total_minor,
                        r.discrepancy_total_minor, options_.AlertThresholdMinor(r.currency), r.alert_raised});
  }
  return r;
}

}  // namespace meterline::reconciliation
