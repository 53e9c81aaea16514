#include "exports/export_stream.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace meterline::exports {

namespace {

// A column's type decides how it is written: text, integer, or a time kept as
// milliseconds and written as RFC 3339.
enum class Type { kText, kInt, kTime };

struct Column {
  const char* name;
  Type type;
};

struct Spec {
  const char* name;
  std::vector<Column> columns;
  // The next page: $1 the lower bound (from, or the last row's time once past it),
  // $2 to, then the key of the last row ($3…; its time first), then the page size.
  const char* page_sql;
  const char* count_sql;  // $1 from, $2 to
  // Where the key's values sit in a row (the time first), and the key before the first row.
  std::vector<size_t> key_columns;
  std::vector<storage::Value> first_key;
};

const Spec& SpecOf(Kind kind) {
  static const std::array<Spec, 4> kSpecs = {{
      {"invoices",
       {{"id", Type::kText},
        {"number", Type::kText},
        {"customer_id", Type::kText},
        {"subscription_id", Type::kText},
        {"status", Type::kText},
        {"currency", Type::kText},
        {"period_start", Type::kTime},
        {"period_end", Type::kTime},
        {"subtotal_minor", Type::kInt},
        {"tax_minor", Type::kInt},
        {"total_minor", Type::kInt},
        {"amount_due_minor", Type::kInt},
        {"amount_paid_minor", Type::kInt},
        {"due_at", Type::kTime},
        {"created_at", Type::kTime},
        {"finalized_at", Type::kTime},
        {"paid_at", Type::kTime},
        {"voided_at", Type::kTime}},
       "SELECT id, number, customer_id, subscription_id, status, currency, period_start, period_end, subtotal_minor, "
       "tax_minor, total_minor, amount_due_minor, amount_paid_minor, due_at, created_at, finalized_at, paid_at, "
       "voided_at FROM invoices WHERE created_at >= $1 AND created_at < $2 "
       "AND (created_at > $3 OR id > $4) ORDER BY created_at, id LIMIT $5",
       "SELECT COUNT(*) FROM invoices WHERE created_at >= $1 AND created_at < $2",
       {14, 0},
       {int64_t{-1}, std::string()}},
      {"invoice_lines",
       {{"invoice_id", Type::kText},
        {"invoice_number", Type::kText},
        {"customer_id", Type::kText},
        {"currency", Type::kText},
        {"invoice_created_at", Type::kTime},
        {"position", Type::kInt},
        {"kind", Type::kText},
        {"metric", Type::kText},
        {"description", Type::kText},
        {"quantity", Type::kInt},
        {"unit_price", Type::kText},
        {"amount_minor", Type::kInt}},
       "SELECT l.invoice_id, i.number, i.customer_id, i.currency, i.created_at, l.position, l.kind, l.metric, "
       "l.description, l.quantity, l.unit_price, l.amount_minor "
       "FROM invoices i JOIN invoice_line_items l ON l.invoice_id = i.id "
       "WHERE i.created_at >= $1 AND i.created_at < $2 "
       "AND (i.created_at > $3 OR i.id > $4 OR (i.id = $4 AND l.position > $5)) "
       "ORDER BY i.created_at, i.id, l.position LIMIT $6",
       "SELECT COUNT(*) FROM invoices i JOIN invoice_line_items l ON l.invoice_id = i.id "
       "WHERE i.created_at >= $1 AND i.created_at < $2",
       {4, 0, 5},
       {int64_t{-1}, std::string(), int64_t{-1}}},
      {"usage_rollups",
       {{"customer_id", Type::kText},
        {"metric", Type::kText},
        {"hour_start", Type::kTime},
        {"total", Type::kInt},
        {"events", Type::kInt},
        {"peak", Type::kInt},
        {"latest", Type::kInt}},
       // By hour, then customer and metric: one range of usage_rollups_hour_idx.
       "SELECT customer_id, metric, hour_start, total, events, peak, latest FROM usage_rollups_hourly "
       "WHERE hour_start >= $1 AND hour_start < $2 "
       "AND (hour_start > $3 OR customer_id > $4 OR (customer_id = $4 AND metric > $5)) "
       "ORDER BY hour_start, customer_id, metric LIMIT $6",
       "SELECT COUNT(*) FROM usage_rollups_hourly WHERE hour_start >= $1 AND hour_start < $2",
       {2, 0, 1},
       {int64_t{-1}, std::string(), std::string()}},
      {"audit",
       {{"id", Type::kInt},
        {"created_at", Type::kTime},
        {"actor", Type::kText},
        {"action", Type::kText},
        {"customer_id", Type::kText},
        {"ip", Type::kText},
        {"user_agent", Type::kText},
        {"data", Type::kText}},
       "SELECT id, created_at, actor, action, customer_id, ip, user_agent, data FROM billing_audit "
       "WHERE created_at >= $1 AND created_at < $2 AND (created_at > $3 OR id > $4) "
       "ORDER BY created_at, id LIMIT $5",
       "SELECT COUNT(*) FROM billing_audit WHERE created_at >= $1 AND created_at < $2",
       {1, 0},
       {int64_t{-1}, int64_t{-1}}},
  }};
  return kSpecs[static_cast<size_t>(kind)];
}

storage::Value KeyValue(const storage::Row& row, size_t col, const storage::Value& like) {
  if (std::holds_alternative<int64_t>(like)) return row.Int(col);
  return row.Text(col);
}

// Orders two rows by the spec's key as page_sql's ORDER BY does: integers by
// value, text byte by byte (SQLite's BINARY collation is memcmp, as is
// std::string::compare). Negative, zero or positive.
int CompareKeys(const Spec& spec, const storage::Row& a, const storage::Row& b) {
  for (size_t i = 0; i < spec.key_columns.size(); ++i) {
    size_t col = spec.key_columns[i];
    int c = 0;
    if (std::holds_alternative<int64_t>(spec.first_key[i])) {
      int64_t x = a.Int(col), y = b.Int(col);
      c = (x > y) - (x < y);
    } else {
      c = a.Text(col).compare(b.Text(col));
    }
    if (c != 0) return c;
  }
  return 0;
}

}  // namespace

