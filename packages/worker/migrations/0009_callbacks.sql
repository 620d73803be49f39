-- Opt-in / opt-out callbacks (src/automations/callbacks.ts), as SALESmanago and IdoSell exchange
-- them: when an email or SMS opt-in changes, the site's optin_callback_url or optout_callback_url
-- (its settings) is posted a form with the site's callback_secret; and the shop platform posts
-- /callback/optin and /callback/optout with that secret to change one here.
--
-- Each callback URL is a row of webhooks, of its own kind, so a callback goes through the same
-- outbox, queue, retries, delivery log and "send again" as a webhook. The rows mirror the
-- settings: the triggers below keep them so in the very statement that saves the settings, so
-- no writer of settings can leave them apart.

ALTER TABLE webhooks ADD COLUMN kind TEXT NOT NULL DEFAULT 'webhook' CHECK (kind IN ('webhook', 'optin_callback', 'optout_callback'));
-- One row per callback kind and site (webhooks proper are many: the index leaves them out).
CREATE UNIQUE INDEX webhooks_site_callback ON webhooks(site_id, kind) WHERE kind <> 'webhook';

-- An inbound SMS callback names the profiles by their mobile number: found by index, not by a
-- scan of the site's profiles.
CREATE INDEX profiles_site_mobile ON profiles(site_id, mobile) WHERE mobile IS NOT NULL;

-- A callback URL needs the secret that authenticates it (the receiver checks it): a save that
-- would leave one without it is refused, and settings.ts answers 400 naming callback_secret.
CREATE TRIGGER sites_callback_secret BEFORE UPDATE OF settings ON sites
WHEN new.settings ->> '$.callback_secret' IS NULL
 AND (new.settings ->> '$.optin_callback_url' IS NOT NULL OR new.settings ->> '$.optout_callback_url' IS NOT NULL)
BEGIN
  SELECT RAISE(ABORT, 'callback_secret required');
END;

-- The callback rows as the settings say: a URL removed takes its row and deliveries with it (as
-- DELETE /api/webhooks/:id does); a URL or secret changed updates the row in place, so pending
-- retries go to the new URL with the new secret. The secret is kept on the row, as a webhook's
-- is, for deliver.ts. created_at is SQLite's clock: no Worker time reaches a trigger on sites.
CREATE TRIGGER sites_callbacks AFTER UPDATE OF settings ON sites BEGIN
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

-- An opt-in's consent.updated carries the profile's mobile number too (an SMS opt-in's callback
-- names the number): written into the trigger row as it is made, so it is the number then.
CREATE TRIGGER triggers_optin_mobile AFTER INSERT ON triggers
WHEN new.type = 'consent.updated' AND new.data ->> '$.kind' = 'optin'
BEGIN
  UPDATE triggers SET data = json_set(data, '$.profile.customer_mobile', (SELECT mobile FROM profiles WHERE id = new.profile_id))
  WHERE id = new.id;
END;
