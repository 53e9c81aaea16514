-- 0009_user_state.sql (sqlite): sessions follow the user's current state, and
-- login lockout spares the addresses a user has signed in from (src/auth/).
-- Kept in step with ../postgres/0009_user_state.sql. Never edit an applied migration: add a new file.

-- A disabled user cannot sign in, and every session of theirs is refused.
ALTER TABLE users ADD COLUMN disabled_at BIGINT;
-- Session tokens carry the version current at sign-in ("sv"); bumping it ends
-- every earlier session (revoke-sessions, disable).
ALTER TABLE users ADD COLUMN session_version BIGINT NOT NULL DEFAULT 0;

-- Addresses a user has signed in from: while their account is locked after
-- failed attempts from elsewhere, a correct password from one of these still works.
CREATE TABLE login_known_addresses (
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  ip TEXT NOT NULL,
  last_success_at BIGINT NOT NULL,
  PRIMARY KEY (user_id, ip)
);
