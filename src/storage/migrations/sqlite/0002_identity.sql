-- 0002_identity.sql (sqlite): users, API keys and login throttling.
-- Kept in step with ../postgres/0002_identity.sql: same tables and columns, each in its dialect.
-- Never edit an applied migration: add a new file.

-- users: console logins. Admins belong to no customer; members to exactly one.
CREATE TABLE users (
  id TEXT PRIMARY KEY,                         -- "usr_…"
  email TEXT NOT NULL UNIQUE,                  -- stored lower-cased
  password_hash TEXT NOT NULL,                 -- Argon2id, libsodium encoded form
  role TEXT NOT NULL CHECK (role IN ('admin', 'member')),
  customer_id TEXT REFERENCES customers(id),
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  CHECK ((role = 'admin' AND customer_id IS NULL) OR (role = 'member' AND customer_id IS NOT NULL))
);
CREATE INDEX users_customer_idx ON users (customer_id);

-- api_keys: machine credentials, stored as SHA-256 of the key (shown once).
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,                         -- "key_…"
  name TEXT NOT NULL,
  prefix TEXT NOT NULL,                        -- "mk_ab12cd34": the key's public start
  key_hash TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL CHECK (role IN ('service', 'admin')),
  customer_id TEXT REFERENCES customers(id),  -- NULL = platform-wide
  created_by TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  last_used_at BIGINT,
  revoked_at BIGINT
);

-- login_throttle: consecutive failed logins per "email:…" and "ip:…".
CREATE TABLE login_throttle (
  key TEXT PRIMARY KEY,
  failures INTEGER NOT NULL,
  locked_until BIGINT NOT NULL DEFAULT 0,
  updated_at BIGINT NOT NULL
);
