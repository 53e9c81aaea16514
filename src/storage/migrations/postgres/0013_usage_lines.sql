-- 0013_usage_lines.sql (postgres): invoice lines of the charge models beyond
-- included-then-overage (src/pricing/): a 'usage' line prices a slice of a
-- metric's usage (per unit, a graduated or volume tier, packages, a tier's flat
-- amount), a 'minimum' line is a minimum commitment's true-up.
-- Kept in step with ../sqlite/0013_usage_lines.sql. Never edit an applied migration: add a new file.

ALTER TABLE invoice_line_items DROP CONSTRAINT invoice_line_items_kind_check;
ALTER TABLE invoice_line_items ADD CONSTRAINT invoice_line_items_kind_check
  CHECK (kind IN ('base_fee', 'overage', 'usage', 'minimum', 'adjustment'));
