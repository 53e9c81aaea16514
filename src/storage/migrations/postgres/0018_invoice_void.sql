-- 0018_invoice_void.sql (postgres): voiding an invoice is sent to Stripe through
-- the outbox too ('void_invoice'), so the outbox takes a second operation.
-- Kept in step with ../sqlite/0018_invoice_void.sql.
-- Never edit an applied migration: add a new file.
ALTER TABLE stripe_outbox DROP CONSTRAINT stripe_outbox_operation_check;
ALTER TABLE stripe_outbox ADD CONSTRAINT stripe_outbox_operation_check
  CHECK (operation IN ('sync_invoice', 'void_invoice'));
