-- A database per large merchant (packages/worker/src/tenancy.ts). Every D1 database of the
-- Worker has this same schema. The control database (binding DB) holds every site's row, with its
-- keys; a site's data (profiles, orders, events, …) lives in the database its row names, which
-- holds a copy of that row too, without the key hash, so its foreign keys and the triggers that
-- read its settings work there as in the control database.

-- db: the binding of the database that holds the site's data. here: 1 in the database that holds
-- it, 0 in the control database's row of a site placed elsewhere (and in a copy still being
-- filled by a move), so the triggers that keep data rows in step with the settings run only where
-- the data is.
ALTER TABLE sites ADD COLUMN db TEXT NOT NULL DEFAULT 'DB' CHECK (length(db) BETWEEN 1 AND 63);
ALTER TABLE sites ADD COLUMN here INTEGER NOT NULL DEFAULT 1 CHECK (here IN (0, 1));

-- Migration 0009's trigger, run only where the site's data is.
DROP TRIGGER sites_callbacks;
CREATE TRIGGER sites_callbacks AFTER UPDATE OF settings ON sites WHEN new.here = 1 BEGIN
  DELETE FROM deliveries WHERE webhook_id IN (
    SELECT id FROM webhooks WHERE site_id = new.id AND kind <> 'webhook'
      AND (CASE kind WHEN 'optin_callback' THEN new.settings ->> '$.optin_callback_url' ELSE new.settings ->> '$.optout_callback_url' END) IS NULL);
  DELETE FROM webhooks WHERE site_id = new.id AND kind <> 'webhook'
    AND (CASE kind WHEN 'optin_callback' THEN new.settings ->> '$.optin_callback_url' ELSE new.settings ->> '$.optout_callback_url' END) IS NULL;
  INSERT INTO webhooks (site_id, kind, url, events, secret, created_at)
  SELECT new.id, c.value ->> 0, c.value ->> 1, '[]', new.settings ->> '$.callback_secret', CAST(strftime('%s', 'now') AS INTEGER) * 1000
  FROM json_each(json_array(json_array('optin_callback', new.settings ->> '$.optin_callback_url'),
                            json_array('optout_callback', new.settings ->> '$.optout_callback_url'))) c
  WHERE (c.value ->> 1) IS NOT NULL
  ON CONFLICT (site_id, kind) WHERE kind <> 'webhook' DO UPDATE SET url = excluded.url, secret = excluded.secret;
END;

-- `npm run site -- move` (scripts/move.ts). In the database a site leaves: what changed of its
-- rows while they were being copied (filled by triggers the move makes for that site alone, and
-- drops at the end). In the one it goes to: which row each copied row became (a row keeps its
-- data, not its id: ids are the database's own), so a queue message naming a row of the old
-- database still finds it.
CREATE TABLE move_log (
  seq     INTEGER PRIMARY KEY,
  site_id INTEGER NOT NULL,
  tbl     TEXT    NOT NULL,
  key     TEXT    NOT NULL   -- the row's id, or what names the rows of a table without one
);

CREATE TABLE move_ids (
  site_id INTEGER NOT NULL,
  tbl     TEXT    NOT NULL,
  old     INTEGER NOT NULL,
  new     INTEGER NOT NULL,
  PRIMARY KEY (site_id, tbl, old)
) WITHOUT ROWID;
