-- 0010_customer_identity.sql (sqlite): customers carry the id the ad platform
-- already uses for a publisher, and free-form metadata (src/customers/).
-- Kept in step with ../postgres/0010_customer_identity.sql. Never edit an applied migration: add a new file.

-- external_id: unique when set (NULLs do not collide); usage events may name
-- the customer by it.
ALTER TABLE customers ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX customers_external_id_idx ON customers (external_id);
-- metadata: a JSON object of string values (Stripe's limits: 50 keys, keys up
-- to 40 characters, values up to 500).
ALTER TABLE customers ADD COLUMN metadata TEXT NOT NULL DEFAULT '{}';
