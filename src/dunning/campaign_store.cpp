#include "dunning/campaign_store.hpp"

#include <boost/json/object.hpp>

#include <map>

#include "audit/audit_log.hpp"
#include "core/ids.hpp"
#include "outbox/events.hpp"
#include "subscriptions/subscription_service.hpp"

namespace meterline::dunning {

namespace json = boost::json;

namespace {

std::string OffsetsText(const std::vector<std::chrono::seconds>& retries) {
  std::string out;
  for (auto offset : retries) out += (out.empty() ? "" : ",") + std::to_string(offset.count());
  return out;
}

std::vector<std::chrono::seconds> ParseOffsets(const std::string& text) {
  std::vector<std::chrono::seconds> out;
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    out.emplace_back(std::stoll(text.substr(start, end - start)));
    start = end + 1;
  }
  return out;
}

std::optional<TimePoint> OptTime(const std::optional<int64_t>& ms) {
  return ms ? std::optional<TimePoint>(FromUnixMillis(*ms)) : std::nullopt;
}

// Announces the campaign as it is now: dunning.<what>.
Status Announce(storage::Transaction& tx, const std::string& id, const std::string& what, TimePoint now) {
  MTL_ASSIGN_OR_RETURN(auto campaign, CampaignStore::Get(tx, id, ""));
  return outbox::Publish(tx, {"dunning." + what, campaign.customer_id, CampaignJson(campaign), now});
}

}  // namespace

Campaign CampaignStore::FromRow(const storage::Row& row) {
  Campaign c;
  c.id = row.Text(0);
  c.invoice_id = row.Text(1);
  c.customer_id = row.Text(2);
  c.subscription_id = row.OptText(3).value_or("");
  c.state = row.Text(4);
  c.retries = ParseOffsets(row.Text(5));
  c.final_action = ParseFinalAction(row.Text(6)).value_or(FinalAction::kLeavePastDue);
  c.attempts = static_cast<int>(row.Int(7));
  c.next_attempt_at = OptTime(row.OptInt(8));
  c.last_failure = row.OptText(9).value_or("");
  c.started_at = FromUnixMillis(row.Int(10));
  c.ended_at = OptTime(row.OptInt(11));
  return c;
}

Status CampaignStore::LoadAttempts(storage::Executor& ex, std::vector<Campaign>& campaigns) {
  if (campaigns.empty()) return OkStatus();
  std::string sql =
      "SELECT campaign_id, attempt, attempted_at, outcome, code, message FROM dunning_attempts WHERE campaign_id IN (";
  std::vector<storage::Value> params;
  std::map<std::string, Campaign*> by_id;
  for (Campaign& c : campaigns) {
    params.emplace_back(c.id);
    sql += (params.size() == 1 ? "$" : ", $") + std::to_string(params.size());
    by_id[c.id] = &c;
  }
  MTL_ASSIGN_OR_RETURN(auto rows, ex.Execute(sql + ") ORDER BY campaign_id, attempt", params));
  for (const auto& row : rows.rows) {
    by_id[row.Text(0)]->log.push_back(
        {static_cast<int>(row.Int(1)), FromUnixMillis(row.Int(2)), row.Text(3), row.Text(4), row.Text(5)});
  }
  return OkStatus();
}

Result<bool> CampaignStore::Start(storage::Transaction& tx, const Clock& clock, const std::string& invoice_id,
                                  const DunningPolicy& policy) {
  if (!policy.enabled || policy.retries.empty()) return false;
  MTL_ASSIGN_OR_RETURN(
      auto invoice,
      tx.Execute("SELECT customer_id, subscription_id, status FROM invoices WHERE id = $1", {invoice_id}));
  if (invoice.rows.empty() || invoice.rows[0].Text(2) != "open") return false;
  const storage::Row& row = invoice.rows[0];
  TimePoint now = clock.Now();
  int64_t now_ms = ToUnixMillis(now);
  std::string id = NewId("dun");
  std::optional<std::string> subscription = row.OptText(1);
  MTL_ASSIGN_OR_RETURN(
      auto inserted,
      tx.Execute("INSERT INTO dunning_campaigns (id, invoice_id, customer_id, subscription_id, state, retry_offsets, "
                 "final_action, attempts, next_attempt_at, started_at, created_at, updated_at) VALUES "
                 "($1, $2, $3, $4, 'active', $5, $6, 0, $7, $8, $8, $8) ON CONFLICT (invoice_id) DO NOTHING",
                 {id, invoice_id, row.Text(0), subscription ? storage::Value(*subscription) : storage::Value(nullptr),
                  OffsetsText(policy.retries), FinalActionName(policy.final_action),
                  ToUnixMillis(now + policy.retries.front()), now_ms}));
  if (inserted.affected_rows != 1) return false;
  MTL_RETURN_IF_ERROR(audit::Record(tx, clock,
                                    {"system",
                                     "dunning.started",
                                     row.Text(0),
                                     {{"campaign_id", id},
                                      {"invoice_id", invoice_id},
                                      {"schedule", FormatRetrySchedule(policy.retries)},
                                      {"final_action", FinalActionName(policy.final_action)}},
                                     {}}));
  if (subscription) {
    MTL_RETURN_IF_ERROR(subscriptions::SubscriptionService::SetPastDue(
        tx, clock, *subscription, true, "system", {{"invoice_id", invoice_id}, {"campaign_id", id}}));
  }
  MTL_RETURN_IF_ERROR(Announce(tx, id, "started", now));
  return true;
}

