#include "invoicing/invoice_store.hpp"

#include <chrono>
#include <cstdio>

#include "core/ids.hpp"
#include "outbox/events.hpp"
#include "storage/bulk.hpp"

namespace meterline::invoicing {

namespace {

using storage::Value;

constexpr const char* kInvoiceColumns =
    "id, number, customer_id, subscription_id, period_start, period_end, status, currency, subtotal_minor, "
    "tax_minor, total_minor, amount_due_minor, amount_paid_minor, amount_refunded_minor, tax_rate, due_at, "
    "stripe_invoice_id, failed_payment_count, created_at, finalized_at, paid_at, voided_at, updated_at, "
    "pre_payment_credit_minor, post_payment_credit_minor, credits_applied_minor, hosted_invoice_url";

// What is still owed once `paid` (an SQL expression) is paid: the total less
// prepaid credits applied and credit notes issued before payment, never below 0.
std::string DueAfter(const std::string& paid) {
  std::string due = "total_minor - credits_applied_minor - pre_payment_credit_minor - " + paid;
  return "CASE WHEN " + due + " > 0 THEN " + due + " ELSE 0 END";
}

constexpr const char* kInsertInvoice =
    "INSERT INTO invoices (id, number, customer_id, subscription_id, period_start, period_end, status, currency, "
    "subtotal_minor, tax_minor, total_minor, amount_due_minor, amount_paid_minor, tax_rate, due_at, "
    "stripe_invoice_id, stripe_status_at, created_at, finalized_at, paid_at, voided_at, updated_at)";
constexpr size_t kInvoiceParams = 22;

constexpr const char* kInsertLine =
    "INSERT INTO invoice_line_items (id, invoice_id, position, kind, metric, description, quantity, unit_price, "
    "amount_minor)";
constexpr size_t kLineParams = 9;

Value Text(const std::string& s) { return s.empty() ? Value(nullptr) : Value(s); }
Value Millis(const std::optional<TimePoint>& t) { return t ? Value(ToUnixMillis(*t)) : Value(nullptr); }
Value OptInt(const std::optional<int64_t>& v) { return v ? Value(*v) : Value(nullptr); }

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
  inv.pre_payment_credit_minor = row.Int(23);
  inv.post_payment_credit_minor = row.Int(24);
  inv.credits_applied_minor = row.Int(25);
  inv.hosted_invoice_url = row.OptText(26).value_or("");
  return inv;
}

void AppendInvoice(std::vector<Value>& out, const NewInvoice& i) {
  int64_t created = ToUnixMillis(i.created_at);
  for (Value v : std::initializer_list<Value>{i.id,
                                              Text(i.number),
                                              i.customer_id,
                                              Text(i.subscription_id),
                                              ToUnixMillis(i.period.start),
                                              ToUnixMillis(i.period.end),
                                              std::string(StatusName(i.status)),
                                              i.currency,
                                              i.subtotal_minor,
                                              i.tax_minor,
                                              i.total_minor,
                                              i.amount_due_minor,
                                              i.amount_paid_minor,
                                              Text(i.tax_rate),
                                              Millis(i.due_at),
                                              Text(i.stripe_invoice_id),
                                              OptInt(i.stripe_event_created),
                                              created,
                                              Millis(i.finalized_at),
                                              Millis(i.paid_at),
                                              Millis(i.voided_at),
                                              ToUnixMillis(i.updated_at.value_or(i.created_at))}) {
    out.push_back(std::move(v));
  }
}

void AppendLines(std::vector<Value>& out, const NewInvoice& i) {
  for (size_t n = 0; n < i.lines.size(); ++n) {
    const LineItem& line = i.lines[n];
    for (Value v :
         std::initializer_list<Value>{NewId("il"), i.id, static_cast<int64_t>(n + 1), line.kind, Text(line.metric),
                                      line.description, line.quantity, line.unit_price, line.amount_minor}) {
      out.push_back(std::move(v));
    }
  }
}

InvoiceRef RefFromRow(const storage::Row& row) {
  return InvoiceRef{row.Text(0), row.Text(1), ParseStatus(row.Text(2)).value_or(InvoiceStatus::kDraft),
                    row.Int(3),  row.Int(4),  row.OptText(5).value_or("")};
}

Status OneRowOrConflict(const Result<storage::QueryResult>& updated, const std::string& id) {
  if (!updated.ok()) return updated.error();
  if (updated->affected_rows != 1) return Conflict("invoice " + id + " changed meanwhile; retry");
  return OkStatus();
}

}  // namespace

