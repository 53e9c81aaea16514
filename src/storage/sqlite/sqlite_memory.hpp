// How SQLite gets its memory. Debian's libsqlite3 is built without lookaside
// (SQLITE_OMIT_LOOKASIDE) and with memory statistics on, so every allocation
// inside SQLite goes to malloc, and each one takes SQLite's global statistics
// mutex, shared by every connection of every shard writer. The hot ones on the
// ingestion path are page-sized: each B-tree rebalance (a few inserts apart
// when keys land mid-tree) takes a page buffer and a scratch area of 4-7 KiB
// and returns them at once.
//
// UseSqliteMemory installs SQLite memory methods that keep freed blocks of
// 1-64 KiB in a small per-thread cache (as SQLite's own lookaside would, had
// it been built) and turns the statistics off (nothing here reads them).
// Smaller and larger blocks go to malloc as before.
#pragma once

#include <cstdint>

namespace meterline::storage {

// Installs the memory methods once per process, before SQLite initializes;
// later calls do nothing. Called before the first connection opens. Under
// AddressSanitizer it changes nothing (reused blocks would hide SQLite's
// use-after-free from it).
void UseSqliteMemory();

// Allocations SQLite asked for and how many of them the per-thread caches
// served, since the process started (for the tests and the benchmarks).
struct SqliteMemoryCounts {
  uint64_t allocations = 0;
  uint64_t from_cache = 0;
  bool caching = false;  // false under AddressSanitizer, or when installed too late
};
SqliteMemoryCounts SqliteMemoryCountsNow();

}  // namespace meterline::storage
