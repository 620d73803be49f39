-- Requests the Worker refused for a site (bad fields, GET mode off, wrong origin, wrong private
-- key, duplicate events dropped…), so a merchant can see why an order did not arrive. Only what
-- the view needs is kept: the last 200 per site (older rows are deleted as new ones come), with
-- an excerpt of what was sent, keys and cookies redacted.

CREATE TABLE rejections (
  id       INTEGER PRIMARY KEY,
  site_id  INTEGER NOT NULL REFERENCES sites(id),
  at       INTEGER NOT NULL,
  method   TEXT    NOT NULL,
  route    TEXT    NOT NULL,
  status   INTEGER NOT NULL,
  code     TEXT    NOT NULL,
  message  TEXT    NOT NULL,
  fields   TEXT    NOT NULL CHECK (json_valid(fields)),
  excerpt  TEXT    NOT NULL
);
-- Serves the last 200 newest first, and the cap's "200th newest" lookup (rowid order).
CREATE INDEX rejections_site_recent ON rejections(site_id);
