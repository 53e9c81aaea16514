-- 0022_hosted_invoice_url.sql (sqlite): Stripe's hosted page where a customer
-- pays an invoice ("Pay now" in the console), kept from Stripe's invoice.
-- Kept in step with ../postgres/0022_hosted_invoice_url.sql.
-- Never edit an applied migration: add a new file.
ALTER TABLE invoices ADD COLUMN hosted_invoice_url TEXT;