Result<Invoice> InvoiceStore::Load(storage::Executor& ex, const std::string& id) {
  MTL_ASSIGN_OR_RETURN(auto rows,
                       ex.Execute(std::string("SELECT ") + kInvoiceColumns + " FROM invoices WHERE id = $1", {id}));
  if (rows.rows.empty()) return NotFound("no invoice " + id);
  Invoice inv = FromRow(rows.rows[0]);
  MTL_ASSIGN_OR_RETURN(
      auto lines,
      ex.Execute("SELECT kind, metric, description, quantity, unit_price, amount_minor FROM invoice_line_items "
                 "WHERE invoice_id = $1 ORDER BY position",
                 {id}));
  for (const auto& l : lines.rows) {
    inv.lines.push_back({l.Text(0), l.OptText(1).value_or(""), l.Text(2), l.Int(3), l.Text(4), l.Int(5)});
  }
  return inv;
}

Result<std::optional<InvoiceRef>> InvoiceStore::FindByStripeId(storage::Executor& ex,
                                                               const std::string& stripe_invoice_id) {
  MTL_ASSIGN_OR_RETURN(
      auto found,
      ex.Execute("SELECT id, customer_id, status, amount_paid_minor, total_minor, stripe_invoice_id FROM invoices "
                 "WHERE stripe_invoice_id = $1",
                 {stripe_invoice_id}));
  if (found.rows.empty()) return std::optional<InvoiceRef>();
  return std::optional<InvoiceRef>(RefFromRow(found.rows[0]));
}

Result<std::optional<std::string>> InvoiceStore::FindForPeriod(storage::Executor& ex,
                                                               const std::string& subscription_id,
                                                               TimePoint period_start) {
  MTL_ASSIGN_OR_RETURN(auto found,
                       ex.Execute("SELECT id FROM invoices WHERE subscription_id = $1 AND period_start = $2",
                                  {subscription_id, ToUnixMillis(period_start)}));
  if (found.rows.empty()) return std::optional<std::string>();
  return std::optional<std::string>(found.rows[0].Text(0));
}

Result<std::vector<std::pair<std::string, int64_t>>> InvoiceStore::PeriodsOf(
    storage::Executor& ex, const std::vector<std::string>& subscription_ids) {
  std::vector<std::pair<std::string, int64_t>> out;
  MTL_RETURN_IF_ERROR(
      storage::SelectIn(ex, "SELECT subscription_id, period_start FROM invoices WHERE subscription_id IN_LIST", {},
                        subscription_ids, [&](const storage::Row& row) { out.emplace_back(row.Text(0), row.Int(1)); }));
  return out;
}

Result<std::vector<Period>> InvoiceStore::InvoicedPeriods(storage::Executor& ex, const std::string& customer_id,
                                                          TimePoint after) {
  MTL_ASSIGN_OR_RETURN(auto rows, ex.Execute("SELECT period_start, period_end FROM invoices WHERE customer_id = $1 AND "
                                             "status <> 'draft' AND period_end > $2",
                                             {customer_id, ToUnixMillis(after)}));
  std::vector<Period> out;
  for (const auto& row : rows.rows) out.push_back({FromUnixMillis(row.Int(0)), FromUnixMillis(row.Int(1))});
  return out;
}

Result<std::vector<InvoiceStore::PeriodInvoice>> InvoiceStore::ForPeriodsStartingIn(storage::Executor& ex,
                                                                                    TimePoint from, TimePoint to,
                                                                                    TimePoint created_before) {
  MTL_ASSIGN_OR_RETURN(
      auto rows,
      ex.Execute("SELECT id, subscription_id, period_start, stripe_invoice_id, status, "
                 "pre_payment_credit_minor + post_payment_credit_minor, credits_applied_minor FROM invoices "
                 "WHERE period_start >= $1 AND period_start < $2 AND subscription_id IS NOT NULL AND created_at < $3",
                 {ToUnixMillis(from), ToUnixMillis(to), ToUnixMillis(created_before)}));
  std::vector<PeriodInvoice> out;
  out.reserve(rows.rows.size());
  for (const auto& row : rows.rows) {
    out.push_back({row.Text(0), row.Text(1), FromUnixMillis(row.Int(2)), row.OptText(3).value_or(""),
                   ParseStatus(row.Text(4)).value_or(InvoiceStatus::kDraft), row.Int(5), row.Int(6)});
  }
  return out;
}

