// Exports (docs/analytics.md "Exports"): invoices, invoice lines, usage
// rollups and audit rows of a date range as CSV (RFC 4180) or JSON Lines,
// produced a page at a time so that memory stays constant however many rows
// the range holds. Pages follow a key (keyset paging), so each page is one
// index range read, never an OFFSET. Usage rollups sharded across several
// SQLite files are read a page from each file and merged into the same order.
//
// Columns: times are RFC 3339 UTC, money is integer minor units next to its
// currency, an absent value is an empty CSV field or JSON null. Rows written
// after the export started may or may not be included (each page is its own read).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "storage/database.hpp"

namespace meterline::exports {

enum class Kind { kInvoices, kInvoiceLines, kUsageRollups, kAudit };
enum class Format { kCsv, kJsonLines };

// "invoices" | "invoice_lines" | "usage_rollups" | "audit"
std::optional<Kind> ParseKind(std::string_view text);
const char* KindName(Kind kind);
// "csv" | "jsonl"
std::optional<Format> ParseFormat(std::string_view text);
const char* FormatName(Format format);
const char* ContentType(Format format);

// Which rows: invoices and their lines by creation time, rollups by hour, audit rows by time.
struct Range {
  TimePoint from;  // inclusive
  TimePoint to;    // exclusive
};

class ExportStream {
 public:
  // `db` and `usage_dbs` must outlive the stream. page_rows: rows read per page.
  // usage_dbs: the databases holding usage rollups (App::usage_databases).
  // The usage_rollups export reads all of them, a page from each, merged by its
  // key (hour, customer, metric) into one page, so memory stays bounded by
  // usage_dbs.size() × page_rows; empty means `db`. Other kinds read `db` only.
  ExportStream(storage::Database& db, Kind kind, Format format, Range range, std::vector<storage::Database*> usage_dbs,
               int64_t page_rows = 5000);

  // Appends the next piece to `out` (the CSV header comes with the first);
  // false once the export is complete (nothing appended then).
  Result<bool> Next(std::string& out);

  // How many rows the range holds (a count query on each database read: for progress).
  Result<int64_t> CountRows();

  int64_t rows_written() const { return rows_written_; }

 private:
  Result<std::vector<storage::Row>> NextPage();
  void Write(const storage::Row& row, std::string& out) const;

  Kind kind_;
  std::vector<storage::Database*> sources_;  // what the pages are read from: `db`, or the usage databases
  Format format_;
  Range range_;
  int64_t page_rows_;
  bool header_written_ = false;
  bool done_ = false;
  std::vector<storage::Value> last_key_;  // empty before the first page
  int64_t rows_written_ = 0;
};

// RFC 4180: a field with a comma, quote, CR or LF is quoted, quotes doubled.
void AppendCsvField(std::string_view value, std::string& out);
// A JSON string literal, quotes included.
void AppendJsonString(std::string_view value, std::string& out);

}  // namespace meterline::exports
