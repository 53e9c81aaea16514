-- The cluster layout's front tables, created on the node billingd talks to
-- (CLICKHOUSE_URL). Rows go to shard cityHash64(customer_id): all of one
-- customer's events and rollups live on one shard, so the per-customer
-- duplicate check and the rollup sums are shard-local.
CREATE TABLE IF NOT EXISTS usage_events AS usage_events_local
ENGINE = Distributed({cluster}, {database}, usage_events_local, cityHash64(customer_id));

CREATE TABLE IF NOT EXISTS usage_hourly AS usage_hourly_local
ENGINE = Distributed({cluster}, {database}, usage_hourly_local, cityHash64(customer_id));

-- The rollups before 0002_aggregations.sql.
DROP TABLE IF EXISTS usage_rollups_hourly;
