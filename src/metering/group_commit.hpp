// GroupCommitStore: a UsageStore that coalesces concurrent writes into one.
//
// Every Write() joins a queue; a writer thread takes what has queued up
// (up to `max_events_per_commit`) and writes it to the wrapped store as one
// batch: one transaction and one fsync for many requests. Each caller returns
// only after the commit that holds its events, with the outcome of its own
// events. Exactly once is the wrapped store's: a repeat across coalesced
// requests is a repeat within the batch, a duplicate of its first occurrence
// (so the earlier request keeps the event).
//
// No artificial wait: while the writer commits one group the next one
// gathers, so a lone request is written at once and coalescing grows with load.
//
// The queue is bounded (`max_queued_events`): a write that would pass it is
// refused with 429 "ingest_queue_full" and Retry-After, never buffered without
// limit; a single write larger than the bound still goes through an empty queue.
//
// If a coalesced write fails, each of its requests is written again on its
// own, so one request's failure (say, an alert it records) is not another's.
// (On ClickHouse, whose insert a later failure does not undo, the retry finds
// the others' events stored and reports them as duplicates: counted once.)
// Reads go straight to the wrapped store. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "metering/usage_store.hpp"

namespace meterline::metering {

struct GroupCommitOptions {
  size_t max_events_per_commit = 50'000;  // a group stops growing past this
  size_t max_queued_events = 200'000;     // INGEST_QUEUE_EVENTS
  // Writer threads, each committing its own groups (INGEST_WRITERS). One suits
  // SQLite, which has one write lock; PostgreSQL and ClickHouse gain from a
  // second, whose transaction runs while the first waits for its commit.
  int writers = 1;
  // Called by the writer after each group (metrics): how many requests and
  // events it held.
  std::function<void(size_t requests, size_t events)> on_commit;
  // Called when a write is refused because the queue is full (metrics).
  std::function<void()> on_refused;
};

// What the writer has done since start, for metrics and tests.
struct GroupCommitStats {
  uint64_t commits = 0;          // coalesced writes to the wrapped store
  uint64_t requests = 0;         // Write() calls served
  uint64_t refused = 0;          // Write() calls refused with ingest_queue_full
  uint64_t enqueued_events = 0;  // events ever queued
  size_t queued_events = 0;      // events queued or being written now
};

class GroupCommitStore final : public UsageStore {
 public:
  GroupCommitStore(UsageStore& inner, GroupCommitOptions options);
  // Writes what is queued, then stops the writer.
  ~GroupCommitStore() override;
  GroupCommitStore(const GroupCommitStore&) = delete;
  GroupCommitStore& operator=(const GroupCommitStore&) = delete;

  Result<WriteOutcome> Write(const std::vector<UsageEventRef>& events, TimePoint received,
                             const AfterWrite& after) override;

  struct Pending;
  // A write queued by Submit(), answered by Await(): Write() in two halves,
  // so that one caller can wait on several stores' commits at once (a request
  // whose customers' usage is in several shard files). Destroying a ticket
  // that was not awaited waits for its commit.
  class Ticket {
   public:
    Ticket(Ticket&& other) noexcept;
    Ticket& operator=(Ticket&&) = delete;
    ~Ticket();

   private:
    friend class GroupCommitStore;
    Ticket(GroupCommitStore& store, std::unique_ptr<Pending> pending);
    GroupCommitStore* store_;
    std::unique_ptr<Pending> pending_;
  };
  // Queues a write; `events` and `after` must outlive the ticket. Refused as
  // Write() refuses (ingest_queue_full, shutting down). REQUIRES: events not empty.
  Result<Ticket> Submit(const std::vector<UsageEventRef>& events, TimePoint received, const AfterWrite& after);
  // The outcome of a submitted write, once committed.
  Result<WriteOutcome> Await(Ticket ticket);

  Result<std::map<std::string, int64_t>> Totals(const std::string& customer_id, TimePoint from, TimePoint to) override {
    return inner_.Totals(customer_id, from, to);
  }
  Result<std::map<std::string, std::map<std::string, int64_t>>> TotalsForCustomers(
      const std::vector<std::string>& customer_ids, TimePoint from, TimePoint to) override {
    return inner_.TotalsForCustomers(customer_ids, from, to);
  }
  Result<std::vector<RollupBucket>> Buckets(const std::string& customer_id, TimePoint from, TimePoint to,
                                            std::chrono::milliseconds bucket) override {
    return inner_.Buckets(customer_id, from, to, bucket);
  }
  Result<Page<StoredEvent>> ListEvents(const EventFilter& filter, const PageRequest& page) override {
    return inner_.ListEvents(filter, page);
  }
  Result<Audit> AuditMetric(const std::string& customer_id, const std::string& metric) override {
    return inner_.AuditMetric(customer_id, metric);
  }
  Status Ping() override { return inner_.Ping(); }
  const char* name() const override { return inner_.name(); }

  GroupCommitStats Stats() const;

 private:
  // Blocks until `pending` is written.
  void WaitFor(Pending& pending);
  void Run();
  // Writes a group as one batch, or each of its requests alone when that fails.
  void Commit(const std::vector<Pending*>& group);

  UsageStore& inner_;
  const GroupCommitOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable queued_;  // the writer waits for work
  std::deque<Pending*> queue_;
  GroupCommitStats stats_;
  bool stopping_ = false;
  std::vector<std::thread> writers_;  // started once the rest is ready
};

}  // namespace meterline::metering
