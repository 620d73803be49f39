// Orders: the first call with an order_idorder creates the order, every later one updates it
// (seed 003, "Gestion de l'idorder"). One INSERT … ON CONFLICT DO UPDATE … RETURNING does both.
import { type Item, LIMITS, ORDER_STATES, type Order, type OrderState } from '@shopbeacon/protocol';
import type { Source } from './profiles';
import { andGuard, anyOf, type Guard, guardedValues, join, mergeTagsSql, raw, sql, type Stmt, tagsChangeSql } from './sql';
import { isValidated, type Settings, storeOf, validationThreshold } from './settings';

/**
 * The order upsert. The order date (order_crea_dt) is kept from the first call; state, amount,
 * service dates, tags, product attributes and the customer follow the latest call. The browser
 * (source tracker) never changes an order the shop's server has written: anyone holding the
 * public key could otherwise cancel it; then no row is returned. An order the browser created
 * first becomes the server's the first time the server writes it (its source, and its date as
 * the server gives it). `version` and `updated_at` move only when a value changed.
 */
export type RequiredOrder = Required<Pick<Order, 'order_idorder' | 'order_state' | 'order_amount' | 'order_crea_dt'>> & Order;

export function upsertOrder(siteId: number, profileId: Stmt, o: RequiredOrder, source: Source, now: number, nonce: number, guard?: Guard): Stmt {
  const attrs = o.product_attributes === undefined ? null : JSON.stringify(o.product_attributes);
  const takeOver = raw(`orders.source = 'tracker' AND excluded.source <> 'tracker'`);
  const changes: [column: string, next: Stmt, changed?: Stmt][] = [
    ['profile_id', raw('excluded.profile_id')],
    ['state', raw('excluded.state')],
    ['amount', raw('excluded.amount')],
    ['crea_dt', sql`CASE WHEN ${takeOver} THEN excluded.crea_dt ELSE crea_dt END`],
    ['start_service', raw('coalesce(excluded.start_service, start_service)')],
    ['end_service', raw('coalesce(excluded.end_service, end_service)')],
    ['tags', mergeTagsSql('orders.tags', o.del_order_tag ?? [], o.add_order_tag ?? []), tagsChangeSql('orders.tags', o.del_order_tag ?? [], o.add_order_tag ?? [])],
    ['product_attributes', sql`coalesce(${attrs}, product_attributes)`],
    ['pickup_location', raw('coalesce(excluded.pickup_location, pickup_location)')],
    ['store', raw('coalesce(excluded.store, store)')],
    // The live API also takes over an imported order (its changes are news again: orders_changed
    // fires for them), keeping its date.
    ['source', sql`CASE WHEN ${takeOver} OR (orders.source = 'import' AND excluded.source = 'api') THEN excluded.source ELSE source END`],
  ];
  const changed = anyOf(changes.map(([c, next, test]) => test ?? sql`${raw(c)} IS NOT ${next}`));
  const values = sql`${siteId}, ${o.order_idorder}, ${profileId}, ${o.order_state}, ${o.order_amount}, ${o.order_crea_dt},
    ${o.order_start_service ?? null}, ${o.order_end_service ?? null}, ${JSON.stringify(o.add_order_tag ?? [])}, coalesce(${attrs}, '[]'),
    ${o.order_pickup_location ?? null}, ${o.store ?? null}, ${source}, ${now}, ${now}, ${nonce}`;
  return sql`INSERT INTO orders (site_id, idorder, profile_id, state, amount, crea_dt, start_service, end_service,
                                 tags, product_attributes, pickup_location, store, source, received_at, updated_at, created_in)
    ${guardedValues(values, guard)}
    ON CONFLICT (site_id, idorder) DO UPDATE SET ${join(changes.map(([c, next]) => sql`${raw(c)} = ${next}`))},
      version = CASE WHEN ${changed} THEN version + 1 ELSE version END,
      updated_at = CASE WHEN ${changed} THEN excluded.updated_at ELSE updated_at END
    WHERE orders.source = 'tracker' OR excluded.source <> 'tracker'
    RETURNING *`;
}

/**
 * The order of this call, as the later statements of its batch find it: for the browser, only
 * an order it may write (one the shop's server has not), so that its lines and tags follow the
 * upsert's refusal.
 */
