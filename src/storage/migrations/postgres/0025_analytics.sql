-- 0025_analytics.sql (postgres): the billing analytics' summaries (docs/analytics.md),
-- rebuilt from invoices and subscriptions by the analytics refresh, so that each
-- analytics route reads a few small rows. Kept in step with ../sqlite/0025_analytics.sql.
-- Never edit an applied migration: add a new file.
-- compatible_with: 0024

-- One row per currency and month ('YYYY-MM', UTC). MRR is kept ×12 ("twelfths"):
-- base fees of 1-, 3- and 12-month plans normalise to a month exactly.
CREATE TABLE analytics_months (
  currency TEXT NOT NULL,
  month TEXT NOT NULL,
  mrr_twelfths BIGINT NOT NULL,
  new_twelfths BIGINT NOT NULL,
  expansion_twelfths BIGINT NOT NULL,
  contraction_twelfths BIGINT NOT NULL,
  churned_twelfths BIGINT NOT NULL,
  reactivation_twelfths BIGINT NOT NULL,
  paying_customers BIGINT NOT NULL,
  retained_12m_twelfths BIGINT NOT NULL,     -- MRR now of the customers paying 12 months before
  base_12m_twelfths BIGINT NOT NULL,         -- their MRR 12 months before
  revenue_minor BIGINT NOT NULL,             -- invoiced before tax: base fees + usage + other
  base_fee_minor BIGINT NOT NULL,
  usage_minor BIGINT NOT NULL,
  other_minor BIGINT NOT NULL,
  PRIMARY KEY (currency, month)
);

-- Revenue of a month by metric (usage lines) and by plan (all lines).
CREATE TABLE analytics_revenue (
  currency TEXT NOT NULL,
  month TEXT NOT NULL,
  dimension TEXT NOT NULL CHECK (dimension IN ('metric', 'plan')),
  dimension_key TEXT NOT NULL,
  amount_minor BIGINT NOT NULL,
  PRIMARY KEY (currency, month, dimension, dimension_key)
);

-- The 100 largest customers of the last 12 months, by revenue and by usage revenue.
CREATE TABLE analytics_top_customers (
  currency TEXT NOT NULL,
  ranking TEXT NOT NULL CHECK (ranking IN ('revenue', 'usage')),
  position INTEGER NOT NULL,
  customer_id TEXT NOT NULL,
  customer_name TEXT NOT NULL,
  revenue_minor BIGINT NOT NULL,
  usage_minor BIGINT NOT NULL,
  PRIMARY KEY (currency, ranking, position)
);

-- Invoices by status, all time.
CREATE TABLE analytics_invoice_status (
  currency TEXT NOT NULL,
  status TEXT NOT NULL,
  invoices BIGINT NOT NULL,
  total_minor BIGINT NOT NULL,
  PRIMARY KEY (currency, status)
);

-- When the summaries were last rebuilt (one row).
CREATE TABLE analytics_refresh (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  refreshed_at BIGINT NOT NULL,
  duration_ms BIGINT NOT NULL,
  invoices BIGINT NOT NULL,
  customers BIGINT NOT NULL
);

-- Exports read usage rollups of a time range in this order, a page at a time
-- (rollup updates change no indexed column, so ingestion rarely touches it).
CREATE INDEX usage_rollups_hour_idx ON usage_rollups_hourly (hour_start, customer_id, metric);

-- Accounts receivable aging reads open invoices from this index alone.
CREATE INDEX invoices_receivable_idx ON invoices (status, currency, due_at, amount_due_minor, amount_paid_minor);
