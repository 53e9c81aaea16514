#include "metering/sharded_usage_store.hpp"

#include <algorithm>

#include "core/period.hpp"
#include "metering/usage_shards.hpp"

namespace meterline::metering {

Result<WriteOutcome> ShardUsageStore::Write(const std::vector<const UsageEvent*>& events, TimePoint received,
                                            const AfterWrite& after) {
  std::set<RollupKey> touched;
  AfterWrite keep_touched = [&touched](storage::Executor&, const std::set<RollupKey>& keys, const TotalFn&) {
    touched = keys;
    return OkStatus();
  };
  MTL_ASSIGN_OR_RETURN(auto outcome, store_.Write(events, received, after ? keep_touched : AfterWrite()));
  if (!after) return outcome;
  for (size_t position : outcome.duplicates) {
    const UsageEvent& event = *events[position];
    touched.insert({event.customer_id, event.metric, HourStart(event.timestamp)});
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

Result<WriteOutcome> ShardedUsageStore::Write(const std::vector<const UsageEvent*>& events, TimePoint received,
                                              const AfterWrite& after) {
  const int shards = static_cast<int>(shards_.size());
  // Positions of each shard's events; the usual request has one customer.
  std::vector<std::vector<size_t>> positions(shards_.size());
  std::string_view last_customer;
  int last_shard = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    if (i == 0 || events[i]->customer_id != last_customer) {
      last_customer = events[i]->customer_id;
      last_shard = ShardOf(last_customer, shards);
    }
    positions[static_cast<size_t>(last_shard)].push_back(i);
  }
  for (size_t k = 0; k < shards_.size(); ++k) {
    if (positions[k].size() == events.size()) return shards_[k]->Write(events, received, after);
  }
  WriteOutcome merged;
  std::vector<const UsageEvent*> part;
  for (size_t k = 0; k < shards_.size(); ++k) {
    if (positions[k].empty()) continue;
    part.clear();
    for (size_t i : positions[k]) part.push_back(events[i]);
    MTL_ASSIGN_OR_RETURN(auto outcome, shards_[k]->Write(part, received, after));
    merged.accepted += outcome.accepted;
    for (size_t d : outcome.duplicates) merged.duplicates.push_back(positions[k][d]);
    for (StoreRefusal& refusal : outcome.refused) {
      merged.refused.push_back({positions[k][refusal.position], std::move(refusal.reason)});
    }
  }
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
