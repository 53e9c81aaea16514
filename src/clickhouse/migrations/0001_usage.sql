-- Usage events and hourly rollups in ClickHouse (CLICKHOUSE_URL).
-- Runs on ClickHouse 18.16 (Debian 12) and current releases: no DateTime64,
-- no LowCardinality, no query parameters; times are Int64 milliseconds UTC,
-- as in the transactional schema.
-- {local} is "" on a single node and "_local" on each shard of a cluster,
-- where Distributed tables of the plain names sit in front (distributed.sql).
-- Every statement is idempotent: migrations run in full at each 'billingd migrate'.

-- Raw events. ORDER BY (customer_id, event_id) is the idempotency key; billingd
-- inserts only ids it has not stored (see docs/clickhouse.md), and the
-- ReplacingMergeTree folds any duplicate that reaches one month's partition
-- anyway, keeping the first-received version (smallest received_at).
CREATE TABLE IF NOT EXISTS usage_events{local} (
  customer_id String,
  event_id String,
  metric String,
  value Int64,
  occurred_at Int64,
  received_at Int64,
  properties String
) ENGINE = ReplacingMergeTree(received_at)
PARTITION BY toYYYYMM(toDateTime(intDiv(occurred_at, 1000)))
ORDER BY (customer_id, event_id);

-- Hourly totals. Rows with one key are summed by merges; readers always
-- aggregate with sum(), so unmerged parts never show.
CREATE TABLE IF NOT EXISTS usage_rollups_hourly{local} (
  customer_id String,
  metric String,
  hour_start Int64,
  total Int64,
  events Int64
) ENGINE = SummingMergeTree((total, events))
PARTITION BY toYYYYMM(toDateTime(intDiv(hour_start, 1000)))
ORDER BY (customer_id, metric, hour_start);

-- Every insert into the events table adds its hourly sums here, inside the
-- same INSERT on the server.
CREATE MATERIALIZED VIEW IF NOT EXISTS usage_rollups_hourly_mv{local} TO usage_rollups_hourly{local} AS
SELECT customer_id, metric, intDiv(occurred_at, 3600000) * 3600000 AS hour_start,
       sum(value) AS total, toInt64(count()) AS events
FROM usage_events{local}
GROUP BY customer_id, metric, hour_start;
