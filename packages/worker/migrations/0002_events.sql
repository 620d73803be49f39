-- Tracker events (POST/GET /collect). Every event is kept with its data as sent (after
-- validation); account, order and optin events also go through the profile and order upserts.

CREATE TABLE events (
  id          INTEGER PRIMARY KEY,
  site_id     INTEGER NOT NULL REFERENCES sites(id),
  event_id    TEXT    NOT NULL,   -- the SDK's random id: a retried event is dropped, never doubled
  type        TEXT    NOT NULL,   -- page | product | cart | account | order | optin
  sbt         TEXT    NOT NULL,   -- the visitor cookie
  data        TEXT    NOT NULL CHECK (json_valid(data)),
  client_ts   INTEGER NOT NULL,   -- the browser's clock (ms)
  received_at INTEGER NOT NULL,
  request_id  INTEGER NOT NULL,   -- which request wrote the row: the guard of its profile/order writes
  UNIQUE (site_id, event_id)
);
-- Serves "the site's last 200 events, newest first" (ORDER BY id DESC: the implicit rowid).
CREATE INDEX events_site_recent ON events(site_id);

-- An opt-in sent from the browser without an email goes to the visitor's profile by its sbt.
CREATE INDEX profiles_site_cookie ON profiles(site_id, cookie) WHERE cookie IS NOT NULL;
