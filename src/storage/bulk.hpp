// Bulk statements: many rows per statement, so a batch costs a few round
// trips (PostgreSQL) and a few statement executions (SQLite), not one per row.
//
// Statements come in a few fixed row counts (256, 32, 4, 1): a batch of any size
// is split into those, so the per-connection prepared-statement cache holds
// four shapes per statement, not one per batch size.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "storage/database.hpp"

namespace meterline::storage {

// Runs `head` VALUES (…), (…) … `tail` over `values`, a flat list of rows of
// `columns` values each. `tail` may hold ON CONFLICT / RETURNING; rows that a
// RETURNING clause yields are passed to `on_row` as they are read (see
// Executor::ExecuteEach). Returns the affected rows.
// REQUIRES: values.size() is a multiple of columns; columns * 256 <= 32766.
Result<int64_t> InsertRows(Executor& ex, std::string_view head, size_t columns, const std::vector<Value>& values,
                           std::string_view tail = "", const RowCellsFn& on_row = {});

// Appends one field of a COPY row in PostgreSQL's text format: backslash,
// tab, newline and carriage return escaped; AppendCopyNull writes NULL (\N).
// Fields are separated by '\t' and rows end with '\n' (the caller writes those).
void AppendCopyField(std::string& row, std::string_view text);
void AppendCopyNull(std::string& row);

// Runs `sql_with_in` for `keys` in chunks of 256, where the text "IN_LIST" in
// it stands for IN ($k, …) with the chunk's keys; `leading` parameters come
// first ($1…). A short last chunk repeats its last key (harmless in IN).
Status SelectIn(Executor& ex, std::string_view sql_with_in, const std::vector<Value>& leading,
                const std::vector<std::string>& keys, const std::function<void(const Row&)>& on_row);

}  // namespace meterline::storage
