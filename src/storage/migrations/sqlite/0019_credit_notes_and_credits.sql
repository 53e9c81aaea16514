-- 0019_credit_notes_and_credits.sql (sqlite): credit notes, prepaid credits, and
-- the outbox's third operation (sync_credit_note; the table is rebuilt as in 0018).
-- Kept in step with ../postgres/0019_credit_notes_and_credits.sql.
-- Never edit an applied migration: add a new file.
-- What an invoice has been credited: credit notes before payment (they lower
-- what is due), after payment (refunded or turned into credits), and prepaid
-- credits applied when it was finalized. amount_due_minor stays
-- total - credits applied - pre-payment credit notes - paid (never below 0).
ALTER TABLE invoices ADD COLUMN pre_payment_credit_minor BIGINT NOT NULL DEFAULT 0;
ALTER TABLE invoices ADD COLUMN post_payment_credit_minor BIGINT NOT NULL DEFAULT 0;
ALTER TABLE invoices ADD COLUMN credits_applied_minor BIGINT NOT NULL DEFAULT 0;

-- Credit notes: numbered CN-YYYY-NNNNNN from invoice_number_sequences
-- (issuer "CN"), immutable once written.
CREATE TABLE credit_notes (
  id TEXT PRIMARY KEY,                          -- "cn_…"
  number TEXT NOT NULL UNIQUE,
  invoice_id TEXT NOT NULL REFERENCES invoices(id),
  customer_id TEXT NOT NULL REFERENCES customers(id),
  currency TEXT NOT NULL,
  reason TEXT NOT NULL CHECK (reason IN ('duplicate', 'fraudulent', 'order_change', 'product_unsatisfactory')),
  memo TEXT,
  subtotal_minor BIGINT NOT NULL,
  tax_minor BIGINT NOT NULL,
  total_minor BIGINT NOT NULL CHECK (total_minor > 0),
  pre_payment_minor BIGINT NOT NULL,            -- lowered the amount due
  post_payment_minor BIGINT NOT NULL,           -- refunded or credited (refund_to)
  refund_to TEXT CHECK (refund_to IN ('credit_balance', 'stripe_refund')),
  stripe_credit_note_id TEXT,
  created_by TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX credit_notes_invoice_idx ON credit_notes (invoice_id, created_at);
CREATE INDEX credit_notes_customer_idx ON credit_notes (customer_id, created_at);

CREATE TABLE credit_note_lines (
  credit_note_id TEXT NOT NULL REFERENCES credit_notes(id),
  position INTEGER NOT NULL,
  invoice_line INTEGER,                         -- the invoice line's position; NULL for an amount
  description TEXT NOT NULL,
  quantity BIGINT,                              -- units credited, when given by quantity
  amount_minor BIGINT NOT NULL,
  PRIMARY KEY (credit_note_id, position)
);

-- Prepaid credits: grants (what is left of each kept in remaining_minor, in
-- step with the ledger) and the append-only ledger of every movement.
CREATE TABLE credit_grants (
  id TEXT PRIMARY KEY,                          -- "cg_…"
  customer_id TEXT NOT NULL REFERENCES customers(id),
  currency TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('grant', 'top_up', 'credit_note')),
  amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
  remaining_minor BIGINT NOT NULL CHECK (remaining_minor >= 0),
  priority INTEGER NOT NULL DEFAULT 0,          -- lower first
  expires_at BIGINT,                            -- NULL: never
  credit_note_id TEXT REFERENCES credit_notes(id),
  description TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX credit_grants_customer_idx ON credit_grants (customer_id, currency);

CREATE TABLE credit_ledger (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,                      -- "cle_…"
  customer_id TEXT NOT NULL REFERENCES customers(id),
  grant_id TEXT NOT NULL REFERENCES credit_grants(id),
  currency TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('granted', 'applied', 'expired')),
  amount_minor BIGINT NOT NULL,                 -- + granted, - applied or expired
  balance_after_minor BIGINT NOT NULL,          -- the customer's balance in this currency after it
  invoice_id TEXT REFERENCES invoices(id),
  description TEXT NOT NULL,
  actor TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX credit_ledger_customer_idx ON credit_ledger (customer_id, seq);

CREATE TABLE stripe_outbox_new (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  operation TEXT NOT NULL CHECK (operation IN ('sync_invoice', 'void_invoice', 'sync_credit_note')),
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
