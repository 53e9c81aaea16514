-- 0020_trials.sql (postgres): Meterline's own free trials, and whether a customer
-- has a payment method on file (their trial's end may require one).
-- Kept in step with ../sqlite/0020_trials.sql.
-- Never edit an applied migration: add a new file.
-- A trial runs from trial_start to billing_anchor (its end; the periods run
-- from there); trial_end mirrors it (Stripe's own trials set only trial_end).
ALTER TABLE subscriptions ADD COLUMN trial_start BIGINT;
-- When subscription.trial_will_end was published (once, 3 days before).
ALTER TABLE subscriptions ADD COLUMN trial_notice_at BIGINT;
-- The customer's default payment method in Stripe ("pm_…"), kept from
-- Stripe's customer and payment_method webhooks; NULL: none on file.
ALTER TABLE customers ADD COLUMN default_payment_method TEXT;