Result<int64_t> CampaignStore::Settle(storage::Transaction& tx, const Clock& clock, const std::string& invoice_id) {
  std::string sql =
      "SELECT c.id, c.subscription_id, c.customer_id, i.status FROM dunning_campaigns c JOIN invoices i ON i.id = "
      "c.invoice_id WHERE c.state IN ('active', 'exhausted') AND (i.status IN ('paid', 'void') OR (c.state = "
      "'active' AND i.status = 'uncollectible'))";
  std::vector<storage::Value> params;
  if (!invoice_id.empty()) {
    sql += " AND c.invoice_id = $1";
    params.emplace_back(invoice_id);
  }
  MTL_ASSIGN_OR_RETURN(auto settled, tx.Execute(sql + " ORDER BY c.id", params));
  TimePoint now = clock.Now();
  int64_t ended = 0;
  for (const auto& row : settled.rows) {
    std::string id = row.Text(0), status = row.Text(3);
    const char* state = status == "paid" ? "recovered" : "closed";
    MTL_ASSIGN_OR_RETURN(auto changed, tx.Execute("UPDATE dunning_campaigns SET state = $2, next_attempt_at = NULL, "
                                                  "ended_at = $3, locked_until = NULL, lock_token = NULL, updated_at "
                                                  "= $3 WHERE id = $1 AND state IN ('active', 'exhausted')",
                                                  {id, state, ToUnixMillis(now)}));
    if (changed.affected_rows != 1) continue;
    ++ended;
    MTL_RETURN_IF_ERROR(audit::Record(
        tx, clock,
        {"system", std::string("dunning.") + state, row.Text(2), {{"campaign_id", id}, {"invoice", status}}, {}}));
    if (auto subscription = row.OptText(1)) {
      MTL_ASSIGN_OR_RETURN(auto open, tx.Execute("SELECT COUNT(*) FROM dunning_campaigns WHERE subscription_id = $1 "
                                                 "AND state IN ('active', 'exhausted')",
                                                 {*subscription}));
      if (open.rows[0].Int(0) == 0) {
        MTL_RETURN_IF_ERROR(subscriptions::SubscriptionService::SetPastDue(tx, clock, *subscription, false, "system",
                                                                           {{"campaign_id", id}}));
      }
    }
    MTL_RETURN_IF_ERROR(Announce(tx, id, state, now));
  }
  return ended;
}

Result<std::optional<Campaign>> CampaignStore::ForInvoice(storage::Executor& ex, const std::string& invoice_id) {
  MTL_ASSIGN_OR_RETURN(auto rows, ex.Execute(std::string(kSelect) + "WHERE invoice_id = $1", {invoice_id}));
  if (rows.rows.empty()) return std::optional<Campaign>();
  std::vector<Campaign> one{FromRow(rows.rows[0])};
  MTL_RETURN_IF_ERROR(LoadAttempts(ex, one));
  return std::optional<Campaign>(std::move(one[0]));
}

Result<Campaign> CampaignStore::Get(storage::Executor& ex, const std::string& id, const std::string& customer_id) {
  MTL_ASSIGN_OR_RETURN(auto rows, ex.Execute(std::string(kSelect) + "WHERE id = $1", {id}));
  if (rows.rows.empty() || (!customer_id.empty() && rows.rows[0].Text(2) != customer_id)) {
    return NotFound("no dunning campaign " + id);
  }
  std::vector<Campaign> one{FromRow(rows.rows[0])};
  MTL_RETURN_IF_ERROR(LoadAttempts(ex, one));
  return std::move(one[0]);
}

Result<Page<Campaign>> CampaignStore::List(storage::Executor& ex, const CampaignFilter& filter,
                                           const PageRequest& page) {
  std::string where = "WHERE 1 = 1";
  std::vector<storage::Value> params;
  if (!filter.customer_id.empty()) {
    params.emplace_back(filter.customer_id);
    where += " AND customer_id = $" + std::to_string(params.size());
  }
  if (!filter.state.empty()) {
    params.emplace_back(filter.state);
    where += " AND state = $" + std::to_string(params.size());
  }
  MTL_ASSIGN_OR_RETURN(auto count, ex.Execute("SELECT COUNT(*) FROM dunning_campaigns " + where, params));
  std::vector<storage::Value> paged = params;
  paged.emplace_back(page.limit + 1);
  paged.emplace_back(page.offset);
  MTL_ASSIGN_OR_RETURN(
      auto rows, ex.Execute(std::string(kSelect) + where + " ORDER BY started_at DESC, id DESC LIMIT $" +
                                std::to_string(params.size() + 1) + " OFFSET $" + std::to_string(params.size() + 2),
                            paged));
  std::vector<Campaign> items;
  for (const auto& row : rows.rows) items.push_back(FromRow(row));
  Page<Campaign> out = TrimPage(std::move(items), page);
  MTL_RETURN_IF_ERROR(LoadAttempts(ex, out.items));
  out.total = count.rows[0].Int(0);
  return out;
}

}  // namespace meterline::dunning
