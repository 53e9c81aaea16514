-- 0007_session_revocation.sql (postgres): sessions signed out before their token
-- expires (src/auth/). A session token is a signed JWT; its jti listed here is
-- refused. Rows go once the token has expired anyway.
-- Kept in step with ../sqlite/0007_session_revocation.sql. Never edit an applied migration: add a new file.
CREATE TABLE revoked_sessions (
  jti TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  expires_at BIGINT NOT NULL,                   -- the token's exp, unix ms
  revoked_at BIGINT NOT NULL
);
CREATE INDEX revoked_sessions_expires_idx ON revoked_sessions (expires_at);
