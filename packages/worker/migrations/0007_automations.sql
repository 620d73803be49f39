-- Automations: every change the ingest path makes becomes a trigger row, written by the SQLite
-- triggers below in the very statement that makes the change, so a change and its triggers
-- commit together or not at all, with no read before the write. Rows are then enqueued on the
-- TRIGGERS queue and delivered to the site's webhooks (src/automations/).
--
-- Every trigger's data carries the profile's identifiers then, and the order or cart it is about.
-- Times are the change's own (updated_at, received_at): the Worker's clock, not SQLite's.

CREATE TABLE triggers (
  id          INTEGER PRIMARY KEY,
  site_id     INTEGER NOT NULL REFERENCES sites(id),
  uid         TEXT    NOT NULL UNIQUE,   -- trg_…: public, and the webhook-id of its deliveries
  type        TEXT    NOT NULL,          -- order.created, profile.updated, consent.updated, …
  identifier  TEXT,                      -- cart triggers: abandoned_cart; manual: the merchant's
  at          INTEGER NOT NULL,
  profile_id  INTEGER,
  data        TEXT    NOT NULL CHECK (json_valid(data)),
  claimed_at  INTEGER,                   -- set by the batch that made it (it enqueues it after commit)
  enqueued_at INTEGER                    -- set once the queue has it (or there was nothing to deliver)
);
-- Serves "the site's last 200 triggers, newest first" (rowid order).
CREATE INDEX triggers_site_recent ON triggers(site_id);
-- Serves each batch's claim of the rows it made (none are unclaimed for long).
CREATE INDEX triggers_unclaimed ON triggers(site_id) WHERE claimed_at IS NULL;
-- Serves the sweep of rows committed but never enqueued (the isolate died, the enqueue failed).
CREATE INDEX triggers_unsent ON triggers(claimed_at) WHERE enqueued_at IS NULL;

-- Each trigger writes out the JSON of the profile's identifiers: SQLite has no functions of ours.

CREATE TRIGGER orders_created AFTER INSERT ON orders WHEN new.source <> 'import' BEGIN
  INSERT INTO triggers (site_id, uid, type, at, profile_id, data)
  SELECT new.site_id, 'trg_' || lower(hex(randomblob(12))), 'order.created', new.received_at, new.profile_id,
         json_object('profile', json_object('customer_email', p.email, 'external_id', p.external_id, 'customer_cookie', p.cookie),
                     'order', json_object('order_idorder', new.idorder, 'order_state', new.state, 'order_amount', new.amount,
                                          'order_crea_dt', new.crea_dt, 'source', new.source))
  FROM profiles p WHERE p.id = new.profile_id;
END;

-- A state or an amount that changed: one trigger each, with the old and the new value.
CREATE TRIGGER orders_changed AFTER UPDATE OF state, amount ON orders BEGIN
  INSERT INTO triggers (site_id, uid, type, at, profile_id, data)
  SELECT new.site_id, 'trg_' || lower(hex(randomblob(12))), c.value ->> 0, new.updated_at, new.profile_id,
         json_object('profile', json_object('customer_email', p.email, 'external_id', p.external_id, 'customer_cookie', p.cookie),
                     'order', json_object('order_idorder', new.idorder, 'order_state', new.state, 'order_amount', new.amount,
                                          'order_crea_dt', new.crea_dt, 'source', new.source),
                     'old', c.value -> 1, 'new', c.value -> 2)
  FROM json_each(json_array(json_array('order.state_changed', old.state, new.state), json_array('order.amount_changed', old.amount, new.amount))) c
  JOIN profiles p ON p.id = new.profile_id
  WHERE (c.value -> 1) IS NOT (c.value -> 2);
END;

-- (D1 allows few terms in a compound SELECT, and SQLite names no VALUES column inside a trigger:
-- a list of changes is a JSON array of [field, old, new], read with json_each.)
CREATE TRIGGER profiles_created AFTER INSERT ON profiles BEGIN
  INSERT INTO triggers (site_id, uid, type, at, profile_id, data)
  VALUES (new.site_id, 'trg_' || lower(hex(randomblob(12))), 'profile.created', new.created_at, new.id, json_object('profile', json_object('customer_email', new.email, 'external_id', new.external_id, 'customer_cookie', new.cookie), 'source', new.source));
  -- A profile created with an opt-in or a GDPR state: each is a consent that changed (from none).
  INSERT INTO triggers (site_id, uid, type, at, profile_id, data)
  SELECT new.site_id, 'trg_' || lower(hex(randomblob(12))), 'consent.updated', new.created_at, new.id,
         json_object('profile', json_object('customer_email', new.email, 'external_id', new.external_id, 'customer_cookie', new.cookie), 'consent', c.value ->> 0, 'kind', 'optin', 'old', NULL, 'new', c.value -> 1, 'source', c.value ->> 2)
  FROM json_each(json_array(json_array('email_optin', new.isoptin, new.isoptin_source), json_array('sms_optin', new.mobile_isoptin, new.mobile_isoptin_source))) c
  WHERE (c.value ->> 1) IS NOT NULL;
  INSERT INTO triggers (site_id, uid, type, at, profile_id, data)
  SELECT new.site_id, 'trg_' || lower(hex(randomblob(12))), 'consent.updated', new.created_at, new.id,
         json_object('profile', json_object('customer_email', new.email, 'external_id', new.external_id, 'customer_cookie', new.cookie), 'consent', key, 'kind', 'legal_basis', 'old', NULL,
                     'new', json_extract(value, '$.status'), 'source', json_extract(value, '$.source'))
  FROM json_each(new.gdpr, '$.legal_bases');
  INSERT INTO triggers (site_id, uid, type, at, profile_id, data)
  SELECT new.site_id, 'trg_' || lower(hex(randomblob(12))), 'consent.updated', new.created_at, new.id,
         json_object('profile', json_object('customer_email', new.email, 'external_id', new.external_id, 'customer_cookie', new.cookie), 'consent', key, 'kind', 'consent', 'old', NULL,
                     'new', json_extract(value, '$.status'), 'source', json_extract(value, '$.source'))
  FROM json_each(new.gdpr, '$.consents');
