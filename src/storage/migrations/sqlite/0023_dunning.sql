-- 0023_dunning.sql (sqlite): dunning, one campaign per invoice whose payment
-- failed: retries on a schedule, then a final action (docs/dunning.md).
-- Kept in step with ../postgres/0023_dunning.sql.
-- Never edit an applied migration: add a new file.
-- compatible_with: 0022

CREATE TABLE dunning_campaigns (
  id TEXT PRIMARY KEY,                          -- "dun_…"
  invoice_id TEXT NOT NULL UNIQUE REFERENCES invoices(id),
  customer_id TEXT NOT NULL REFERENCES customers(id),
  subscription_id TEXT REFERENCES subscriptions(id),
  state TEXT NOT NULL CHECK (state IN ('active', 'recovered', 'exhausted', 'closed')),
  retry_offsets TEXT NOT NULL,                  -- seconds after started_at of each retry, "259200,604800,…"
  final_action TEXT NOT NULL CHECK (final_action IN ('mark_uncollectible', 'cancel_subscription', 'leave_past_due')),
  attempts INTEGER NOT NULL DEFAULT 0,          -- retries made (their outcome known)
  next_attempt_at BIGINT,                       -- NULL once it ended
  last_failure TEXT,                            -- the latest decline or error, for people
  started_at BIGINT NOT NULL,                   -- the first failure
  ended_at BIGINT,
  locked_until BIGINT,                          -- a worker's claim while it asks Stripe
  lock_token TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX dunning_campaigns_due_idx ON dunning_campaigns (state, next_attempt_at);
CREATE INDEX dunning_campaigns_customer_idx ON dunning_campaigns (customer_id, started_at);

-- Each retry's outcome: 'succeeded' or 'failed' (a decline); Stripe being
-- unreachable is no attempt, the same one is made again later.
CREATE TABLE dunning_attempts (
  campaign_id TEXT NOT NULL REFERENCES dunning_campaigns(id),
  attempt INTEGER NOT NULL,
  attempted_at BIGINT NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('succeeded', 'failed')),
  code TEXT NOT NULL DEFAULT '',                -- Stripe's decline or error code
  message TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (campaign_id, attempt)
);
