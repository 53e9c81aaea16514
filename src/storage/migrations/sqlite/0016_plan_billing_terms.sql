-- 0016_plan_billing_terms.sql (sqlite): how a plan bills, the same in all its
-- versions, kept on the plan so that a subscription's periods and invoices
-- need no plan definition: every 1, 3 or 12 months (interval_months), and the
-- base fee at the end of its period (0) or at the start, with the usage of the
-- period before (base_fee_in_advance = 1). Existing plans: monthly, in arrears.
-- Kept in step with ../postgres/0016_plan_billing_terms.sql. Never edit an applied migration: add a new file.

ALTER TABLE plans ADD COLUMN interval_months INTEGER NOT NULL DEFAULT 1;
ALTER TABLE plans ADD COLUMN base_fee_in_advance INTEGER NOT NULL DEFAULT 0;
