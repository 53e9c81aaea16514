-- 0014_plan_versions.sql (sqlite): plans become versioned rows managed through
-- the API (src/plans/plan_book.hpp). A price change is a new row of
-- plan_versions; a subscription keeps the version it started on until it is
-- moved, and subscription_plan_versions says which version prices each period,
-- so a closed period is never re-priced with a newer version.
-- Version 1 of each plan is written at start from the catalog (CATALOG_PATH or
-- the built-in one) when plan_versions is empty, so an upgraded database keeps
-- billing with the prices it had.
-- Kept in step with ../postgres/0014_plan_versions.sql. Never edit an applied migration: add a new file.

ALTER TABLE plans ADD COLUMN archived_at BIGINT;  -- no new subscriptions once set; existing ones keep billing

CREATE TABLE plan_versions (
  plan_id TEXT NOT NULL REFERENCES plans(id),
  version BIGINT NOT NULL CHECK (version >= 1),
  effective_at BIGINT NOT NULL,               -- new subscriptions from this instant get this version
  definition TEXT NOT NULL,                   -- the plan as JSON (catalog::PlanDefinition)
  created_by TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (plan_id, version)
);

CREATE TABLE subscription_plan_versions (
  subscription_id TEXT NOT NULL REFERENCES subscriptions(id),
  effective_from BIGINT NOT NULL,             -- periods starting at or after this instant use plan_version
  plan_version BIGINT NOT NULL CHECK (plan_version >= 1),
  created_by TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (subscription_id, effective_from)
);

-- Every existing subscription is on version 1 of its plan from the start.
INSERT INTO subscription_plan_versions (subscription_id, effective_from, plan_version, created_by, created_at)
  SELECT id, 0, 1, 'migration', created_at FROM subscriptions;