const thisOrder = (siteId: number, idorder: string, source: Source, column = 'id') =>
  sql`(SELECT ${raw(column)} FROM orders WHERE site_id = ${siteId} AND idorder = ${idorder}${raw(source === 'tracker' ? ` AND source = 'tracker'` : '')})`;

/** The order's lines, replaced whole by the items sent (nothing when none are sent). */
export function orderLinesStatements(siteId: number, o: Order & { order_idorder: string }, source: Source, guard?: Guard): Stmt[] {
  if (!o.items) return [];
  const id = thisOrder(siteId, o.order_idorder, source);
  const lines = JSON.stringify(o.items);
  return [
    sql`DELETE FROM order_lines WHERE order_id = ${id}${andGuard(guard)}`,
    sql`INSERT INTO order_lines (order_id, line, product_id, sku, name, category, quantity, unit_price)
      SELECT ${id}, key, value ->> 'product_id', value ->> 'sku', value ->> 'name', value ->> 'category', coalesce(value ->> 'quantity', 1), value ->> 'unit_price'
      FROM json_each(${lines}) WHERE ${id} IS NOT NULL${andGuard(guard)}`,
  ];
}

/** The tags of the lines' category paths: "A/B/C" gives A, B and C (deeper levels are ignored). */
export function categoryTags(items: Item[] | undefined): string[] {
  const tags = new Set<string>();
  for (const item of items ?? [])
    for (const level of (item.category ?? '').split('/').slice(0, 3)) {
      const tag = level.trim().slice(0, LIMITS.tagLength);
      if (tag) tags.add(tag);
    }
  return [...tags];
}

/**
 * After an order with lines, their category tags on its profile (settings.auto_tags.categories).
 * From the browser, as its other tags: only on a profile the shop's server has not tagged.
 */
export function categoryTagsStatement(siteId: number, o: Order & { order_idorder: string }, settings: Settings, source: Source, now: number, guard?: Guard): Stmt[] {
  const tags = settings.auto_tags.categories ? categoryTags(o.items) : [];
  if (!tags.length) return [];
  return [
    sql`UPDATE profiles SET tags = ${mergeTagsSql('tags', [], tags)}, version = version + 1, updated_at = ${now}
      WHERE id = ${thisOrder(siteId, o.order_idorder, source, 'profile_id')} AND ${tagsChangeSql('tags', [], tags)}${raw(source === 'tracker' ? ` AND (server_written = 0 OR tags = '[]')` : '')}${andGuard(guard)}`,
  ];
}

/** An order's lines as JSON, by line (the fields sent only), for RECENT_ORDERS_SQL and the answer. */
export const linesJsonSql = (orderId: string) =>
  `(SELECT json_group_array(json(l)) FROM (SELECT json_patch('{}', json_object('product_id', product_id, 'sku', sku, 'name', name, 'category', category, 'quantity', quantity, 'unit_price', unit_price)) AS l
     FROM order_lines WHERE order_id = ${orderId} ORDER BY line))`;

/** The order's lines as stored, as a column of another read of the same batch (the answer's profile). */
export const linesOfOrder = (siteId: number, idorder: string): Stmt => sql`(SELECT ${raw(linesJsonSql('o.id'))} FROM orders o WHERE o.site_id = ${siteId} AND o.idorder = ${idorder})`;

export interface OrderRow {
  id: number;
  idorder: string;
  state: OrderState;
  amount: number;
  crea_dt: string;
  start_service: string | null;
  end_service: string | null;
  tags: string;
  product_attributes: string;
  pickup_location: string | null;
  store: string | null;
  source: Source | 'import';
  version: number;
  created_in: number | null;
  received_at: number;
  updated_at: number;
}

export interface Customer {
  email: string | null;
  external_id: string | null;
  cookie: string | null;
  name: string | null;
  firstname: string | null;
}

