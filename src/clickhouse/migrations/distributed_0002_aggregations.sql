-- The front's Distributed usage_events gains the column its shards gained in
-- 0002_aggregations.sql (a cluster created after it has it already). Runs once
-- on the front node.
ALTER TABLE usage_events ADD COLUMN derived Array(String);
