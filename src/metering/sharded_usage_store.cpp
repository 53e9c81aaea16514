#include "metering/sharded_usage_store.hpp"

#include <algorithm>
#include <optional>

#include "core/period.hpp"
#include "metering/group_commit.hpp"
#include "metering/usage_shards.hpp"

namespace meterline::metering {

Result<WriteOutcome> ShardUsageStore::Write(const std::vector<UsageEventRef>& events, TimePoint received,
                                            const AfterWrite& after) {
  std::set<RollupKey> touched;
  AfterWrite keep_touched = [&touched](storage::Executor&, const std::set<RollupKey>& keys, const TotalFn&) {
    touched = keys;
    return OkStatus();
  };
  MTL_ASSIGN_OR_RETURN(auto outcome, store_.Write(events, received, after ? keep_touched : AfterWrite()));
  if (!after) return outcome;
  for (size_t position : outcome.duplicates) {
    const UsageEventRef& event = events[position];
    touched.insert({std::string(event.customer_id), std::string(event.metric), HourStart(event.timestamp)});
  }
  if (touched.empty()) return outcome;
  // Committed in the shard: read from it, outside the main transaction's file.
  TotalFn total = [this](const std::string& customer_id, const std::string& metric, TimePoint from, TimePoint to) {
    return store_.MetricTotal(store_.database(), customer_id, metric, from, to);
  };
  MTL_RETURN_IF_ERROR(
      main_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) { return after(tx, touched, total); }));
  return outcome;
}

UsageStore& ShardedUsageStore::Of(const std::string& customer_id) {
  return *shards_[static_cast<size_t>(ShardOf(customer_id, static_cast<int>(shards_.size())))];
}

Result<WriteOutcome> ShardedUsageStore::Write(const std::vector<UsageEventRef>& events, TimePoint received,
                                              const AfterWrite& after) {
  const int shards = static_cast<int>(shards_.size());
  // Positions of each shard's events; the usual request has one customer.
  std::vector<std::vector<size_t>> positions(shards_.size());
  std::string_view last_customer;
  int last_shard = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    if (i == 0 || events[i].customer_id != last_customer) {
      last_customer = events[i].customer_id;
      last_shard = ShardOf(last_customer, shards);
    }
    positions[static_cast<size_t>(last_shard)].push_back(i);
  }
  for (size_t k = 0; k < shards_.size(); ++k) {
    if (positions[k].size() == events.size()) return shards_[k]->Write(events, received, after);
  }
  // Several shards: queued in every group-commit writer first, then awaited,
  // so the shards commit at once rather than one after the other.
  std::vector<std::vector<UsageEventRef>> parts(shards_.size());
  std::vector<std::optional<GroupCommitStore::Ticket>> tickets(shards_.size());
  for (size_t k = 0; k < shards_.size(); ++k) {
    for (size_t i : positions[k]) parts[k].push_back(events[i]);
    auto* queue = dynamic_cast<GroupCommitStore*>(shards_[k].get());
    if (queue == nullptr || parts[k].empty()) continue;
    // Refused (queue full): what was queued in other shards is still written
    // (their tickets wait when destroyed); a resend finds it as duplicates.
    MTL_ASSIGN_OR_RETURN(auto ticket, queue->Submit(parts[k], received, after));
    tickets[k].emplace(std::move(ticket));
  }
  WriteOutcome merged;
  Status failed;
  for (size_t k = 0; k < shards_.size(); ++k) {
    if (parts[k].empty()) continue;
    auto outcome = tickets[k] ? dynamic_cast<GroupCommitStore&>(*shards_[k]).Await(std::move(*tickets[k]))
                              : shards_[k]->Write(parts[k], received, after);
    tickets[k].reset();
    if (!outcome.ok()) {
      if (failed.ok()) failed = std::move(outcome).error();
      continue;
    }
    merged.accepted += outcome->accepted;
    for (size_t d : outcome->duplicates) merged.duplicates.push_back(positions[k][d]);
    for (StoreRefusal& refusal : outcome->refused) {
      merged.refused.push_back({positions[k][refusal.position], std::move(refusal.reason)});
    }
  }
  if (!failed.ok()) return std::move(failed).error();
  std::sort(merged.duplicates.begin(), merged.duplicates.end());
  std::sort(merged.refused.begin(), merged.refused.end(),
            [](const StoreRefusal& a, const StoreRefusal& b) { return a.position < b.position; });
  return merged;
}

Result<std::map<std::string, std::map<std::string, int64_t>>> ShardedUsageStore::TotalsForCustomers(
    const std::vector<std::string>& customer_ids, TimePoint from, TimePoint to) {
  const int shards = static_cast<int>(shards_.size());
  std::vector<std::vector<std::string>> ids(shards_.size());
  for (const std::string& id : customer_ids) ids[static_cast<size_t>(ShardOf(id, shards))].push_back(id);
  std::map<std::string, std::map<std::string, int64_t>> out;
  for (size_t k = 0; k < shards_.size(); ++k) {
    if (ids[k].empty()) continue;
    MTL_ASSIGN_OR_RETURN(auto totals, shards_[k]->TotalsForCustomers(ids[k], from, to));
    out.merge(totals);
  }
  return out;
}

Status ShardedUsageStore::Ping() {
  for (auto& shard : shards_) MTL_RETURN_IF_ERROR(shard->Ping());
  return OkStatus();
}

}  // namespace meterline::metering
