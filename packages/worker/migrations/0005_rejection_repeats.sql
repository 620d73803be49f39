-- The same refusal repeated (a shop whose integration sends the same bad field with every order,
-- or someone replaying one bad request) is one row with a count and its first and last times,
-- so it neither floods the log nor pushes the other refusals out of the last 200.

ALTER TABLE rejections ADD COLUMN fingerprint TEXT;
ALTER TABLE rejections ADD COLUMN count INTEGER NOT NULL DEFAULT 1;
ALTER TABLE rejections ADD COLUMN first_at INTEGER;
CREATE UNIQUE INDEX rejections_site_fingerprint ON rejections(site_id, fingerprint);

-- The list is now ordered by the last time (at): serve it, and the cap, from this index.
DROP INDEX rejections_site_recent;
CREATE INDEX rejections_site_recent ON rejections(site_id, at);
