-- 0021_webhook_endpoints.sql (sqlite): outgoing webhooks. The events table is
-- their outbox: each event is fanned out once into a delivery per matching
-- endpoint, and each delivery is tried until it succeeds or its retry window
-- closes (docs/webhooks.md).
-- Kept in step with ../postgres/0021_webhook_endpoints.sql.
-- Never edit an applied migration: add a new file.

-- The id an event is delivered under ("evt_…"), the same on every retry.
ALTER TABLE events ADD COLUMN public_id TEXT;
CREATE UNIQUE INDEX events_public_id_idx ON events (public_id);

-- Endpoints: an admin's get every customer's events and the platform's own
-- (customer_id NULL); a member's get their customer's.
CREATE TABLE webhook_endpoints (
  id TEXT PRIMARY KEY,                          -- "we_…"
  customer_id TEXT REFERENCES customers(id),
  url TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  event_types TEXT NOT NULL,                    -- JSON array of types; ["*"]: every type
  secret TEXT NOT NULL,                         -- "whsec_…", shown once
  previous_secret TEXT,                         -- still signs until previous_secret_expires_at (rotation)
  previous_secret_expires_at BIGINT,
  status TEXT NOT NULL DEFAULT 'enabled' CHECK (status IN ('enabled', 'disabled')),
  disabled_reason TEXT,
  failing_since BIGINT,                         -- first failure since the last success
  created_by TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  deleted_at BIGINT                             -- deleted endpoints keep their delivery log
);
CREATE INDEX webhook_endpoints_customer_idx ON webhook_endpoints (customer_id);

-- One per (endpoint, event). Those of one endpoint and customer go out in
-- event order: one waits while an earlier one is pending.
CREATE TABLE webhook_deliveries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints(id),
  event_id BIGINT NOT NULL REFERENCES events(id),
  customer_id TEXT NOT NULL DEFAULT '',         -- the event's; '' for platform events
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'processing', 'succeeded', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  locked_until BIGINT,                          -- a worker's claim on a 'processing' row
  last_status_code INTEGER,
  last_error TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  delivered_at BIGINT,
  redelivery_requested_by TEXT,                 -- a person asked for the next attempt (the log marks it manual)
  UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_order_idx ON webhook_deliveries (endpoint_id, customer_id, event_id);

-- Every attempt: the delivery log.
CREATE TABLE webhook_delivery_attempts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  delivery_id BIGINT NOT NULL REFERENCES webhook_deliveries(id),
  attempted_at BIGINT NOT NULL,
  status_code INTEGER,                          -- NULL: no answer (refused, timed out, not a public address)
  latency_ms BIGINT NOT NULL,
  response_excerpt TEXT,                        -- the first bytes of the answer's body
  error TEXT,
  manual INTEGER NOT NULL DEFAULT 0             -- 1: a redelivery asked for by a person
);
CREATE INDEX webhook_delivery_attempts_delivery_idx ON webhook_delivery_attempts (delivery_id);
