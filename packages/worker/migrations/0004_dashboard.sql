-- The merchant dashboard (/dashboard) and its read-only share links (/share/<token>).

-- Per-deployment values. session_secret signs the dashboard's session cookie; generated here so
-- a fresh deployment needs no configuration (env SESSION_SECRET, when set, is used instead).
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
INSERT INTO meta (key, value) VALUES ('session_secret', lower(hex(randomblob(32))));

-- Dashboard sessions. The cookie carries a random id (signed); only its SHA-256 is stored, so
-- reading this table opens no session. key_rotated_at is the site's at login: rotating the
-- private key ends every session opened with the old one. Log out deletes the row.
CREATE TABLE dashboard_sessions (
  id_hash        TEXT    PRIMARY KEY,
  site_id        INTEGER NOT NULL REFERENCES sites(id),
  key_rotated_at INTEGER NOT NULL,
  expires_at     INTEGER NOT NULL
);
-- Serves the sweep of expired sessions at login.
CREATE INDEX dashboard_sessions_expiry ON dashboard_sessions(expires_at);

-- Failed logins per client IP and public key, in a 15-minute window: after 5 the login answers
-- 429 until the window ends. One row per (ip, public key); a success deletes it.
CREATE TABLE login_failures (
  client       TEXT    PRIMARY KEY,   -- "<ip> <public key>"
  failures     INTEGER NOT NULL,
  window_start INTEGER NOT NULL
);
-- Serves the sweep of ended windows on each failure (a flood of made-up keys stays bounded).
CREATE INDEX login_failures_window ON login_failures(window_start);

-- Read-only links to a site's integration info and verify views, for the shop's developer.
-- Only the SHA-256 of the token is stored: the link is shown once, at creation.
CREATE TABLE share_links (
  id          INTEGER PRIMARY KEY,
  site_id     INTEGER NOT NULL REFERENCES sites(id),
  token_hash  TEXT    NOT NULL UNIQUE,  -- looked up on every /share/<token> request
  label       TEXT    NOT NULL,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  revoked_at  INTEGER
);
-- Serves the dashboard's list of a site's links.
CREATE INDEX share_links_site ON share_links(site_id);
