-- 0012_usage_event_order.sql (postgres): a customer's usage events in time order,
-- for GET /api/v1/billing/usage/events (newest first, keyset paging on
-- (occurred_at, event_id)). Without it a page scans all of the customer's events.
-- SQLite orders events of one millisecond by rowid instead (see its 0012).
-- On a large table this CREATE INDEX blocks ingestion while it builds; build it
-- beforehand with CREATE INDEX CONCURRENTLY under this name to avoid that.
-- Kept in step with ../sqlite/0012_usage_event_order.sql. Never edit an applied migration: add a new file.

CREATE INDEX IF NOT EXISTS usage_events_by_time ON usage_events (customer_id, occurred_at, event_id);
