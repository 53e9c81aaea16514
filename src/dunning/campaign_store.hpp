// CampaignStore: the dunning_campaigns and dunning_attempts tables, and what
// a campaign's start and end do to its subscription (past_due while it runs)
// and to the events table (dunning.* events, docs/webhooks.md). Each method
// runs in the caller's transaction. Thread-safe (stateless).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/clock.hpp"
#include "core/paging.hpp"
#include "core/result.hpp"
#include "dunning/campaign.hpp"
#include "dunning/policy.hpp"
#include "storage/database.hpp"

namespace meterline::dunning {

struct CampaignFilter {
  std::string customer_id;  // "" = every customer's (admins)
  std::string state;        // "" = any
};

class CampaignStore {
 public:
  // The invoice's payment failed at `at`: starts its campaign with `policy`
  // unless it has one (a failure of a retry, or one after the campaign
  // ended, starts nothing) or is no longer open. Its subscription becomes
  // past_due. Returns whether one started.
  static Result<bool> Start(storage::Transaction& tx, const Clock& clock, const std::string& invoice_id,
                            const DunningPolicy& policy);
  // Ends the campaigns whose invoice was settled meanwhile, however it was:
  // paid -> recovered (also an exhausted one), void -> closed, uncollectible
  // while active -> closed. A subscription left with no active or exhausted
  // campaign is active again. `invoice_id` "" = every campaign. Returns how
  // many ended.
  static Result<int64_t> Settle(storage::Transaction& tx, const Clock& clock, const std::string& invoice_id);

  // Columns of a campaign row, for FromRow.
  static constexpr const char* kSelect =
      "SELECT id, invoice_id, customer_id, subscription_id, state, retry_offsets, final_action, attempts, "
      "next_attempt_at, last_failure, started_at, ended_at FROM dunning_campaigns ";
  // A row of kSelect, without its attempts (LoadAttempts).
  static Campaign FromRow(const storage::Row& row);
  static Status LoadAttempts(storage::Executor& ex, std::vector<Campaign>& campaigns);

  // The invoice's campaign with its attempts; nullopt when it has none.
  static Result<std::optional<Campaign>> ForInvoice(storage::Executor& ex, const std::string& invoice_id);
  // One campaign by id; kNotFound when missing or (non-empty `customer_id`) another customer's.
  static Result<Campaign> Get(storage::Executor& ex, const std::string& id, const std::string& customer_id);
  // Newest first, with their attempts; the total counted.
  static Result<Page<Campaign>> List(storage::Executor& ex, const CampaignFilter& filter, const PageRequest& page);
};

}  // namespace meterline::dunning