END;

CREATE TRIGGER profiles_updated AFTER UPDATE ON profiles BEGIN
  -- One trigger per field that changed (seed 002: five fields changed, five triggers).
  INSERT INTO triggers (site_id, uid, type, at, profile_id, data)
  SELECT new.site_id, 'trg_' || lower(hex(randomblob(12))), 'profile.updated', new.updated_at, new.id,
         json_object('profile', json_object('customer_email', new.email, 'external_id', new.external_id, 'customer_cookie', new.cookie), 'field', f.value ->> 0, 'old', f.value -> 1, 'new', f.value -> 2)
  FROM json_each(json_array(
          json_array('customer_email', old.email, new.email),
          json_array('external_id', old.external_id, new.external_id),
          json_array('customer_cookie', old.cookie, new.cookie),
          json_array('customer_name', old.name, new.name),
          json_array('customer_firstname', old.firstname, new.firstname),
          json_array('customer_gender', old.gender, new.gender),
          json_array('customer_address', old.address, new.address),
          json_array('customer_address2', old.address2, new.address2),
          json_array('customer_address3', old.address3, new.address3),
          json_array('customer_cp', old.cp, new.cp),
          json_array('customer_city', old.city, new.city),
          json_array('customer_country', old.country, new.country),
          json_array('customer_tel', old.tel, new.tel),
          json_array('customer_mobile', old.mobile, new.mobile),
          json_array('customer_fonction', old.fonction, new.fonction),
          json_array('customer_company', old.company, new.company),
          json_array('customer_birthday', old.birthday, new.birthday),
          json_array('customer_lang', old.lang, new.lang))) f
  WHERE (f.value -> 1) IS NOT (f.value -> 2);
  -- Custom fields, each by its id.
  INSERT INTO triggers (site_id, uid, type, at, profile_id, data)
  SELECT new.site_id, 'trg_' || lower(hex(randomblob(12))), 'profile.updated', new.updated_at, new.id,
         json_object('profile', json_object('customer_email', new.email, 'external_id', new.external_id, 'customer_cookie', new.cookie), 'field', 'custom_fields[' || k.key || ']',
                     'old', json_extract(old.custom_fields, '$."' || k.key || '"'), 'new', json_extract(new.custom_fields, '$."' || k.key || '"'))
  FROM (SELECT key FROM json_each(old.custom_fields) UNION SELECT key FROM json_each(new.custom_fields)) k
  WHERE json_extract(old.custom_fields, '$."' || k.key || '"') IS NOT json_extract(new.custom_fields, '$."' || k.key || '"');
  -- Tags, as their own field: the lists before and after, and what was added and removed.
  INSERT INTO triggers (site_id, uid, type, at, profile_id, data)
  SELECT new.site_id, 'trg_' || lower(hex(randomblob(12))), 'profile.updated', new.updated_at, new.id,
         json_object('profile', json_object('customer_email', new.email, 'external_id', new.external_id, 'customer_cookie', new.cookie), 'field', 'tags', 'old', json(old.tags), 'new', json(new.tags),
                     'added', (SELECT json_group_array(value) FROM json_each(new.tags) WHERE value NOT IN (SELECT value FROM json_each(old.tags))),
                     'removed', (SELECT json_group_array(value) FROM json_each(old.tags) WHERE value NOT IN (SELECT value FROM json_each(new.tags))))
  WHERE old.tags IS NOT new.tags;
  -- One per opt-in or GDPR legal basis / consent whose status changed, with who recorded it.
  INSERT INTO triggers (site_id, uid, type, at, profile_id, data)
  SELECT new.site_id, 'trg_' || lower(hex(randomblob(12))), 'consent.updated', new.updated_at, new.id,
         json_object('profile', json_object('customer_email', new.email, 'external_id', new.external_id, 'customer_cookie', new.cookie), 'consent', c.value ->> 0, 'kind', 'optin', 'old', c.value -> 1, 'new', c.value -> 2, 'source', c.value ->> 3)
  FROM json_each(json_array(json_array('email_optin', old.isoptin, new.isoptin, new.isoptin_source), json_array('sms_optin', old.mobile_isoptin, new.mobile_isoptin, new.mobile_isoptin_source))) c
  WHERE (c.value -> 1) IS NOT (c.value -> 2);
  INSERT INTO triggers (site_id, uid, type, at, profile_id, data)
  SELECT new.site_id, 'trg_' || lower(hex(randomblob(12))), 'consent.updated', new.updated_at, new.id,
         json_object('profile', json_object('customer_email', new.email, 'external_id', new.external_id, 'customer_cookie', new.cookie), 'consent', k.key, 'kind', 'legal_basis',
                     'old', json_extract(old.gdpr, '$.legal_bases."' || k.key || '".status'),
                     'new', json_extract(new.gdpr, '$.legal_bases."' || k.key || '".status'),
                     'source', json_extract(new.gdpr, '$.legal_bases."' || k.key || '".source'))
  FROM (SELECT key FROM json_each(old.gdpr, '$.legal_bases') UNION SELECT key FROM json_each(new.gdpr, '$.legal_bases')) k
  WHERE json_extract(old.gdpr, '$.legal_bases."' || k.key || '".status') IS NOT json_extract(new.gdpr, '$.legal_bases."' || k.key || '".status');
  INSERT INTO triggers (site_id, uid, type, at, profile_id, data)
  SELECT new.site_id, 'trg_' || lower(hex(randomblob(12))), 'consent.updated', new.updated_at, new.id,
         json_object('profile', json_object('customer_email', new.email, 'external_id', new.external_id, 'customer_cookie', new.cookie), 'consent', k.key, 'kind', 'consent',
                     'old', json_extract(old.gdpr, '$.consents."' || k.key || '".status'),
                     'new', json_extract(new.gdpr, '$.consents."' || k.key || '".status'),
                     'source', json_extract(new.gdpr, '$.consents."' || k.key || '".source'))
  FROM (SELECT key FROM json_each(old.gdpr, '$.consents') UNION SELECT key FROM json_each(new.gdpr, '$.consents')) k
  WHERE json_extract(old.gdpr, '$.consents."' || k.key || '".status') IS NOT json_extract(new.gdpr, '$.consents."' || k.key || '".status');
