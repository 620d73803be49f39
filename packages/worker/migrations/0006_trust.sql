-- Who wrote what. The browser tracker is anyone holding the site's public key (every shop page
-- carries it): it may fill in what is empty, never override what the shop's server wrote.

-- 1 once the shop's server (the API) has written this profile: from then on a tracker write only
-- fills empty fields, never applies del_tag, never revokes a server-recorded opt-in.
ALTER TABLE profiles ADD COLUMN server_written INTEGER NOT NULL DEFAULT 0;
-- Who put each identifier on the profile: 'api' (the shop's server) or 'tracker'. A server call
-- wins an identity conflict with a tracker-made identifier (it is taken off the tracker's profile);
-- a 409 remains only between two server-made identifiers.
ALTER TABLE profiles ADD COLUMN email_source TEXT;
ALTER TABLE profiles ADD COLUMN external_id_source TEXT;
-- Who recorded the current opt-in choice: 'api' or 'tracker'.
ALTER TABLE profiles ADD COLUMN isoptin_source TEXT;
ALTER TABLE profiles ADD COLUMN mobile_isoptin_source TEXT;
-- The random id of the request that inserted the row: RETURNING tells an insert from an update
-- even when the update changed nothing (version and updated_at move only on a real change).
ALTER TABLE profiles ADD COLUMN created_in INTEGER;
ALTER TABLE orders ADD COLUMN created_in INTEGER;

-- Rows written before this migration: a profile the API created, or one with an order from the
-- API, counts as server-written; its identifiers and opt-ins as the server's.
UPDATE profiles SET server_written = 1
WHERE source = 'api' OR EXISTS (SELECT 1 FROM orders o WHERE o.profile_id = profiles.id AND o.source = 'api');
UPDATE profiles SET
  email_source          = CASE WHEN email IS NULL THEN NULL WHEN server_written = 1 THEN 'api' ELSE 'tracker' END,
  external_id_source    = CASE WHEN external_id IS NULL THEN NULL WHEN server_written = 1 THEN 'api' ELSE 'tracker' END,
  isoptin_source        = CASE WHEN isoptin IS NULL THEN NULL WHEN server_written = 1 THEN 'api' ELSE 'tracker' END,
  mobile_isoptin_source = CASE WHEN mobile_isoptin IS NULL THEN NULL WHEN server_written = 1 THEN 'api' ELSE 'tracker' END;

-- Refusals of requests sent with the public key only (the browser's /collect, wrong private keys)
-- are capped apart from those of requests the private key opened ('server'), so a flood from
-- anyone holding the public key cannot push the server API's refusals out of their last 200.
ALTER TABLE rejections ADD COLUMN channel TEXT NOT NULL DEFAULT 'server';
UPDATE rejections SET channel = 'public' WHERE route = '/collect' OR code = 'unauthorized';
-- Serves each channel's last 200 and its cap.
CREATE INDEX rejections_site_channel_recent ON rejections(site_id, channel, at);

-- A private key sent to /collect is looked up by its hash, to tell its site to rotate it.
CREATE INDEX sites_private_key_hash ON sites(private_key_hash);

-- /collect's daily event quota per site (settings.daily_event_quota): events taken per UTC day.
CREATE TABLE site_usage (
  site_id INTEGER NOT NULL REFERENCES sites(id),
  day     TEXT    NOT NULL,   -- YYYY-MM-DD, UTC
  events  INTEGER NOT NULL,
  PRIMARY KEY (site_id, day)
) WITHOUT ROWID;