Result<InvoicePage> InvoiceStore::List(storage::Executor& ex, const InvoiceFilter& filter, const PageRequest& page) {
  // One statement for every filter combination: a NULL parameter disables its condition.
  std::string where =
      " WHERE (CAST($1 AS TEXT) IS NULL OR customer_id = $1) AND (CAST($2 AS TEXT) IS NULL OR status = $2) "
      "AND (CAST($3 AS BIGINT) IS NULL OR created_at >= $3) AND (CAST($4 AS BIGINT) IS NULL OR created_at < $4)";
  std::vector<Value> params = {Text(filter.customer_id),
                               filter.status ? Value(std::string(StatusName(*filter.status))) : Value(nullptr),
                               Millis(filter.from), Millis(filter.to)};
  MTL_ASSIGN_OR_RETURN(auto count, ex.Execute("SELECT COUNT(*) FROM invoices" + where, params));

  // Number order: drafts first (newest first), then numbers from the highest
  // down. A cursor continues after (or before) the invoice it names.
  const bool reversed = !page.before.empty();
  std::string seek;
  if (page.ByCursor()) {
    const std::string& cursor = reversed ? page.before : page.after;
    MTL_ASSIGN_OR_RETURN(auto found, ex.Execute("SELECT number, created_at FROM invoices WHERE id = $1 AND "
                                                "(CAST($2 AS TEXT) IS NULL OR customer_id = $2)",
                                                {cursor, Text(filter.customer_id)}));
    if (found.rows.empty()) {
      return InvalidParam(reversed ? "ending_before" : "starting_after", "no invoice " + cursor + " in this list");
    }
    std::optional<std::string> number = found.rows[0].OptText(0);
    // Only the parameters the condition uses (PostgreSQL must type each one).
    if (!number) {
      params.emplace_back(found.rows[0].Int(1));  // $5: the cursor's created_at
      params.emplace_back(cursor);                // $6
      const char* later_draft = reversed ? "(created_at > $5 OR (created_at = $5 AND id > $6))"
                                         : "(created_at < $5 OR (created_at = $5 AND id < $6))";
      seek = reversed ? std::string(" AND number IS NULL AND ") + later_draft
                      : std::string(" AND (number IS NOT NULL OR ") + later_draft + ")";
    } else {
      params.emplace_back(*number);  // $5
      seek = reversed ? " AND (number IS NULL OR number > $5)" : " AND number IS NOT NULL AND number < $5";
    }
  }
  const char* order = reversed ? " ORDER BY (number IS NULL) ASC, number ASC, created_at ASC, id ASC"
                               : " ORDER BY (number IS NULL) DESC, number DESC, created_at DESC, id DESC";
  std::string limit = " LIMIT " + std::to_string(page.limit + 1);
  if (!page.ByCursor()) limit += " OFFSET " + std::to_string(page.offset);
  MTL_ASSIGN_OR_RETURN(
      auto rows,
      ex.Execute(std::string("SELECT ") + kInvoiceColumns + " FROM invoices" + where + seek + order + limit, params));
  std::vector<Invoice> invoices;
  invoices.reserve(rows.rows.size());
  for (const auto& row : rows.rows) invoices.push_back(FromRow(row));
  InvoicePage out = TrimPage(std::move(invoices), page, reversed);
  out.total = count.rows[0].Int(0);
  return out;
}

Result<std::vector<std::string>> InvoiceStore::Existing(storage::Executor& ex, const std::vector<std::string>& ids) {
  std::vector<std::string> out;
  MTL_RETURN_IF_ERROR(storage::SelectIn(ex, "SELECT id FROM invoices WHERE id IN_LIST", {}, ids,
                                        [&](const storage::Row& row) { out.push_back(row.Text(0)); }));
  return out;
}

Result<std::map<std::string, std::string>> InvoiceStore::Numbers(storage::Executor& ex,
                                                                 const std::vector<std::string>& ids) {
  std::map<std::string, std::string> out;
  MTL_RETURN_IF_ERROR(storage::SelectIn(ex, "SELECT id, number FROM invoices WHERE number IS NOT NULL AND id IN_LIST",
                                        {}, ids, [&](const storage::Row& row) { out[row.Text(0)] = row.Text(1); }));
  return out;
}

