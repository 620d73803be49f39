-- Abandoned carts: each visitor's latest cart, so that a delayed check (a TRIGGERS queue message
-- sent with delaySeconds once the cart.updated trigger is enqueued) can tell in one read whether
-- that cart is still the latest, still has items, and has not been followed by an order. Nothing
-- scans the carts on a timer: a cart is looked at once, when its time is up.

CREATE TABLE carts (
  site_id      INTEGER NOT NULL REFERENCES sites(id),
  sbt          TEXT    NOT NULL,   -- the visitor cookie: one cart per visitor
  trigger_id   INTEGER NOT NULL,   -- the cart.updated trigger of the latest cart event
  profile_id   INTEGER,            -- the visitor's profile then, if known
  at           INTEGER NOT NULL,   -- when the Worker took that cart event
  client_ts    INTEGER NOT NULL,   -- the browser's clock: an older event sent late does not win
  items        INTEGER NOT NULL,   -- how many lines; 0 is an emptied cart
  abandoned_at INTEGER,            -- set when cart.abandoned fired for this cart
  abandoned_in INTEGER,            -- the nonce of the batch that fired it (a repeat fires nothing)
  PRIMARY KEY (site_id, sbt)
) WITHOUT ROWID;

-- The cart trigger of 0007, which also records the visitor's latest cart.
DROP TRIGGER events_cart;
CREATE TRIGGER events_cart AFTER INSERT ON events WHEN new.type = 'cart' BEGIN
  INSERT INTO triggers (site_id, uid, type, identifier, at, profile_id, data)
  SELECT new.site_id, 'trg_' || lower(hex(randomblob(12))), 'cart.updated', 'abandoned_cart', new.received_at, p.id,
         json_object('profile', json_object('customer_email', p.email, 'external_id', p.external_id, 'customer_cookie', new.sbt),
                     'cart', json(new.data), 'event_id', new.event_id)
  FROM (SELECT 1) LEFT JOIN profiles p ON p.id = (SELECT id FROM profiles WHERE site_id = new.site_id AND cookie = new.sbt ORDER BY updated_at DESC LIMIT 1);
  -- last_insert_rowid() is the trigger row just written, while this trigger runs.
  INSERT INTO carts (site_id, sbt, trigger_id, profile_id, at, client_ts, items)
  SELECT new.site_id, new.sbt, t.id, t.profile_id, new.received_at, new.client_ts, coalesce(json_array_length(new.data, '$.items'), 0)
  FROM triggers t WHERE t.id = last_insert_rowid()
  ON CONFLICT (site_id, sbt) DO UPDATE SET
    trigger_id = excluded.trigger_id, profile_id = coalesce(excluded.profile_id, carts.profile_id), at = excluded.at,
    client_ts = excluded.client_ts, items = excluded.items, abandoned_at = NULL, abandoned_in = NULL
  WHERE excluded.client_ts >= carts.client_ts;
END;
