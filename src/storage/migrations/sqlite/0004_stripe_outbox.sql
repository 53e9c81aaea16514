-- 0004_stripe_outbox.sql (sqlite): work for Stripe, written in the same
-- transaction as the change that needs it (finalizing an invoice), sent by a
-- worker. Kept in step with ../postgres/0004_stripe_outbox.sql.
-- Never edit an applied migration: add a new file.
CREATE TABLE stripe_outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  operation TEXT NOT NULL CHECK (operation IN ('sync_invoice')),
  object_id TEXT NOT NULL,                     -- our id, e.g. "inv_…"
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'processing', 'done', 'failed', 'dead')),
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  next_attempt_at BIGINT NOT NULL,
  locked_until BIGINT,                          -- a worker's claim on a 'processing' row
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  UNIQUE (operation, object_id)
);
CREATE INDEX stripe_outbox_due_idx ON stripe_outbox (status, next_attempt_at);