Result<bool> InvoiceStore::Insert(storage::Executor& tx, const NewInvoice& invoice) {
  std::vector<Value> values;
  AppendInvoice(values, invoice);
  std::string placeholders;
  for (size_t i = 1; i <= kInvoiceParams; ++i) placeholders += (i > 1 ? ", $" : "$") + std::to_string(i);
  MTL_ASSIGN_OR_RETURN(auto inserted, tx.Execute(std::string(kInsertInvoice) + " VALUES (" + placeholders +
                                                     ") ON CONFLICT (subscription_id, period_start) DO NOTHING",
                                                 values));
  if (inserted.affected_rows == 0) return false;
  std::vector<Value> lines;
  AppendLines(lines, invoice);
  MTL_RETURN_IF_ERROR(storage::InsertRows(tx, kInsertLine, kLineParams, lines));
  return true;
}

Result<int64_t> InvoiceStore::InsertMany(storage::Executor& tx, const std::vector<NewInvoice>& invoices) {
  std::vector<Value> rows, lines;
  for (const NewInvoice& invoice : invoices) {
    AppendInvoice(rows, invoice);
    AppendLines(lines, invoice);
  }
  MTL_ASSIGN_OR_RETURN(auto inserted, storage::InsertRows(tx, kInsertInvoice, kInvoiceParams, rows,
                                                          "ON CONFLICT (subscription_id, period_start) DO NOTHING"));
  if (inserted != static_cast<int64_t>(invoices.size())) return inserted;  // the caller rolls back
  MTL_RETURN_IF_ERROR(storage::InsertRows(tx, kInsertLine, kLineParams, lines));
  return inserted;
}

int UtcYear(TimePoint t) {
  std::chrono::year_month_day ymd{std::chrono::floor<std::chrono::days>(t)};
  return static_cast<int>(ymd.year());
}

std::string FormatNumber(const std::string& prefix, int year, int64_t n) {
  char number[64];
  std::snprintf(number, sizeof number, "%s-%04d-%06lld", prefix.c_str(), year, static_cast<long long>(n));
  return number;
}

Result<std::string> InvoiceStore::NextNumber(storage::Executor& tx, const std::string& prefix, TimePoint at) {
  int year = UtcYear(at);
  MTL_ASSIGN_OR_RETURN(int64_t n, ReserveNumbers(tx, prefix, year, 1));
  return FormatNumber(prefix, year, n);
}

Result<int64_t> InvoiceStore::ReserveNumbers(storage::Executor& tx, const std::string& prefix, int year,
                                             int64_t count) {
  MTL_ASSIGN_OR_RETURN(
      auto reserved,
      tx.Execute(
          "INSERT INTO invoice_number_sequences (issuer, year, next_value) VALUES ($1, $2, CAST($3 AS BIGINT) + 1) "
          "ON CONFLICT (issuer, year) DO UPDATE SET next_value = invoice_number_sequences.next_value + "
          "CAST($3 AS BIGINT) RETURNING next_value - CAST($3 AS BIGINT)",
          {prefix, int64_t{year}, count}));
  return reserved.rows.at(0).Int(0);
}

Status InvoiceStore::Finalize(storage::Executor& tx, const std::string& id, const std::string& number, TimePoint at,
                              TimePoint due_at) {
  MTL_ASSIGN_OR_RETURN(
      auto finalized,
      // Nothing to pay (a free trial's invoice): open, then paid at once, as Stripe does.
      tx.Execute("UPDATE invoices SET status = CASE WHEN amount_due_minor = 0 THEN 'paid' ELSE 'open' END, "
                 "paid_at = CASE WHEN amount_due_minor = 0 THEN $3 ELSE paid_at END, "
                 "number = $2, finalized_at = $3, due_at = $4, updated_at = $3 "
                 "WHERE id = $1 AND status = 'draft'",
                 {id, number, ToUnixMillis(at), ToUnixMillis(due_at)}));
  if (finalized.affected_rows != 1) {
    return Error(ErrorCode::kConflict, "illegal_transition", "invoice " + id + " is not a draft");
  }
  MTL_RETURN_IF_ERROR(PublishEvent(tx, id, "invoice.finalized", at));
  return PublishIfJustPaid(tx, id, at);
}

