-- 0005_webhook_processing.sql (postgres): what processing a Stripe event did.
-- outcome: "applied: …", "ignored: …" (unhandled type, not ours, stale);
-- NULL until processed. While an event is 'processing', next_attempt_at is
-- the end of the worker's claim. Kept in step with ../sqlite/0005_webhook_processing.sql.
-- Never edit an applied migration: add a new file.
ALTER TABLE stripe_webhook_events ADD COLUMN outcome TEXT;
CREATE INDEX stripe_webhook_events_due_idx ON stripe_webhook_events (status, next_attempt_at);
