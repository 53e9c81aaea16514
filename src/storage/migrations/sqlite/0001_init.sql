-- 0001_init.sql (sqlite): the billing tables of the spec.
-- Kept in step with ../postgres/0001_init.sql: same tables and columns, each in its dialect.
-- Never edit an applied migration: add a new file.

-- customers: the organisations we bill.
CREATE TABLE customers (
  id TEXT PRIMARY KEY,                         -- "cus_…"
  name TEXT NOT NULL,
  email TEXT,
  country TEXT,                                -- ISO 3166-1 alpha-2
  currency TEXT NOT NULL DEFAULT 'USD',        -- ISO 4217
  stripe_customer_id TEXT UNIQUE,
  created_at BIGINT NOT NULL,                  -- ms since epoch, UTC (all *_at columns)
  updated_at BIGINT NOT NULL
);

-- plans: mirrored from the catalog file at start (limits and prices in definition).
CREATE TABLE plans (
  id TEXT PRIMARY KEY,                         -- "starter", "growth", …
  name TEXT NOT NULL,
  currency TEXT NOT NULL,
  base_fee_minor BIGINT NOT NULL,              -- money: integer minor units
  definition TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

-- subscriptions: one per customer; monthly periods [start, end) in UTC.
CREATE TABLE subscriptions (
  id TEXT PRIMARY KEY,                         -- "sub_…"
  customer_id TEXT NOT NULL UNIQUE REFERENCES customers(id),
  plan_id TEXT NOT NULL REFERENCES plans(id),
  status TEXT NOT NULL CHECK (status IN ('trialing', 'active', 'past_due', 'canceled')),
  billing_anchor BIGINT NOT NULL,
  current_period_start BIGINT NOT NULL,
  current_period_end BIGINT NOT NULL,
  trial_end BIGINT,
  canceled_at BIGINT,
  stripe_subscription_id TEXT UNIQUE,
  stripe_status_at BIGINT,                     -- `created` of the last Stripe event applied
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX subscriptions_status_idx ON subscriptions (status);

-- invoices: one per subscription and period (the unique constraint makes runs exactly-once).
CREATE TABLE invoices (
  id TEXT PRIMARY KEY,                         -- "inv_…"
  number TEXT UNIQUE,                          -- "INV-2025-000123"; NULL while draft
  customer_id TEXT NOT NULL REFERENCES customers(id),
  subscription_id TEXT REFERENCES subscriptions(id),
  period_start BIGINT NOT NULL,
  period_end BIGINT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('draft', 'open', 'paid', 'void', 'uncollectible')),
  currency TEXT NOT NULL,
  subtotal_minor BIGINT NOT NULL DEFAULT 0,
  tax_minor BIGINT NOT NULL DEFAULT 0,
  total_minor BIGINT NOT NULL DEFAULT 0,
  amount_due_minor BIGINT NOT NULL DEFAULT 0,
  amount_paid_minor BIGINT NOT NULL DEFAULT 0,
  amount_refunded_minor BIGINT NOT NULL DEFAULT 0,
  tax_rate TEXT,                               -- exact decimal, e.g. "0.19"; NULL = no tax
  due_at BIGINT,
  stripe_invoice_id TEXT UNIQUE,
  stripe_status_at BIGINT,
  failed_payment_count INTEGER NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  finalized_at BIGINT,
  paid_at BIGINT,
  voided_at BIGINT,
  updated_at BIGINT NOT NULL,
  UNIQUE (subscription_id, period_start)
);
CREATE INDEX invoices_customer_created_idx ON invoices (customer_id, created_at);
CREATE INDEX invoices_status_idx ON invoices (status);
CREATE INDEX invoices_created_idx ON invoices (created_at);

CREATE TABLE invoice_line_items (
  id TEXT PRIMARY KEY,                         -- "il_…"
  invoice_id TEXT NOT NULL REFERENCES invoices(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('base_fee', 'overage', 'adjustment')),
  metric TEXT,
  description TEXT NOT NULL,
  quantity BIGINT NOT NULL,
  unit_price TEXT NOT NULL,                    -- exact decimal, e.g. "0.0005"
  amount_minor BIGINT NOT NULL,
  UNIQUE (invoice_id, position)
);

-- Gap-free invoice numbers: one counter per issuer and year, advanced in the
-- same transaction that finalizes the invoice.
CREATE TABLE invoice_number_sequences (
  issuer TEXT NOT NULL,
  year INTEGER NOT NULL,
  next_value BIGINT NOT NULL,
  PRIMARY KEY (issuer, year)
);

-- billing_audit: append-only record of who did what.
CREATE TABLE billing_audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  customer_id TEXT,
  data TEXT,
  ip TEXT,
  user_agent TEXT,
  created_at BIGINT NOT NULL
);
CREATE INDEX billing_audit_customer_idx ON billing_audit (customer_id);
CREATE INDEX billing_audit_created_idx ON billing_audit (created_at);
CREATE INDEX billing_audit_action_idx ON billing_audit (action);

-- billing_idempotency: client idempotency keys (24 h), per scope.
CREATE TABLE billing_idempotency (
  scope TEXT NOT NULL,
  key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('in_progress', 'completed')),
  response TEXT,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  PRIMARY KEY (scope, key)
);
CREATE INDEX billing_idempotency_expires_idx ON billing_idempotency (expires_at);

-- usage_alerts: one row per customer, metric, period and threshold crossed.
CREATE TABLE usage_alerts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  customer_id TEXT NOT NULL REFERENCES customers(id),
  metric TEXT NOT NULL,
  period_start BIGINT NOT NULL,
  threshold_percent INTEGER NOT NULL,
  usage BIGINT NOT NULL,
  usage_limit BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE (customer_id, metric, period_start, threshold_percent)
);

-- events: the asynchronous work queue (notifications, alerts).
CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  type TEXT NOT NULL,
  customer_id TEXT,
  payload TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'processing', 'done', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  available_at BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  processed_at BIGINT
);
CREATE INDEX events_status_available_idx ON events (status, available_at);

-- stripe_webhook_events: each Stripe event once (unique on its id).
CREATE TABLE stripe_webhook_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  stripe_event_id TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  payload TEXT NOT NULL,
  event_created BIGINT NOT NULL,
  processed INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'processing', 'processed', 'failed', 'dead')),
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  next_attempt_at BIGINT,
  created_at BIGINT NOT NULL,
  processed_at BIGINT
);
CREATE INDEX stripe_webhook_events_processed_idx ON stripe_webhook_events (processed);
CREATE INDEX stripe_webhook_events_created_idx ON stripe_webhook_events (created_at);

-- job_leases: background jobs take a lease so two instances never run one twice.
CREATE TABLE job_leases (
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  expires_at BIGINT NOT NULL
);
