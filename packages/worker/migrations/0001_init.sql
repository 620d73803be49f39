-- shopbeacon schema, first migration.
-- Times are integer milliseconds since the Unix epoch (UTC); JSON columns hold lists and maps
-- that are always read and written whole with their row (tags, product attributes, custom fields).

CREATE TABLE sites (
  id               INTEGER PRIMARY KEY,
  name             TEXT    NOT NULL,
  public_key       TEXT    NOT NULL UNIQUE,
  -- SHA-256 (hex) of the private key: the key is 256 random bits, so a fast hash is enough;
  -- the key itself is printed once by `npm run site` and never stored.
  private_key_hash TEXT    NOT NULL,
  key_rotated_at   INTEGER NOT NULL,
  settings         TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(settings)),
  created_at       INTEGER NOT NULL
);

CREATE TABLE profiles (
  id                      INTEGER PRIMARY KEY,
  site_id                 INTEGER NOT NULL REFERENCES sites(id),
  email                   TEXT,
  external_id             TEXT,
  cookie                  TEXT,       -- the sbt visitor cookie (customer_cookie)
  name                    TEXT,
  firstname               TEXT,
  gender                  TEXT,
  address                 TEXT,
  address2                TEXT,
  address3                TEXT,
  cp                      TEXT,
  city                    TEXT,
  country                 TEXT,
  tel                     TEXT,
  mobile                  TEXT,
  fonction                TEXT,
  company                 TEXT,
  birthday                TEXT,
  lang                    TEXT,
  isoptin                 INTEGER,
  isoptin_at              INTEGER,
  mobile_isoptin          INTEGER,
  mobile_isoptin_at       INTEGER,
  tags                    TEXT    NOT NULL DEFAULT '[]',
  custom_fields           TEXT    NOT NULL DEFAULT '{}',
  gdpr                    TEXT    NOT NULL DEFAULT '{}',
  source                  TEXT    NOT NULL,           -- api | tracker (seed 002: profile created, with its source)
  version                 INTEGER NOT NULL DEFAULT 1, -- 1 on creation, +1 on every update
  created_at              INTEGER NOT NULL,
  updated_at              INTEGER NOT NULL
);
-- Find-or-create keys (NULLs are distinct, so a profile known only by one of them is fine).
CREATE UNIQUE INDEX profiles_site_email       ON profiles(site_id, email);
CREATE UNIQUE INDEX profiles_site_external_id ON profiles(site_id, external_id);

CREATE TABLE orders (
  id                 INTEGER PRIMARY KEY,
  site_id            INTEGER NOT NULL REFERENCES sites(id),
  idorder            TEXT    NOT NULL,
  profile_id         INTEGER NOT NULL REFERENCES profiles(id),
  state              INTEGER NOT NULL CHECK (state IN (0, 10, 20, 50, 100)),
  amount             REAL    NOT NULL CHECK (amount >= 0),
  crea_dt            TEXT    NOT NULL,
  start_service      TEXT,
  end_service        TEXT,
  tags               TEXT    NOT NULL DEFAULT '[]',
  product_attributes TEXT    NOT NULL DEFAULT '[]',
  source             TEXT    NOT NULL,   -- api | tracker
  version            INTEGER NOT NULL DEFAULT 1,  -- 1 on creation, +1 on every update
  received_at        INTEGER NOT NULL,
  updated_at         INTEGER NOT NULL,
  UNIQUE (site_id, idorder)
);
-- Serves "the site's 200 most recently received or updated orders, newest first"
-- (ORDER BY updated_at DESC, id DESC: the rowid is the index's implicit last column).
CREATE INDEX orders_site_recent ON orders(site_id, updated_at);
