-- Hourly rollups for every aggregation (sum, count, max, last) and for derived
-- metrics (catalog metrics with an "event" or "filter" of their own).
-- Runs once per node (recorded in schema_migrations). Stop ingestion while it
-- runs: events written between the backfill and the new views would be missed.
--
-- usage_events.derived: the derived metric ids an event counts toward, decided
-- by billingd at ingestion (catalog::Catalog::DerivedMetricsOf).
ALTER TABLE usage_events{local} ADD COLUMN derived Array(String);

-- One row per (customer, metric, hour) once merged. A SummingMergeTree with no
-- column list adds total and events and merges the aggregate states: peak is
-- the largest value, latest the value of the largest (occurred_at, value), so
-- the latest event wins and a tie goes to the larger value. Readers always
-- aggregate (sum, maxMerge, argMaxMerge), so unmerged parts never show.
CREATE TABLE IF NOT EXISTS usage_hourly{local} (
  customer_id String,
  metric String,
  hour_start Int64,
  total Int64,
  events Int64,
  peak AggregateFunction(max, Int64),
  latest AggregateFunction(argMax, Int64, Tuple(Int64, Int64))
) ENGINE = SummingMergeTree()
PARTITION BY toYYYYMM(toDateTime(intDiv(hour_start, 1000)))
ORDER BY (customer_id, metric, hour_start);

-- Filled from the events once, while it is still empty.
INSERT INTO usage_hourly{local}
SELECT customer_id, metric, intDiv(occurred_at, 3600000) * 3600000 AS hour_start, sum(value), toInt64(count()),
       maxState(value), argMaxState(value, (occurred_at, value))
FROM usage_events{local} FINAL
WHERE (SELECT count() FROM usage_hourly{local}) = 0
GROUP BY customer_id, metric, hour_start;

DROP TABLE IF EXISTS usage_rollups_hourly_mv{local};

-- Each insert into the events table adds to the rollup of its metric name…
CREATE MATERIALIZED VIEW IF NOT EXISTS usage_hourly_mv{local} TO usage_hourly{local} AS
SELECT customer_id, metric, intDiv(occurred_at, 3600000) * 3600000 AS hour_start,
       sum(value) AS total, toInt64(count()) AS events,
       maxState(value) AS peak, argMaxState(value, (occurred_at, value)) AS latest
FROM usage_events{local}
GROUP BY customer_id, metric, hour_start;

-- …and to those of the derived metrics it counts toward, in the same INSERT.
CREATE MATERIALIZED VIEW IF NOT EXISTS usage_hourly_derived_mv{local} TO usage_hourly{local} AS
SELECT customer_id, derived_metric AS metric, intDiv(occurred_at, 3600000) * 3600000 AS hour_start,
       sum(value) AS total, toInt64(count()) AS events,
       maxState(value) AS peak, argMaxState(value, (occurred_at, value)) AS latest
FROM usage_events{local} ARRAY JOIN derived AS derived_metric
GROUP BY customer_id, derived_metric, hour_start;

DROP TABLE IF EXISTS usage_rollups_hourly{local};
