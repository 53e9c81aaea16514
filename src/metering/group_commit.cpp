#include "metering/group_commit.hpp"

#include <algorithm>
#include <exception>
#include <map>
#include <optional>
#include <string_view>
#include <tuple>
#include <utility>

namespace meterline::metering {

// One write waiting for its commit. Its caller keeps the events and `after`
// until `done` (Write() blocks; a Ticket waits when destroyed).
struct GroupCommitStore::Pending {
  Pending(const std::vector<UsageEventRef>& events, TimePoint received, const AfterWrite& after)
      : events(events), received(received), after(after) {}

  const std::vector<UsageEventRef>& events;
  TimePoint received;
  const AfterWrite& after;
  std::optional<Result<WriteOutcome>> outcome;
  bool done = false;
  std::condition_variable finished;
};

GroupCommitStore::GroupCommitStore(UsageStore& inner, GroupCommitOptions options)
    : inner_(inner), options_(std::move(options)) {
  for (int i = 0; i < std::max(1, options_.writers); ++i) writers_.emplace_back([this] { Run(); });
}

GroupCommitStore::~GroupCommitStore() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  queued_.notify_all();
  for (std::thread& writer : writers_) writer.join();
}

GroupCommitStats GroupCommitStore::Stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

GroupCommitStore::Ticket::Ticket(GroupCommitStore& store, std::unique_ptr<Pending> pending)
    : store_(&store), pending_(std::move(pending)) {}

GroupCommitStore::Ticket::Ticket(Ticket&& other) noexcept : store_(other.store_), pending_(std::move(other.pending_)) {}

GroupCommitStore::Ticket::~Ticket() {
  // The writer still points at it: it may not go before it is written.
  if (pending_) store_->WaitFor(*pending_);
}

Result<WriteOutcome> GroupCommitStore::Write(const std::vector<UsageEventRef>& events, TimePoint received,
                                             const AfterWrite& after) {
  // Nothing to store: `after` still runs (it may repair an alert), on its own.
  if (events.empty()) return inner_.Write(events, received, after);
  MTL_ASSIGN_OR_RETURN(auto ticket, Submit(events, received, after));
  return Await(std::move(ticket));
}

Result<GroupCommitStore::Ticket> GroupCommitStore::Submit(const std::vector<UsageEventRef>& events, TimePoint received,
                                                          const AfterWrite& after) {
  auto pending = std::make_unique<Pending>(events, received, after);
  std::unique_lock<std::mutex> lock(mutex_);
  // Shutting down: the writers may have drained the queue already.
  if (stopping_) return Unavailable("usage ingestion is shutting down");
  if (stats_.queued_events > 0 && stats_.queued_events + events.size() > options_.max_queued_events) {
    ++stats_.refused;
    lock.unlock();
    if (options_.on_refused) options_.on_refused();
    Error full(ErrorCode::kRateLimited, "ingest_queue_full",
               "the ingestion queue is full (" + std::to_string(options_.max_queued_events) +
                   " events); retry after the Retry-After seconds");
    full.retry_after_seconds = 1;
    return full;
  }
  stats_.queued_events += events.size();
  stats_.enqueued_events += events.size();
  queue_.push_back(pending.get());
  queued_.notify_one();
  return Ticket(*this, std::move(pending));
}

Result<WriteOutcome> GroupCommitStore::Await(Ticket ticket) {
  WaitFor(*ticket.pending_);
  Result<WriteOutcome> outcome = std::move(*ticket.pending_->outcome);
  ticket.pending_.reset();
  return outcome;
}

void GroupCommitStore::WaitFor(Pending& pending) {
  std::unique_lock<std::mutex> lock(mutex_);
  pending.finished.wait(lock, [&] { return pending.done; });
}

