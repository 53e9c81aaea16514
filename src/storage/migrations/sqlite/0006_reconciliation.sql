-- 0006_reconciliation.sql (sqlite): stored reconciliation results and their
-- findings (src/reconciliation/). Kept in step with ../postgres/0006_reconciliation.sql.
-- Never edit an applied migration: add a new file.
CREATE TABLE reconciliations (
  id TEXT PRIMARY KEY,                                          -- "rec_…"
  period TEXT NOT NULL,                         -- "2025-01": periods starting in that month
  status TEXT NOT NULL CHECK (status IN ('completed')),
  actor TEXT NOT NULL,
  tolerance TEXT NOT NULL,                      -- exact decimal, e.g. "0.005"
  currency TEXT NOT NULL,                       -- of the totals
  subscriptions_checked BIGINT NOT NULL,
  invoices_compared BIGINT NOT NULL,
  findings_count BIGINT NOT NULL,
  expected_total_minor BIGINT NOT NULL,
  billed_total_minor BIGINT NOT NULL,
  discrepancy_total_minor BIGINT NOT NULL,      -- sum of |billed - expected| per invoice
  alert_raised INTEGER NOT NULL,
  created_at BIGINT NOT NULL,
  finished_at BIGINT NOT NULL
);
CREATE INDEX reconciliations_created_idx ON reconciliations (created_at);

CREATE TABLE reconciliation_findings (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  reconciliation_id TEXT NOT NULL REFERENCES reconciliations(id) ON DELETE CASCADE,
  customer_id TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('amount_mismatch', 'missing_in_stripe', 'missing_internal')),
  line TEXT NOT NULL,                           -- "total", "base_fee", "tax" or a metric id
  expected_minor BIGINT NOT NULL,
  billed_minor BIGINT NOT NULL,
  difference_minor BIGINT NOT NULL,             -- billed - expected
  currency TEXT NOT NULL,
  invoice_id TEXT,
  stripe_invoice_id TEXT
);
CREATE INDEX reconciliation_findings_rec_idx ON reconciliation_findings (reconciliation_id);