std::optional<Kind> ParseKind(std::string_view text) {
  for (Kind kind : {Kind::kInvoices, Kind::kInvoiceLines, Kind::kUsageRollups, Kind::kAudit}) {
    if (text == SpecOf(kind).name) return kind;
  }
  return std::nullopt;
}

const char* KindName(Kind kind) { return SpecOf(kind).name; }

std::optional<Format> ParseFormat(std::string_view text) {
  if (text == "csv") return Format::kCsv;
  if (text == "jsonl") return Format::kJsonLines;
  return std::nullopt;
}

const char* FormatName(Format format) { return format == Format::kCsv ? "csv" : "jsonl"; }

const char* ContentType(Format format) {
  return format == Format::kCsv ? "text/csv; charset=utf-8" : "application/x-ndjson";
}

void AppendCsvField(std::string_view value, std::string& out) {
  if (value.find_first_of(",\"\r\n") == std::string_view::npos) {
    out.append(value);
    return;
  }
  out.push_back('"');
  for (char c : value) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

void AppendJsonString(std::string_view value, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (char c : value) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (u < 0x20) {
      out.append("\\u00");
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xF]);
    } else {
      out.push_back(c);  // UTF-8 passes through as stored
    }
  }
  out.push_back('"');
}

ExportStream::ExportStream(storage::Database& db, Kind kind, Format format, Range range,
                           std::vector<storage::Database*> usage_dbs, int64_t page_rows)
    : kind_(kind),
      sources_(kind == Kind::kUsageRollups && !usage_dbs.empty() ? std::move(usage_dbs)
                                                                 : std::vector<storage::Database*>{&db}),
      format_(format),
      range_(range),
      page_rows_(page_rows),
      last_key_(SpecOf(kind).first_key) {}

