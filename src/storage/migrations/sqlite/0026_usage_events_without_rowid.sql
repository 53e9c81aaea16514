-- 0026_usage_events_without_rowid.sql (sqlite): usage_events becomes a
-- WITHOUT ROWID table keyed by (customer_id, event_id), so storing an event
-- writes one B-tree for the row and its dedupe key instead of two (the rowid
-- table and its primary-key index), plus the time index. The table is rebuilt
-- with its rows, so every stored event keeps deduplicating. Events of one
-- millisecond are now listed by event id (the time index carries the key), as
-- on PostgreSQL. Kept in step with ../postgres/0026_usage_events_without_rowid.sql.
-- Never edit an applied migration: add a new file.
-- A contract step: billingd before it lists events by rowid, which this table has not.
-- compatible_with: none

CREATE TABLE usage_events_next (
  customer_id TEXT NOT NULL REFERENCES customers(id),
  event_id TEXT NOT NULL,
  metric TEXT NOT NULL,
  value BIGINT NOT NULL CHECK (value >= 0),
  occurred_at BIGINT NOT NULL,                 -- the event's timestamp, ms since epoch UTC
  received_at BIGINT NOT NULL,
  properties TEXT,
  PRIMARY KEY (customer_id, event_id)
) WITHOUT ROWID;
INSERT INTO usage_events_next (customer_id, event_id, metric, value, occurred_at, received_at, properties)
  SELECT customer_id, event_id, metric, value, occurred_at, received_at, properties FROM usage_events;
DROP TABLE usage_events;
ALTER TABLE usage_events_next RENAME TO usage_events;
CREATE INDEX usage_events_by_time ON usage_events (customer_id, occurred_at);