Status InvoiceStore::ApplyTransition(storage::Executor& tx, const Transition& t) {
  if (!CanTransition(t.from, t.to)) {
    return Error(ErrorCode::kConflict, "illegal_transition",
                 "invoice " + t.invoice_id + " cannot go from " + StatusName(t.from) + " to " + StatusName(t.to));
  }
  MTL_RETURN_IF_ERROR(WriteTransition(tx, t));
  if (t.to == InvoiceStatus::kPaid) return PublishEvent(tx, t.invoice_id, "invoice.paid", t.at);
  return OkStatus();
}

Status InvoiceStore::WriteTransition(storage::Executor& tx, const Transition& t) {
  std::string to = StatusName(t.to);
  std::string from = StatusName(t.from);
  int64_t at = ToUnixMillis(t.at);
  if (t.source == TransitionSource::kManual) {
    // Paid: what was due is paid (credits and credit notes covered the rest).
    return OneRowOrConflict(
        tx.Execute("UPDATE invoices SET status = $2, updated_at = $3, "
                   "paid_at = CASE WHEN $2 = 'paid' THEN $3 ELSE paid_at END, "
                   "voided_at = CASE WHEN $2 = 'void' THEN $3 ELSE voided_at END, "
                   "amount_paid_minor = CASE WHEN $2 = 'paid' THEN amount_paid_minor + amount_due_minor "
                   "ELSE amount_paid_minor END, "
                   "amount_due_minor = CASE WHEN $2 IN ('paid', 'void') THEN 0 ELSE amount_due_minor END "
                   "WHERE id = $1 AND status = $4",
                   {t.invoice_id, to, at, from}),
        t.invoice_id);
  }
  return OneRowOrConflict(
      tx.Execute("UPDATE invoices SET status = $2, amount_paid_minor = $3, "
                 "amount_due_minor = CASE WHEN $2 = 'void' THEN 0 ELSE " +
                     DueAfter("$3") +
                     " END, "
                     "number = COALESCE(number, $4), "
                     "finalized_at = COALESCE(finalized_at, CAST($5 AS BIGINT)), "
                     "paid_at = CASE WHEN $2 = 'paid' THEN COALESCE(CAST($6 AS BIGINT), $8) ELSE paid_at END, "
                     "voided_at = CASE WHEN $2 = 'void' THEN COALESCE(CAST($7 AS BIGINT), $8) ELSE voided_at END, "
                     "stripe_status_at = COALESCE(CAST($9 AS BIGINT), stripe_status_at), updated_at = $8 "
                     "WHERE id = $1 AND status = $10",
                 {t.invoice_id, to, t.stripe_amount_paid, Text(t.stripe_number), Millis(t.stripe_finalized_at),
                  Millis(t.stripe_paid_at), Millis(t.stripe_voided_at), at, OptInt(t.stripe_event_created), from}),
      t.invoice_id);
}

Status InvoiceStore::ApplyCreditNote(storage::Executor& tx, const std::string& id, InvoiceStatus from,
                                     int64_t pre_payment, int64_t post_payment, TimePoint at) {
  std::string status = StatusName(from);
  MTL_RETURN_IF_ERROR(OneRowOrConflict(
      tx.Execute("UPDATE invoices SET pre_payment_credit_minor = pre_payment_credit_minor + $2, "
                 "post_payment_credit_minor = post_payment_credit_minor + $3, "
                 "amount_due_minor = amount_due_minor - $2, "
                 "status = CASE WHEN status IN ('open', 'uncollectible') AND amount_due_minor = $2 THEN 'paid' "
                 "ELSE status END, "
                 "paid_at = CASE WHEN status IN ('open', 'uncollectible') AND amount_due_minor = $2 THEN $4 "
                 "ELSE paid_at END, updated_at = $4 "
                 "WHERE id = $1 AND status = $5 AND amount_due_minor >= $2",
                 {id, pre_payment, post_payment, ToUnixMillis(at), status}),
      id));
  return PublishIfJustPaid(tx, id, at);
}

Status InvoiceStore::ApplyCredits(storage::Executor& tx, const std::string& id, int64_t amount, TimePoint at) {
  MTL_RETURN_IF_ERROR(
      OneRowOrConflict(tx.Execute("UPDATE invoices SET credits_applied_minor = credits_applied_minor + $2, "
                                  "amount_due_minor = amount_due_minor - $2, "
                                  "status = CASE WHEN amount_due_minor = $2 THEN 'paid' ELSE status END, "
                                  "paid_at = CASE WHEN amount_due_minor = $2 THEN $3 ELSE paid_at END, updated_at = $3 "
                                  "WHERE id = $1 AND status = 'open' AND amount_due_minor >= $2",
                                  {id, amount, ToUnixMillis(at)}),
                       id));
  return PublishIfJustPaid(tx, id, at);
}

