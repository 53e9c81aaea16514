#include "stripe/webhook_inbox.hpp"

#include <boost/json/parse.hpp>

#include <charconv>

namespace meterline::stripe {

Result<Accepted> WebhookInbox::Record(std::string_view payload) {
  boost::system::error_code ec;
  boost::json::value doc = boost::json::parse(payload, ec);
  if (ec || !doc.is_object()) return InvalidArgument("the webhook body is not a JSON object");
  const auto& event = doc.as_object();
  const auto* id = event.if_contains("id");
  const auto* type = event.if_contains("type");
  const auto* created = event.if_contains("created");
  if (id == nullptr || !id->is_string() || id->as_string().empty() || id->as_string().size() > 255) {
    return InvalidArgument("the event has no id");
  }
  if (type == nullptr || !type->is_string() || type->as_string().empty() || type->as_string().size() > 255) {
    return InvalidArgument("the event has no type");
  }
  if (created == nullptr || !created->is_int64()) return InvalidArgument("the event has no integer created");
  Accepted out{std::string(id->as_string()), std::string(type->as_string()), false};
  int64_t now = ToUnixMillis(clock_.Now());
  MTL_ASSIGN_OR_RETURN(
      auto inserted,
      db_.Execute(
          "INSERT INTO stripe_webhook_events (stripe_event_id, type, payload, event_created, status, next_attempt_at, "
          "created_at) VALUES ($1, $2, $3, $4, 'pending', $5, $5) ON CONFLICT (stripe_event_id) DO NOTHING",
          {out.stripe_event_id, out.type, std::string(payload), created->as_int64(), now}));
  out.duplicate = inserted.affected_rows == 0;
  return out;
}

const char* EventStatusName(EventStatus status) {
  switch (status) {
    case EventStatus::kPending: return "pending";
    case EventStatus::kProcessing: return "processing";
    case EventStatus::kProcessed: return "processed";
    case EventStatus::kFailed: return "failed";
    case EventStatus::kDead: return "dead";
  }
  return "pending";
}

std::optional<EventStatus> ParseEventStatus(std::string_view text) {
  for (EventStatus s : {EventStatus::kPending, EventStatus::kProcessing, EventStatus::kProcessed, EventStatus::kFailed,
                        EventStatus::kDead}) {
    if (text == EventStatusName(s)) return s;
  }
  return std::nullopt;
}

Result<Page<RecordedEvent>> WebhookInbox::List(std::optional<EventStatus> status, const PageRequest& page) {
  std::optional<int64_t> cursor;
  if (page.ByCursor()) {
    const std::string& text = page.after.empty() ? page.before : page.after;
    int64_t id = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (ec != std::errc() || end != text.data() + text.size()) {
      return InvalidParam(page.after.empty() ? "ending_before" : "starting_after", "no Stripe event " + text);
    }
    cursor = id;
  }
  bool reversed = !page.before.empty();
  std::string sql =
      "SELECT id, stripe_event_id, type, event_created, status, attempts, last_error, created_at, processed_at, "
      "outcome FROM stripe_webhook_events WHERE (CAST($1 AS TEXT) IS NULL OR status = $1)";
  if (cursor) sql += reversed ? " AND id > $4" : " AND id < $4";
  sql += reversed ? " ORDER BY id ASC" : " ORDER BY id DESC";
  sql += " LIMIT $2 OFFSET $3";
  std::vector<storage::Value> params = {
      status ? storage::Value(std::string(EventStatusName(*status))) : storage::Value(nullptr), page.limit + 1,
      cursor ? int64_t{0} : page.offset};
  if (cursor) params.emplace_back(*cursor);
  MTL_ASSIGN_OR_RETURN(auto rows, db_.Execute(sql, params));
  std::vector<RecordedEvent> out;
  for (const auto& r : rows.rows) {
    RecordedEvent e;
    e.id = r.Int(0);
    e.stripe_event_id = r.Text(1);
    e.type = r.Text(2);
    e.event_created = r.Int(3);
    e.status = ParseEventStatus(r.Text(4)).value_or(EventStatus::kPending);
    e.attempts = r.Int(5);
    e.last_error = r.OptText(6).value_or("");
    e.received_at = FromUnixMillis(r.Int(7));
    if (auto p = r.OptInt(8)) e.processed_at = FromUnixMillis(*p);
    e.outcome = r.OptText(9).value_or("");
    out.push_back(std::move(e));
  }
  return TrimPage(std::move(out), page, reversed);
}

}  // namespace meterline::stripe
