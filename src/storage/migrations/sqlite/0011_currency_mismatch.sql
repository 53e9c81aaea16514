-- 0011_currency_mismatch.sql (sqlite): a Stripe invoice billed in another
-- currency than ours is its own kind of finding, and what Stripe billed is kept
-- in Stripe's currency (src/reconciliation/).
-- Kept in step with ../postgres/0011_currency_mismatch.sql. Never edit an applied migration: add a new file.

-- SQLite cannot change a CHECK constraint: the table is rebuilt with its rows.
CREATE TABLE reconciliation_findings_next (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  reconciliation_id TEXT NOT NULL REFERENCES reconciliations(id) ON DELETE CASCADE,
  customer_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('amount_mismatch', 'missing_in_stripe', 'missing_internal', 'currency_mismatch')),
  line TEXT NOT NULL,                           -- "total", "base_fee", "tax" or a metric id
  expected_minor BIGINT NOT NULL,
  billed_minor BIGINT NOT NULL,                 -- in billed_currency when set
  difference_minor BIGINT NOT NULL,             -- billed - expected (currency_mismatch: -expected)
  currency TEXT NOT NULL,
  invoice_id TEXT,
  stripe_invoice_id TEXT,
  billed_currency TEXT                          -- currency_mismatch: what Stripe billed in
);
INSERT INTO reconciliation_findings_next (id, reconciliation_id, customer_id, kind, line, expected_minor, billed_minor,
                                          difference_minor, currency, invoice_id, stripe_invoice_id)
  SELECT id, reconciliation_id, customer_id, kind, line, expected_minor, billed_minor, difference_minor, currency,
         invoice_id, stripe_invoice_id
  FROM reconciliation_findings;
DROP TABLE reconciliation_findings;
ALTER TABLE reconciliation_findings_next RENAME TO reconciliation_findings;
CREATE INDEX reconciliation_findings_rec_idx ON reconciliation_findings (reconciliation_id);