Status InvoiceStore::PublishEvent(storage::Executor& tx, const std::string& id, const char* type, TimePoint at) {
  MTL_ASSIGN_OR_RETURN(auto rows, tx.Execute("SELECT customer_id, number, currency, total_minor, amount_due_minor, "
                                             "amount_paid_minor, status, period_start, period_end FROM invoices "
                                             "WHERE id = $1",
                                             {id}));
  if (rows.rows.empty()) return NotFound("no invoice " + id);
  const storage::Row& r = rows.rows[0];
  boost::json::object payload{{"invoice_id", id},
                              {"number", r.OptText(1).value_or("")},
                              {"currency", r.Text(2)},
                              {"total_minor", r.Int(3)},
                              {"amount_due_minor", r.Int(4)},
                              {"amount_paid_minor", r.Int(5)},
                              {"status", r.Text(6)},
                              {"period_start", FormatIso8601(FromUnixMillis(r.Int(7)))},
                              {"period_end", FormatIso8601(FromUnixMillis(r.Int(8)))}};
  return outbox::Publish(tx, {type, r.Text(0), std::move(payload), at});
}

Status InvoiceStore::PublishIfJustPaid(storage::Executor& tx, const std::string& id, TimePoint at) {
  MTL_ASSIGN_OR_RETURN(auto rows, tx.Execute("SELECT status, paid_at FROM invoices WHERE id = $1", {id}));
  if (rows.rows.empty() || rows.rows[0].Text(0) != "paid" || rows.rows[0].OptInt(1) != ToUnixMillis(at)) {
    return OkStatus();
  }
  return PublishEvent(tx, id, "invoice.paid", at);
}

Status InvoiceStore::RecordPartialPayment(storage::Executor& tx, const std::string& id, int64_t amount_paid,
                                          TimePoint at) {
  MTL_RETURN_IF_ERROR(tx.Execute("UPDATE invoices SET amount_paid_minor = $2, amount_due_minor = " + DueAfter("$2") +
                                     ", updated_at = $3 WHERE id = $1 AND amount_paid_minor < $2",
                                 {id, amount_paid, ToUnixMillis(at)}));
  return OkStatus();
}

Status InvoiceStore::RecordRefund(storage::Executor& tx, const std::string& id, int64_t amount_refunded, TimePoint at) {
  MTL_RETURN_IF_ERROR(tx.Execute(
      "UPDATE invoices SET amount_refunded_minor = $2, updated_at = $3 WHERE id = $1 AND amount_refunded_minor < $2",
      {id, amount_refunded, ToUnixMillis(at)}));
  return OkStatus();
}

Status InvoiceStore::CountFailedPayment(storage::Executor& tx, const std::string& id, TimePoint at) {
  MTL_RETURN_IF_ERROR(
      tx.Execute("UPDATE invoices SET failed_payment_count = failed_payment_count + 1, updated_at = $2 WHERE id = $1",
                 {id, ToUnixMillis(at)}));
  return OkStatus();
}

Status InvoiceStore::SetHostedUrl(storage::Executor& tx, const std::string& id, const std::string& url) {
  if (url.empty()) return OkStatus();
  MTL_RETURN_IF_ERROR(
      tx.Execute("UPDATE invoices SET hosted_invoice_url = $2 WHERE id = $1 AND "
                 "COALESCE(hosted_invoice_url, '') <> $2",
                 {id, url}));
  return OkStatus();
}

Result<bool> InvoiceStore::LinkStripe(storage::Executor& tx, const std::string& id,
                                      const std::string& stripe_invoice_id, const std::string& customer_id,
                                      TimePoint at) {
  MTL_ASSIGN_OR_RETURN(auto linked, tx.Execute("UPDATE invoices SET stripe_invoice_id = $2, updated_at = $3 "
                                               "WHERE id = $1 AND stripe_invoice_id IS NULL AND customer_id = $4",
                                               {id, stripe_invoice_id, ToUnixMillis(at), customer_id}));
  return linked.affected_rows == 1;
}

}  // namespace meterline::invoicing
