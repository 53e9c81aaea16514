#include "webhooks/delivery_log.hpp"

#include <algorithm>
#include <charconv>

#include "audit/audit_log.hpp"

namespace meterline::webhooks {

namespace {

constexpr const char* kColumns =
    "SELECT d.id, d.endpoint_id, ev.public_id, ev.type, d.customer_id, d.status, d.attempts, d.last_status_code, "
    "d.last_error, d.next_attempt_at, d.created_at, d.delivered_at, ev.id FROM webhook_deliveries d JOIN events ev "
    "ON ev.id = d.event_id ";

const char* const kStatuses[] = {"pending", "processing", "succeeded", "failed"};

Delivery FromRow(const storage::Row& row) {
  Delivery d;
  d.id = "wd_" + std::to_string(row.Int(0));
  d.endpoint_id = row.Text(1);
  d.event_id = row.OptText(2).value_or("evt_" + std::to_string(row.Int(12)));
  d.event_type = row.Text(3);
  d.customer_id = row.Text(4);
  d.status = row.Text(5);
  d.attempts = row.Int(6);
  d.last_status_code = static_cast<int>(row.OptInt(7).value_or(0));
  d.last_error = row.OptText(8).value_or("");
  if (d.status == "pending") d.next_attempt_at = FromUnixMillis(row.Int(9));
  d.created_at = FromUnixMillis(row.Int(10));
  if (auto at = row.OptInt(11)) d.delivered_at = FromUnixMillis(*at);
  return d;
}

}  // namespace

std::optional<int64_t> ParseDeliveryId(const std::string& id) {
  if (id.size() < 4 || id.compare(0, 3, "wd_") != 0) return std::nullopt;
  int64_t n = 0;
  auto [end, ec] = std::from_chars(id.data() + 3, id.data() + id.size(), n);
  if (ec != std::errc() || end != id.data() + id.size() || n <= 0) return std::nullopt;
  return n;
}

Result<Page<Delivery>> DeliveryLog::List(const std::string& endpoint_id, const std::string& status,
                                         const PageRequest& page) {
  if (!status.empty() && std::find(std::begin(kStatuses), std::end(kStatuses), status) == std::end(kStatuses)) {
    return InvalidParam("status", "status must be pending, processing, succeeded or failed");
  }
  std::string sql = std::string(kColumns) + "WHERE d.endpoint_id = $1" + (status.empty() ? "" : " AND d.status = $4") +
                    " ORDER BY d.id DESC LIMIT $2 OFFSET $3";
  std::vector<storage::Value> params = {endpoint_id, page.limit + 1, page.offset};
  if (!status.empty()) params.emplace_back(status);
  MTL_ASSIGN_OR_RETURN(auto rows, db_.Execute(sql, params));
  std::vector<Delivery> items;
  for (const auto& row : rows.rows) items.push_back(FromRow(row));
  return TrimPage(std::move(items), page);
}

Result<Delivery> DeliveryLog::Get(const std::string& endpoint_id, const std::string& delivery_id) {
  auto n = ParseDeliveryId(delivery_id);
  if (!n) return NotFound("no webhook delivery " + delivery_id.substr(0, 64));
  MTL_ASSIGN_OR_RETURN(
      auto rows, db_.Execute(std::string(kColumns) + "WHERE d.id = $1 AND d.endpoint_id = $2", {*n, endpoint_id}));
  if (rows.rows.empty()) return NotFound("no webhook delivery " + delivery_id);
  Delivery d = FromRow(rows.rows[0]);
  MTL_ASSIGN_OR_RETURN(auto attempts, db_.Execute("SELECT attempted_at, status_code, latency_ms, response_excerpt, "
                                                  "error, manual FROM webhook_delivery_attempts WHERE delivery_id = "
                                                  "$1 ORDER BY id DESC LIMIT 100",
                                                  {*n}));
  for (const auto& a : attempts.rows) {
    d.attempt_log.push_back({FromUnixMillis(a.Int(0)), static_cast<int>(a.OptInt(1).value_or(0)), a.Int(2),
                             a.OptText(3).value_or(""), a.OptText(4).value_or(""), a.Int(5) != 0});
  }
  return d;
}

Result<Delivery> DeliveryLog::Redeliver(const std::string& endpoint_id, const std::string& delivery_id,
                                        const std::string& actor) {
  MTL_ASSIGN_OR_RETURN(auto before, Get(endpoint_id, delivery_id));
  if (before.status == "processing") {
    return Error(ErrorCode::kConflict, "delivery_in_progress",
                 "delivery " + delivery_id + " is being attempted now; look again in a moment");
  }
  int64_t now = ToUnixMillis(clock_.Now());
  MTL_RETURN_IF_ERROR(db_.Transact(storage::TxMode::kReadWrite, [&](storage::Transaction& tx) -> Status {
    MTL_ASSIGN_OR_RETURN(auto updated,
                         tx.Execute("UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $2, "
                                    "redelivery_requested_by = $3, updated_at = $2 WHERE id = $1 AND status <> "
                                    "'processing'",
                                    {*ParseDeliveryId(delivery_id), now, actor}));
    if (updated.affected_rows != 1) {
      return Error(ErrorCode::kConflict, "delivery_in_progress", "delivery " + delivery_id + " is being attempted now");
    }
    return audit::Record(tx, clock_,
                         {actor,
                          "webhook_delivery.redeliver",
                          before.customer_id,
                          {{"endpoint_id", endpoint_id}, {"delivery_id", delivery_id}, {"event_id", before.event_id}},
                          {}});
  }));
  return Get(endpoint_id, delivery_id);
}

}  // namespace meterline::webhooks
