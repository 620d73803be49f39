-- Order lines, automatic tags, stores (multistore) and historical imports.

-- An order's lines, as /api/updateOrder's data[items] or the browser order's items sent them:
-- replaced whole each time items are sent, untouched when they are not.
CREATE TABLE order_lines (
  order_id   INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
  line       INTEGER NOT NULL,   -- 0-based, in the order sent
  product_id TEXT,
  sku        TEXT,
  name       TEXT,
  category   TEXT,               -- a path "A/B/C": its first three levels tag the profile
  quantity   INTEGER NOT NULL DEFAULT 1,
  unit_price REAL,
  PRIMARY KEY (order_id, line)
) WITHOUT ROWID;

-- orders.profile_id references profiles(id): with foreign keys on (D1), every profile inserted
-- looks for orders that reference it, a scan of every order without this index (an import of
-- 50,000 customers beside 200,000 orders: 10^10 row reads).
CREATE INDEX orders_profile ON orders(profile_id);

-- The optional pick-up place of an order (a parcel locker, a shop).
ALTER TABLE orders ADD COLUMN pickup_location TEXT;

-- The store (settings.stores[].id) of an order and of a tracker event; NULL on a site without
-- stores. The order's currency is its store's.
ALTER TABLE orders ADD COLUMN store TEXT;
ALTER TABLE events ADD COLUMN store TEXT;
-- Serve "the store's 200 most recent orders / events" as the site-wide indexes serve the site's.
CREATE INDEX orders_site_store_recent ON orders(site_id, store, updated_at) WHERE store IS NOT NULL;
CREATE INDEX events_site_store_recent ON events(site_id, store) WHERE store IS NOT NULL;

-- 1 once an account write (updateCustomer, the browser's account event, a customers import) has
-- written the profile: the automatic tag "registration" is given when it turns 1, and an opt-in
-- on a profile without an account gets "newsletter".
ALTER TABLE profiles ADD COLUMN has_account INTEGER NOT NULL DEFAULT 0;
-- Before this migration, a profile the shop's server gave its own customer id (external_id) had an account.
UPDATE profiles SET has_account = 1 WHERE external_id IS NOT NULL AND external_id_source = 'api';

-- 1 once the live API (updateOrder, updateCustomer) has written the profile: an import, whose
-- data is older, then only fills what is empty (server_written is also set by imports).
ALTER TABLE profiles ADD COLUMN api_written INTEGER NOT NULL DEFAULT 0;
UPDATE profiles SET api_written = 1 WHERE server_written = 1;

-- An import is history, not news: an imported order fires no order.created (0007 already) and no
-- order.state_changed or order.amount_changed either.
DROP TRIGGER orders_changed;
CREATE TRIGGER orders_changed AFTER UPDATE OF state, amount ON orders WHEN new.source <> 'import' BEGIN
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

-- Historical imports (npm run import → POST /api/import/customers|orders): one row per file
-- imported, its progress as the Worker has taken it; one row per batch, so that a batch sent
-- again after a crash is counted once.
CREATE TABLE imports (
  id          INTEGER PRIMARY KEY,
  site_id     INTEGER NOT NULL REFERENCES sites(id),
  uid         TEXT    NOT NULL,    -- imp_…, made by the CLI and kept in its checkpoint
  kind        TEXT    NOT NULL CHECK (kind IN ('customers', 'orders')),
  file        TEXT    NOT NULL,
  taken       INTEGER NOT NULL DEFAULT 0,
  rejected    INTEGER NOT NULL DEFAULT 0,
  batches     INTEGER NOT NULL DEFAULT 0,
  status      TEXT    NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'done')),
  started_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  finished_at INTEGER,
  UNIQUE (site_id, uid)
);
CREATE INDEX imports_site_recent ON imports(site_id, updated_at);

CREATE TABLE import_batches (
  import_id INTEGER NOT NULL REFERENCES imports(id) ON DELETE CASCADE,
  batch     INTEGER NOT NULL,
  taken     INTEGER NOT NULL,
  rejected  INTEGER NOT NULL,
  at        INTEGER NOT NULL,
  created_in INTEGER NOT NULL,  -- the request that recorded it: only that one adds it to the import's counts
  PRIMARY KEY (import_id, batch)
) WITHOUT ROWID;
