-- 0011_currency_mismatch.sql (postgres): a Stripe invoice billed in another
-- currency than ours is its own kind of finding, and what Stripe billed is kept
-- in Stripe's currency (src/reconciliation/).
-- Kept in step with ../sqlite/0011_currency_mismatch.sql. Never edit an applied migration: add a new file.

ALTER TABLE reconciliation_findings DROP CONSTRAINT reconciliation_findings_kind_check;
ALTER TABLE reconciliation_findings ADD CONSTRAINT reconciliation_findings_kind_check
  CHECK (kind IN ('amount_mismatch', 'missing_in_stripe', 'missing_internal', 'currency_mismatch'));
-- currency_mismatch: what Stripe billed in (billed_minor is in it).
ALTER TABLE reconciliation_findings ADD COLUMN billed_currency TEXT;