Result<std::vector<storage::Row>> ExportStream::NextPage() {
  const Spec& spec = SpecOf(kind_);
  // One lower bound on the time, the larger of `from` and the last key's: with
  // two, SQLite's planner starts the index range at either, and starting at
  // `from` on every page would read the export's rows again page after page.
  int64_t lower = std::max(ToUnixMillis(range_.from), std::get<int64_t>(last_key_.front()));
  std::vector<storage::Value> params = {lower, ToUnixMillis(range_.to)};
  params.insert(params.end(), last_key_.begin(), last_key_.end());
  params.emplace_back(page_rows_);
  if (sources_.size() == 1) {
    MTL_ASSIGN_OR_RETURN(auto page, sources_.front()->Execute(spec.page_sql, params));
    return std::move(page.rows);
  }
  // Several databases: each one's next page (in key order, after the same
  // key), merged; the first page_rows of the merge are the next page_rows of
  // all of them, since no database holds more of those than its own page.
  std::vector<storage::QueryResult> pages;
  pages.reserve(sources_.size());
  for (storage::Database* source : sources_) {
    MTL_ASSIGN_OR_RETURN(auto page, source->Execute(spec.page_sql, params));
    pages.push_back(std::move(page));
  }
  std::vector<size_t> next(pages.size(), 0);  // each page's first row not yet taken
  std::vector<storage::Row> merged;
  while (static_cast<int64_t>(merged.size()) < page_rows_) {
    size_t least = pages.size();
    for (size_t i = 0; i < pages.size(); ++i) {
      if (next[i] == pages[i].rows.size()) continue;
      if (least == pages.size() || CompareKeys(spec, pages[i].rows[next[i]], pages[least].rows[next[least]]) < 0) {
        least = i;
      }
    }
    if (least == pages.size()) break;  // every page taken
    merged.push_back(std::move(pages[least].rows[next[least]++]));
  }
  return merged;
}

Result<bool> ExportStream::Next(std::string& out) {
  const Spec& spec = SpecOf(kind_);
  if (!header_written_ && format_ == Format::kCsv) {
    for (size_t i = 0; i < spec.columns.size(); ++i) {
      if (i > 0) out.push_back(',');
      out.append(spec.columns[i].name);
    }
    out.append("\r\n");
  }
  header_written_ = true;
  if (done_) return false;
  MTL_ASSIGN_OR_RETURN(auto rows, NextPage());
  for (const auto& row : rows) Write(row, out);
  rows_written_ += static_cast<int64_t>(rows.size());
  if (static_cast<int64_t>(rows.size()) < page_rows_) {
    done_ = true;
  } else {
    const storage::Row& last = rows.back();
    for (size_t i = 0; i < spec.key_columns.size(); ++i) {
      last_key_[i] = KeyValue(last, spec.key_columns[i], spec.first_key[i]);
    }
  }
  return !out.empty() || !done_;
}

Result<int64_t> ExportStream::CountRows() {
  int64_t total = 0;
  for (storage::Database* source : sources_) {
    MTL_ASSIGN_OR_RETURN(
        auto rows, source->Execute(SpecOf(kind_).count_sql, {ToUnixMillis(range_.from), ToUnixMillis(range_.to)}));
    total += rows.rows.front().Int(0);
  }
  return total;
}

void ExportStream::Write(const storage::Row& row, std::string& out) const {
  const auto& columns = SpecOf(kind_).columns;
  if (format_ == Format::kJsonLines) out.push_back('{');
  for (size_t i = 0; i < columns.size(); ++i) {
    if (format_ == Format::kJsonLines) {
      if (i > 0) out.push_back(',');
      AppendJsonString(columns[i].name, out);
      out.push_back(':');
      if (row.IsNull(i)) {
        out.append("null");
      } else if (columns[i].type == Type::kInt) {
        out.append(row.Text(i));
      } else if (columns[i].type == Type::kTime) {
        AppendJsonString(FormatIso8601(FromUnixMillis(row.Int(i))), out);
      } else {
        AppendJsonString(row.Text(i), out);
      }
    } else {
      if (i > 0) out.push_back(',');
      if (row.IsNull(i)) continue;
      if (columns[i].type == Type::kTime) {
        out.append(FormatIso8601(FromUnixMillis(row.Int(i))));
      } else {
        AppendCsvField(row.Text(i), out);
      }
    }
  }
  out.append(format_ == Format::kJsonLines ? "}\n" : "\r\n");
}

}  // namespace meterline::exports
