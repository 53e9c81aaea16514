-- 0013_usage_lines.sql (sqlite): invoice lines of the charge models beyond
-- included-then-overage (src/pricing/): a 'usage' line prices a slice of a
-- metric's usage (per unit, a graduated or volume tier, packages, a tier's flat
-- amount), a 'minimum' line is a minimum commitment's true-up.
-- Kept in step with ../postgres/0013_usage_lines.sql. Never edit an applied migration: add a new file.

-- SQLite cannot change a CHECK constraint: the table is rebuilt with its rows.
CREATE TABLE invoice_line_items_next (
  id TEXT PRIMARY KEY,                         -- "il_…"
  invoice_id TEXT NOT NULL REFERENCES invoices(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('base_fee', 'overage', 'usage', 'minimum', 'adjustment')),
  metric TEXT,
  description TEXT NOT NULL,
  quantity BIGINT NOT NULL,
  unit_price TEXT NOT NULL,                    -- exact decimal, e.g. "0.0005"
  amount_minor BIGINT NOT NULL,
  UNIQUE (invoice_id, position)
);
INSERT INTO invoice_line_items_next (id, invoice_id, position, kind, metric, description, quantity, unit_price,
                                     amount_minor)
  SELECT id, invoice_id, position, kind, metric, description, quantity, unit_price, amount_minor
  FROM invoice_line_items;
DROP TABLE invoice_line_items;
ALTER TABLE invoice_line_items_next RENAME TO invoice_line_items;
