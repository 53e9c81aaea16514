-- 0018_invoice_void.sql (sqlite): voiding an invoice is sent to Stripe through
-- the outbox too ('void_invoice'), so the outbox takes a second operation.
-- SQLite cannot change a CHECK constraint: the table is rebuilt with its rows
-- and ids. Kept in step with ../postgres/0018_invoice_void.sql.
-- Never edit an applied migration: add a new file.
CREATE TABLE stripe_outbox_new (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  operation TEXT NOT NULL CHECK (operation IN ('sync_invoice', 'void_invoice')),
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
INSERT INTO stripe_outbox_new (id, operation, object_id, status, attempts, last_error, next_attempt_at, locked_until,
                               created_at, updated_at)
  SELECT id, operation, object_id, status, attempts, last_error, next_attempt_at, locked_until, created_at, updated_at
  FROM stripe_outbox;
DROP TABLE stripe_outbox;
ALTER TABLE stripe_outbox_new RENAME TO stripe_outbox;
CREATE INDEX stripe_outbox_due_idx ON stripe_outbox (status, next_attempt_at);
