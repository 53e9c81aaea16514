-- 0027_usage_events_customer_check_per_rollup.sql (postgres): usage_events no
-- longer has a foreign key to customers. Its check ran once per stored event
-- (a trigger that looks up and locks the customer's row): a quarter of the
-- server's CPU at ingestion's rates (docs/benchmarks.md). The invariant holds
-- without it, checked once per hourly rollup instead: every event the usage
-- store keeps adds to its customer's rollup in usage_rollups_hourly, in the
-- same transaction, and that table keeps its foreign key, so an event of a
-- customer that does not exist rolls its whole batch back (ingestion refuses
-- unknown customers before writing, and customers are never deleted). On
-- SQLite nothing changes (see ../sqlite/0027_usage_events_customer_check_per_rollup.sql).
-- Never edit an applied migration: add a new file.
-- compatible_with: 0026

ALTER TABLE usage_events DROP CONSTRAINT IF EXISTS usage_events_customer_id_fkey;
