-- 0012_usage_event_order.sql (sqlite): a customer's usage events in time order,
-- for GET /api/v1/billing/usage/events (newest first, keyset paging).
-- Without it a page scans all of the customer's events.
-- The key is (customer_id, occurred_at) and, implicitly, the rowid: events of one
-- millisecond are ordered by when they were stored. Leaving event_id out keeps
-- the index an append at the end for events near "now", so ingestion pays little
-- for it (an index with event_id cost about 40 % of bench/ingest/run).
-- Kept in step with ../postgres/0012_usage_event_order.sql. Never edit an applied migration: add a new file.

CREATE INDEX usage_events_by_time ON usage_events (customer_id, occurred_at);
