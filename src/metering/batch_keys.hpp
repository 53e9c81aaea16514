// Lookups over one written batch of usage events without a heap allocation
// per event: the (customer, event id) dedupe table and rollup keys as views.
// Shared by the stores' Write (SQL and ClickHouse).
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string_view>
#include <tuple>
#include <vector>

#include "core/clock.hpp"
#include "metering/usage_store.hpp"

namespace meterline::metering {

// The batch's (customer, event id) keys, for its dedupe: an open-addressing
// table of positions in the batch, so one allocation per batch and none per
// event; keys are compared through the events themselves.
class BatchKeys {
 public:
  static constexpr size_t kNone = SIZE_MAX;

  explicit BatchKeys(const std::vector<UsageEventRef>& events) : events_(events) {
    size_t capacity = 16;
    while (capacity < events.size() * 2) capacity <<= 1;
    slots_.assign(capacity, kNone);
    mask_ = capacity - 1;
  }

  // Adds the event at `position`; false when an earlier one has its key.
  bool Add(size_t position) {
    const UsageEventRef& event = events_[position];
    for (size_t slot = Hash(event.customer_id, event.id) & mask_;; slot = (slot + 1) & mask_) {
      if (slots_[slot] == kNone) {
        slots_[slot] = position;
        return true;
      }
      const UsageEventRef& other = events_[slots_[slot]];
      if (other.id == event.id && other.customer_id == event.customer_id) return false;
    }
  }

  // Adds every event: the positions of first occurrences, in batch order;
  // each repeat's position is appended to `repeats`.
  std::vector<size_t> AddAll(std::vector<size_t>& repeats) {
    std::vector<size_t> firsts;
    firsts.reserve(events_.size());
    for (size_t i = 0; i < events_.size(); ++i) {
      if (Add(i)) {
        firsts.push_back(i);
      } else {
        repeats.push_back(i);
      }
    }
    return firsts;
  }

  // The position of the first event with this key, or kNone.
  size_t Find(std::string_view customer_id, std::string_view id) const {
    for (size_t slot = Hash(customer_id, id) & mask_;; slot = (slot + 1) & mask_) {
      if (slots_[slot] == kNone) return kNone;
      const UsageEventRef& other = events_[slots_[slot]];
      if (other.id == id && other.customer_id == customer_id) return slots_[slot];
    }
  }

 private:
  static size_t Hash(std::string_view customer_id, std::string_view id) {
    size_t h = std::hash<std::string_view>{}(customer_id);
    return h ^ (std::hash<std::string_view>{}(id) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
  }

  const std::vector<UsageEventRef>& events_;
  std::vector<size_t> slots_;  // positions; kNone for a free slot
  size_t mask_ = 0;
};

// The positions `positions` sorted by (customer, event id) in byte order, the
// order of the stores' keys: SQLite's B-trees then take the batch's keys left
// to right, on pages just touched, and ClickHouse finds the block already
// sorted and skips sorting and permuting it. (Only the insert order: which
// events a rollup near its limit takes stays batch order.)
inline std::vector<size_t> InKeyOrder(const std::vector<UsageEventRef>& events, const std::vector<size_t>& positions) {
  // A batch names few customers: each is ranked once, so the sort compares a
  // number and the event id, in entries that hold both (no trip to the event).
  std::vector<std::string_view> customers;
  for (size_t i : positions) {
    if (customers.empty() || customers.back() != events[i].customer_id) customers.push_back(events[i].customer_id);
  }
  std::sort(customers.begin(), customers.end());
  customers.erase(std::unique(customers.begin(), customers.end()), customers.end());
  // The ids' common prefix (collectors number their events: "c7-b12-e…")
  // says nothing; the next eight bytes, packed big-endian into a number
  // (zero past an id's end, below every byte), order almost every pair
  // without a memcmp. Ties fall back to the whole ids.
  size_t common = positions.empty() ? 0 : events[positions.front()].id.size();
  for (size_t i : positions) {
    std::string_view first = events[positions.front()].id.substr(0, common), id = events[i].id;
    common = static_cast<size_t>(std::mismatch(first.begin(), first.end(), id.begin(), id.end()).first - first.begin());
  }
  auto head_of = [common](std::string_view id) {
    uint64_t head = 0;
    for (size_t k = 0; k < 8; ++k) {
      head = (head << 8) | (common + k < id.size() ? static_cast<unsigned char>(id[common + k]) : 0U);
    }
    return head;
  };
  struct Entry {
    size_t rank;
    uint64_t head;
    std::string_view id;
    size_t position;
  };
  std::vector<Entry> entries;
  entries.reserve(positions.size());
  std::string_view last_customer;
  size_t last_rank = 0;
  for (size_t i : positions) {
    if (entries.empty() || events[i].customer_id != last_customer) {
      last_customer = events[i].customer_id;
      last_rank =
          static_cast<size_t>(std::lower_bound(customers.begin(), customers.end(), last_customer) - customers.begin());
    }
    entries.push_back({last_rank, head_of(events[i].id), events[i].id, i});
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    if (a.rank != b.rank) return a.rank < b.rank;
    if (a.head != b.head) return a.head < b.head;
    return a.id < b.id;
  });
  std::vector<size_t> order;
  order.reserve(entries.size());
  for (const Entry& entry : entries) order.push_back(entry.position);
  return order;
}

// A rollup's key as views of an event's strings, and its hash.
using RollupView = std::tuple<std::string_view, std::string_view, TimePoint>;
struct RollupViewHash {
  size_t operator()(const RollupView& key) const {
    size_t h = std::hash<std::string_view>{}(std::get<0>(key));
    h ^= std::hash<std::string_view>{}(std::get<1>(key)) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    return h ^ (std::hash<int64_t>{}(std::get<2>(key).time_since_epoch().count()) + 0x9e3779b97f4a7c15ULL + (h << 6) +
                (h >> 2));
  }
};

}  // namespace meterline::metering
