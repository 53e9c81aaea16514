-- 0003_metering.sql (sqlite): usage events and hourly rollups.
-- Kept in step with ../postgres/0003_metering.sql.
-- Never edit an applied migration: add a new file.

-- usage_events: every accepted event once. The key is (customer, event id)
-- only: a resend with another timestamp or value is still the same event.
CREATE TABLE usage_events (
  customer_id TEXT NOT NULL REFERENCES customers(id),
  event_id TEXT NOT NULL,
  metric TEXT NOT NULL,
  value BIGINT NOT NULL CHECK (value >= 0),
  occurred_at BIGINT NOT NULL,                 -- the event's timestamp, ms since epoch UTC
  received_at BIGINT NOT NULL,
  properties TEXT,
  PRIMARY KEY (customer_id, event_id)
);

-- usage_rollups_hourly: totals per customer, metric and hour, changed in the
-- same transaction as the events they count.
CREATE TABLE usage_rollups_hourly (
  customer_id TEXT NOT NULL REFERENCES customers(id),
  metric TEXT NOT NULL,
  hour_start BIGINT NOT NULL,                  -- ms since epoch, a whole UTC hour
  total BIGINT NOT NULL,
  events BIGINT NOT NULL,
  PRIMARY KEY (customer_id, metric, hour_start)
);
