// StatementCache: one connection's prepared statements by SQL text, at most
// `capacity` of them; the least recently used is released first.
//
// Our SQL texts come from the code and bulk.hpp keeps multi-row statements to
// a few shapes, so their number is small in practice; the bound makes it a
// guarantee, so that a text built with a varying count anywhere cannot grow a
// long-lived connection (and, on PostgreSQL, its server process) without limit.
// Not thread-safe: a connection is used by one thread at a time.
#pragma once

#include <cstddef>
#include <functional>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace meterline::storage {

inline constexpr size_t kStatementCacheCapacity = 256;

template <typename Statement>
class StatementCache {
 public:
  // `release` frees a statement that leaves the cache (evicted or at the end).
  StatementCache(size_t capacity, std::function<void(Statement&)> release)
      : capacity_(capacity == 0 ? 1 : capacity), release_(std::move(release)) {}
  ~StatementCache() { Clear(); }
  StatementCache(const StatementCache&) = delete;
  StatementCache& operator=(const StatementCache&) = delete;

  // The statement for `sql`, now the most recently used; nullptr if absent.
  Statement* Find(std::string_view sql) {
    auto it = index_.find(sql);
    if (it == index_.end()) return nullptr;
    entries_.splice(entries_.begin(), entries_, it->second);
    return &it->second->second;
  }

  // Adds a statement not yet cached, releasing the least recently used one
  // when full. The reference stays valid until the next Insert or Clear.
  Statement& Insert(std::string sql, Statement statement) {
    if (entries_.size() >= capacity_) {
      auto& last = entries_.back();
      index_.erase(std::string_view(last.first));
      release_(last.second);
      entries_.pop_back();
    }
    entries_.emplace_front(std::move(sql), std::move(statement));
    // The key views the list node's string, which never moves.
    index_.emplace(std::string_view(entries_.front().first), entries_.begin());
    return entries_.front().second;
  }

  void Clear() {
    for (auto& entry : entries_) release_(entry.second);
    entries_.clear();
    index_.clear();
  }

  size_t size() const { return entries_.size(); }

 private:
  using Entries = std::list<std::pair<std::string, Statement>>;
  size_t capacity_;
  std::function<void(Statement&)> release_;
  Entries entries_;  // most recently used first
  std::unordered_map<std::string_view, typename Entries::iterator> index_;
};

}  // namespace meterline::storage
