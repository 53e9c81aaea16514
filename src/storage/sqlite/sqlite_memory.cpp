#include "storage/sqlite/sqlite_memory.hpp"

#include <sqlite3.h>

#include <array>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "core/log.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define MTL_SQLITE_MEMORY_CACHE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MTL_SQLITE_MEMORY_CACHE 0
#endif
#endif
#ifndef MTL_SQLITE_MEMORY_CACHE
#define MTL_SQLITE_MEMORY_CACHE 1
#endif

namespace meterline::storage {

namespace {

// Every block starts with a header holding its size (header included), 16
// bytes so that what SQLite gets stays 16-byte aligned.
constexpr size_t kHeader = 16;
// Blocks of kSmallest..kLargest bytes (header included) are rounded up to a
// multiple of kGrain (a 4 KiB page's cache entry wastes < 6 %) and cached.
constexpr size_t kGrain = 256;
constexpr size_t kSmallest = 1024;
constexpr size_t kLargest = size_t{64} << 10;
constexpr size_t kClasses = kLargest / kGrain + 1;
// What one thread keeps: enough for a rebalance that climbs a few levels.
constexpr uint32_t kPerClass = 8;
constexpr size_t kPerThreadBytes = size_t{1} << 20;

std::atomic<uint64_t> g_allocations{0};
std::atomic<uint64_t> g_from_cache{0};
std::atomic<bool> g_installed{false};

bool Cacheable(size_t bytes) { return bytes >= kSmallest && bytes <= kLargest; }

// What a request of `n` bytes takes, header included.
size_t BlockBytes(size_t n) {
  size_t bytes = n + kHeader;
  return Cacheable(bytes) ? (bytes + kGrain - 1) / kGrain * kGrain : (bytes + 15) / 16 * 16;
}

size_t& SizeOf(void* block) { return *static_cast<size_t*>(block); }
void* Payload(void* block) { return static_cast<char*>(block) + kHeader; }
void* BlockOf(void* payload) { return static_cast<char*>(payload) - kHeader; }

// One thread's free blocks, a list per size class linked through their
// payloads. Trivially destructible, so still usable while the thread's other
// thread_locals are destroyed; ThreadExit empties it.
struct BlockCache {
  std::array<void*, kClasses> free{};
  std::array<uint32_t, kClasses> count{};
  size_t bytes = 0;
  bool exiting = false;
};
thread_local BlockCache t_cache;

void EmptyCache(BlockCache& cache) {
  for (size_t c = 0; c < kClasses; ++c) {
    while (void* block = cache.free[c]) {
      cache.free[c] = *static_cast<void**>(Payload(block));
      std::free(block);
    }
    cache.count[c] = 0;
  }
  cache.bytes = 0;
}

struct ThreadExit {
  ~ThreadExit() {
    t_cache.exiting = true;
    EmptyCache(t_cache);
  }
};

BlockCache& Cache() {
  thread_local ThreadExit at_exit;  // constructed on first use: registers the cleanup
  (void)at_exit;
  return t_cache;
}

void* Malloc(int n) {
  if (n < 0) return nullptr;
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  size_t bytes = BlockBytes(static_cast<size_t>(n));
  if (MTL_SQLITE_MEMORY_CACHE && Cacheable(bytes)) {
    BlockCache& cache = Cache();
    size_t c = bytes / kGrain;
    if (void* block = cache.free[c]) {
      cache.free[c] = *static_cast<void**>(Payload(block));
      --cache.count[c];
      cache.bytes -= bytes;
      g_from_cache.fetch_add(1, std::memory_order_relaxed);
      return Payload(block);
    }
  }
  void* block = std::malloc(bytes);
  if (block == nullptr) return nullptr;
  SizeOf(block) = bytes;
  return Payload(block);
}

void Free(void* payload) {
  if (payload == nullptr) return;
  void* block = BlockOf(payload);
  size_t bytes = SizeOf(block);
  if (MTL_SQLITE_MEMORY_CACHE && Cacheable(bytes)) {
    BlockCache& cache = Cache();
    size_t c = bytes / kGrain;
    if (!cache.exiting && cache.count[c] < kPerClass && cache.bytes + bytes <= kPerThreadBytes) {
      *static_cast<void**>(payload) = cache.free[c];
      cache.free[c] = block;
      ++cache.count[c];
      cache.bytes += bytes;
      return;
    }
  }
  std::free(block);
}

int Size(void* payload) { return payload == nullptr ? 0 : static_cast<int>(SizeOf(BlockOf(payload)) - kHeader); }

void* Realloc(void* payload, int n) {
  if (payload == nullptr) return Malloc(n);
  if (n < 0) return nullptr;
  size_t old_size = static_cast<size_t>(Size(payload));
  if (BlockBytes(static_cast<size_t>(n)) == old_size + kHeader) return payload;  // the same block size
  void* moved = Malloc(n);
  if (moved == nullptr) return nullptr;
  std::memcpy(moved, payload, std::min(old_size, static_cast<size_t>(n)));
  Free(payload);
  return moved;
}

int Roundup(int n) { return static_cast<int>(BlockBytes(static_cast<size_t>(n)) - kHeader); }
int Init(void* /*unused*/) { return SQLITE_OK; }
void Shutdown(void* /*unused*/) {}

}  // namespace

void UseSqliteMemory() {
  static std::once_flag once;
  std::call_once(once, [] {
    static const sqlite3_mem_methods kMethods = {Malloc, Free, Realloc, Size, Roundup, Init, Shutdown, nullptr};
    int rc = sqlite3_config(SQLITE_CONFIG_MALLOC, &kMethods);
    if (rc == SQLITE_OK) rc = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    g_installed = rc == SQLITE_OK;
    // SQLITE_MISUSE: SQLite was initialized before (it then keeps malloc).
    if (rc != SQLITE_OK) log::Warn("sqlite memory methods not installed", {{"error", sqlite3_errstr(rc)}});
  });
}

SqliteMemoryCounts SqliteMemoryCountsNow() {
  return {g_allocations.load(std::memory_order_relaxed), g_from_cache.load(std::memory_order_relaxed),
          MTL_SQLITE_MEMORY_CACHE && g_installed.load()};
}

}  // namespace meterline::storage
