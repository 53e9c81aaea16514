-- 0015_rollup_aggregations.sql (sqlite): what the count, max and last
-- aggregations need in each hourly rollup (catalog::Aggregation); "events"
-- already counts them. latest is the value of the hour's latest event (by
-- timestamp, the larger value on a tie) and latest_at its timestamp.
-- Existing rollups are filled from their events, which are all kept.
-- Kept in step with ../postgres/0015_rollup_aggregations.sql. Never edit an applied migration: add a new file.

ALTER TABLE usage_rollups_hourly ADD COLUMN peak BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_rollups_hourly ADD COLUMN latest BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_rollups_hourly ADD COLUMN latest_at BIGINT NOT NULL DEFAULT 0;

UPDATE usage_rollups_hourly SET
  peak = COALESCE((SELECT MAX(e.value) FROM usage_events e
                   WHERE e.customer_id = usage_rollups_hourly.customer_id AND e.metric = usage_rollups_hourly.metric
                     AND e.occurred_at >= usage_rollups_hourly.hour_start
                     AND e.occurred_at < usage_rollups_hourly.hour_start + 3600000), 0),
  latest = COALESCE((SELECT e.value FROM usage_events e
                     WHERE e.customer_id = usage_rollups_hourly.customer_id AND e.metric = usage_rollups_hourly.metric
                       AND e.occurred_at >= usage_rollups_hourly.hour_start
                       AND e.occurred_at < usage_rollups_hourly.hour_start + 3600000
                     ORDER BY e.occurred_at DESC, e.value DESC LIMIT 1), 0),
  latest_at = COALESCE((SELECT MAX(e.occurred_at) FROM usage_events e
                        WHERE e.customer_id = usage_rollups_hourly.customer_id
                          AND e.metric = usage_rollups_hourly.metric
                          AND e.occurred_at >= usage_rollups_hourly.hour_start
                          AND e.occurred_at < usage_rollups_hourly.hour_start + 3600000), 0);