END;

-- A cart event taken (seed 002: a cart trigger's identifier must be abandoned_cart).
CREATE TRIGGER events_cart AFTER INSERT ON events WHEN new.type = 'cart' BEGIN
  INSERT INTO triggers (site_id, uid, type, identifier, at, profile_id, data)
  SELECT new.site_id, 'trg_' || lower(hex(randomblob(12))), 'cart.updated', 'abandoned_cart', new.received_at, p.id,
         json_object('profile', json_object('customer_email', p.email, 'external_id', p.external_id, 'customer_cookie', new.sbt),
                     'cart', json(new.data), 'event_id', new.event_id)
  FROM (SELECT 1) LEFT JOIN profiles p ON p.id = (SELECT id FROM profiles WHERE site_id = new.site_id AND cookie = new.sbt ORDER BY updated_at DESC LIMIT 1);
END;

-- Webhook endpoints of a site. The secret (whsec_…, Standard Webhooks) signs every delivery, so it
-- is kept as issued; it is shown once, at creation or rotation, and never listed.
CREATE TABLE webhooks (
  id         INTEGER PRIMARY KEY,
  site_id    INTEGER NOT NULL REFERENCES sites(id),
  url        TEXT    NOT NULL,
  events     TEXT    NOT NULL CHECK (json_valid(events)),  -- ["order.created", …] or ["*"]
  secret     TEXT    NOT NULL,
  created_at INTEGER NOT NULL,
  rotated_at INTEGER
);
CREATE INDEX webhooks_site ON webhooks(site_id);

-- One delivery of one trigger to one endpoint, and how it went.
CREATE TABLE deliveries (
  id          INTEGER PRIMARY KEY,
  site_id     INTEGER NOT NULL REFERENCES sites(id),
  trigger_id  INTEGER NOT NULL REFERENCES triggers(id),
  webhook_id  INTEGER NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
  status      TEXT    NOT NULL DEFAULT 'pending',  -- pending | delivered | failed
  attempts    INTEGER NOT NULL DEFAULT 0,
  last_status INTEGER,                             -- the endpoint's HTTP status, NULL on a timeout or network error
  last_error  TEXT,
  last_at     INTEGER,
  created_at  INTEGER NOT NULL,
  UNIQUE (trigger_id, webhook_id)
);
-- Serves the deliveries view: the site's last 200, newest first.
CREATE INDEX deliveries_site_recent ON deliveries(site_id);
