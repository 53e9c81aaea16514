-- 0017_subscription_changes.sql (sqlite): plan changes and cancellations
-- (src/subscriptions/). A phase (a row of subscription_plan_versions) now
-- names its plan as well as its version, since a plan change moves a
-- subscription to another plan; one starting inside a billing period splits
-- it. `source` says who made it: 'create', 'migrate' (a version move) or
-- 'change' (a plan change, which can be withdrawn before it applies).
-- A cancellation sets subscriptions.ends_at: nothing is billed from then on.
-- Kept in step with ../postgres/0017_subscription_changes.sql. Never edit an applied migration: add a new file.

ALTER TABLE subscription_plan_versions ADD COLUMN plan_id TEXT NOT NULL DEFAULT '';
ALTER TABLE subscription_plan_versions ADD COLUMN source TEXT NOT NULL DEFAULT 'migrate';
UPDATE subscription_plan_versions SET plan_id = (SELECT s.plan_id FROM subscriptions s WHERE s.id = subscription_id);
UPDATE subscription_plan_versions SET source = 'create' WHERE effective_from = 0;
ALTER TABLE subscriptions ADD COLUMN ends_at BIGINT;
