-- 0024_budgets.sql (sqlite): a customer's monthly budget, and the budget
-- alerts already sent in a period, so that each is sent once (docs/forecasting.md).
-- Kept in step with ../postgres/0024_budgets.sql.
-- Never edit an applied migration: add a new file.
-- compatible_with: 0023

CREATE TABLE customer_budgets (
  customer_id TEXT PRIMARY KEY REFERENCES customers(id),
  amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),  -- in the customer's currency, per billing period
  currency TEXT NOT NULL,
  updated_by TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

CREATE TABLE budget_alerts (
  customer_id TEXT NOT NULL REFERENCES customers(id),
  period_start BIGINT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('threshold', 'forecast')),
  threshold_percent INTEGER NOT NULL,  -- 50, 80, 100; 0 for the forecast
  created_at BIGINT NOT NULL,
  PRIMARY KEY (customer_id, period_start, kind, threshold_percent)
);