void GroupCommitStore::Run() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    queued_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and everything queued is written
    std::vector<Pending*> group;
    size_t events = 0;
    while (!queue_.empty() &&
           (group.empty() || events + queue_.front()->events.size() <= options_.max_events_per_commit)) {
      events += queue_.front()->events.size();
      group.push_back(queue_.front());
      queue_.pop_front();
    }
    lock.unlock();
    try {
      Commit(group);
    } catch (const std::exception& e) {
      // Those already answered keep their outcome: it is what was committed.
      for (Pending* p : group) {
        if (!p->outcome) p->outcome = Internal(std::string("group commit failed: ") + e.what());
      }
    }
    if (options_.on_commit) options_.on_commit(group.size(), events);
    lock.lock();
    ++stats_.commits;
    stats_.requests += group.size();
    stats_.queued_events -= events;
    for (Pending* p : group) {
      p->done = true;
      p->finished.notify_one();
    }
  }
}

void GroupCommitStore::Commit(const std::vector<Pending*>& group) {
  if (group.size() == 1) {
    group[0]->outcome = inner_.Write(group[0]->events, group[0]->received, group[0]->after);
    return;
  }
  // One batch: the requests' events one after another; offsets[k] is where
  // request k's start.
  std::vector<UsageEventRef> batch;
  std::vector<size_t> offsets;
  TimePoint received = group[0]->received;
  for (Pending* p : group) {
    offsets.push_back(batch.size());
    batch.insert(batch.end(), p->events.begin(), p->events.end());
    received = std::max(received, p->received);
  }
  // Each request's `after` sees the rollups of its own customers.
  std::vector<std::set<std::string_view>> customers(group.size());
  for (size_t k = 0; k < group.size(); ++k) {
    for (const UsageEventRef& e : group[k]->events) customers[k].insert(e.customer_id);
  }
  AfterWrite after = [&](storage::Executor& tx, const std::set<RollupKey>& touched, const TotalFn& total) -> Status {
    // Requests of one customer ask for the same period totals, which nothing
    // changes inside this transaction: each is read once per group (on
    // ClickHouse a query each, a round trip that costs more than many events).
    std::map<std::tuple<std::string, std::string, TimePoint, TimePoint>, int64_t> read;
    TotalFn total_once = [&](const std::string& customer_id, const std::string& metric, TimePoint from,
                             TimePoint to) -> Result<int64_t> {
      auto key = std::make_tuple(customer_id, metric, from, to);
      if (auto found = read.find(key); found != read.end()) return found->second;
      MTL_ASSIGN_OR_RETURN(int64_t value, total(customer_id, metric, from, to));
      read.emplace(std::move(key), value);
      return value;
    };
    for (size_t k = 0; k < group.size(); ++k) {
      if (!group[k]->after) continue;
      std::set<RollupKey> mine;
      for (const RollupKey& key : touched) {
        if (customers[k].count(std::get<0>(key))) mine.insert(key);
      }
      MTL_RETURN_IF_ERROR(group[k]->after(tx, mine, total_once));
    }
    return OkStatus();
  };
  auto written = inner_.Write(batch, received, after);
  if (!written.ok()) {
    for (Pending* p : group) p->outcome = inner_.Write(p->events, p->received, p->after);
    return;
  }
  // Back to each request, positions relative to its own events.
  std::vector<WriteOutcome> outcomes(group.size());
  auto owner = [&](size_t position) {
    return static_cast<size_t>(std::upper_bound(offsets.begin(), offsets.end(), position) - offsets.begin()) - 1;
  };
  for (size_t position : written->duplicates) {
    size_t k = owner(position);
    outcomes[k].duplicates.push_back(position - offsets[k]);
  }
  for (StoreRefusal& refusal : written->refused) {
    size_t k = owner(refusal.position);
    outcomes[k].refused.push_back({refusal.position - offsets[k], std::move(refusal.reason)});
  }
  for (size_t k = 0; k < group.size(); ++k) {
    WriteOutcome& mine = outcomes[k];
    std::sort(mine.duplicates.begin(), mine.duplicates.end());
    std::sort(mine.refused.begin(), mine.refused.end(),
              [](const StoreRefusal& a, const StoreRefusal& b) { return a.position < b.position; });
    mine.accepted = static_cast<int64_t>(group[k]->events.size() - mine.duplicates.size() - mine.refused.size());
    group[k]->outcome = std::move(mine);
  }
}

}  // namespace meterline::metering
