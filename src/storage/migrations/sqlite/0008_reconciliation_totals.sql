-- 0008_reconciliation_totals.sql (sqlite): a reconciliation's totals per
-- currency (src/reconciliation/); amounts in different currencies are never
-- added, and each currency has its own alert threshold. The totals columns of
-- reconciliations keep the main currency's. Results stored before this
-- migration have no rows here (the API reports their one currency).
-- Kept in step with ../postgres/0008_reconciliation_totals.sql. Never edit an applied migration: add a new file.
CREATE TABLE reconciliation_totals (
  reconciliation_id TEXT NOT NULL REFERENCES reconciliations(id) ON DELETE CASCADE,
  currency TEXT NOT NULL,
  subscriptions_checked BIGINT NOT NULL,
  expected_total_minor BIGINT NOT NULL,
  billed_total_minor BIGINT NOT NULL,
  discrepancy_total_minor BIGINT NOT NULL,      -- sum of |billed - expected| per invoice
  alert_threshold_minor BIGINT NOT NULL,
  alert_raised INTEGER NOT NULL,
  PRIMARY KEY (reconciliation_id, currency)
);