/** An order as the API shows it: the seed's field names, plus what the dashboard needs. */
export function orderJson(row: OrderRow, customer: Customer, settings: Settings, items: string) {
  return {
    order_idorder: row.idorder,
    order_state: row.state,
    order_state_name: ORDER_STATES[row.state],
    order_amount: row.amount,
    order_crea_dt: row.crea_dt,
    order_start_service: row.start_service,
    order_end_service: row.end_service,
    order_tags: JSON.parse(row.tags) as string[],
    product_attributes: JSON.parse(row.product_attributes) as string[][],
    validated: isValidated(row.state, settings),
    source: row.source,
    received_at: new Date(row.received_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
    customer_email: customer.email,
    external_id: customer.external_id,
    customer_cookie: customer.cookie,
    customer_name: customer.name,
    customer_firstname: customer.firstname,
    items: JSON.parse(items) as Item[],
    order_pickup_location: row.pickup_location,
    store: row.store,
    currency: storeOf(settings, row.store)?.currency ?? null,
  };
}

export const RECENT_ORDERS_LIMIT = 200;

/** An ms timestamp as toISOString() writes it, in integer arithmetic (no float rounding of the ms). */
const isoSql = (col: string) => `strftime('%Y-%m-%dT%H:%M:%S', ${col} / 1000, 'unixepoch') || printf('.%03dZ', ${col} % 1000)`;

// The list is built as JSON by SQLite itself, in the shape orderJson gives (test/recent-orders
// checks both agree): D1 hands the Worker one string instead of 200 rows to map and re-encode.
// D1 allows 32 arguments per SQL function: json_object takes the order, json_insert the
// customer (json_patch would drop its nulls).
// ?1 is the site, ?2 the order state from which an order is validated, ?3 the site's stores
// (their currencies), ?4 the store of a store's list.
// Served by orders_site_recent (site_id, updated_at [, rowid]), a store's by
// orders_site_store_recent (site_id, store, updated_at [, rowid]): no sort step (tested with
// EXPLAIN QUERY PLAN in test/recent-orders.test.ts).
const recentOrdersSql = (byStore: boolean) => `
  SELECT json_group_array(json(j)) AS orders FROM (
    SELECT json_insert(json_object(
      'order_idorder', o.idorder,
      'order_state', o.state,
      'order_state_name', CASE o.state ${Object.entries(ORDER_STATES).map(([k, v]) => `WHEN ${k} THEN '${v}'`).join(' ')} END,
      'order_amount', o.amount,
      'order_crea_dt', o.crea_dt,
      'order_start_service', o.start_service,
      'order_end_service', o.end_service,
      'order_tags', json(o.tags),
      'product_attributes', json(o.product_attributes),
      'validated', json(CASE WHEN o.state <> 0 AND o.state >= ?2 THEN 'true' ELSE 'false' END),
      'source', o.source,
      'received_at', ${isoSql('o.received_at')},
      'updated_at', ${isoSql('o.updated_at')}),
      '$.customer_email', p.email,
      '$.external_id', p.external_id,
      '$.customer_cookie', p.cookie,
      '$.customer_name', p.name,
      '$.customer_firstname', p.firstname,
      '$.items', json(${linesJsonSql('o.id')}),
      '$.order_pickup_location', o.pickup_location,
      '$.store', o.store,
      '$.currency', (SELECT value ->> 'currency' FROM json_each(?3) WHERE value ->> 'id' = o.store)) AS j
    FROM orders o JOIN profiles p ON p.id = o.profile_id
    WHERE o.site_id = ?1${byStore ? ' AND o.store = ?4' : ''}
    ORDER BY o.updated_at DESC, o.id DESC
    LIMIT ${RECENT_ORDERS_LIMIT})`;
export const RECENT_ORDERS_SQL = recentOrdersSql(false);
export const RECENT_STORE_ORDERS_SQL = recentOrdersSql(true);

/**
 * The site's (or one store's) 200 most recently received or updated orders, newest first, as a
 * JSON array.
 */
export async function recentOrdersJson(db: D1Database, siteId: number, settings: Settings, store?: string): Promise<string> {
  const stores = JSON.stringify(settings.stores);
  const stmt =
    store === undefined
      ? db.prepare(RECENT_ORDERS_SQL).bind(siteId, validationThreshold(settings), stores)
      : db.prepare(RECENT_STORE_ORDERS_SQL).bind(siteId, validationThreshold(settings), stores, store);
  const row = await stmt.first<{ orders: string }>();
  return row?.orders ?? '[]';
}
