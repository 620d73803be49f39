// Orders: the first call with an order_idorder creates the order, every later one updates it
// (seed 003, "Gestion de l'idorder"). One INSERT … ON CONFLICT DO UPDATE … RETURNING does both.
import { ORDER_STATES, type Order, type OrderState } from '@shopbeacon/protocol';
import { type Guard, guardedValues, mergeTagsSql, type Source, type Stmt } from './profiles';
import { isValidated, type Settings } from './settings';

/**
 * The order upsert. The order date (order_crea_dt) and the source are kept from the first call:
 * an order is created once, by one channel; state, amount, service dates, tags, product
 * attributes and the customer follow the latest call. `version` is 1 on creation.
 */
export type OrderInput = Required<Pick<Order, 'order_idorder' | 'order_state' | 'order_amount' | 'order_crea_dt'>> & Order;

export function upsertOrder(siteId: number, profileId: Stmt, o: OrderInput, source: Source, now: number, guard?: Guard): Stmt {
  const attrs = o.product_attributes === undefined ? null : JSON.stringify(o.product_attributes);
  return {
    sql: `INSERT INTO orders (site_id, idorder, profile_id, state, amount, crea_dt, start_service, end_service,
                              tags, product_attributes, source, received_at, updated_at)
          ${guardedValues(`?, ?, ${profileId.sql}, ?, ?, ?, ?, ?, ?, coalesce(?, '[]'), ?, ?, ?`, guard)}
          ON CONFLICT (site_id, idorder) DO UPDATE SET
            profile_id = excluded.profile_id,
            state = excluded.state,
            amount = excluded.amount,
            start_service = coalesce(excluded.start_service, start_service),
            end_service = coalesce(excluded.end_service, end_service),
            tags = ${mergeTagsSql('orders.tags')},
            product_attributes = coalesce(?, product_attributes),
            version = version + 1,
            updated_at = excluded.updated_at
          RETURNING *`,
    params: [
      siteId,
      o.order_idorder,
      ...profileId.params,
      o.order_state,
      o.order_amount,
      o.order_crea_dt,
      o.order_start_service ?? null,
      o.order_end_service ?? null,
      JSON.stringify(o.add_order_tag ?? []),
      attrs,
      source,
      now,
      now,
      ...(guard?.params ?? []),
      JSON.stringify(o.del_order_tag ?? []),
      JSON.stringify(o.add_order_tag ?? []),
      attrs,
    ],
  };
}

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
  source: Source;
  version: number;
  received_at: number;
  updated_at: number;
}

export interface Customer {
  email: string | null;
  external_id: string | null;
  cookie: string | null;
}

/** An order as the API shows it: the seed's field names, plus what the dashboard needs. */
export function orderJson(row: OrderRow, customer: Customer, settings: Settings) {
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
  };
}

export const RECENT_ORDERS_LIMIT = 200;

// Served by orders_site_recent (site_id, updated_at [, rowid]): no sort step (tested with
// EXPLAIN QUERY PLAN in test/orders.test.ts).
export const RECENT_ORDERS_SQL = `
  SELECT o.*, p.email, p.external_id, p.cookie
  FROM orders o JOIN profiles p ON p.id = o.profile_id
  WHERE o.site_id = ?
  ORDER BY o.updated_at DESC, o.id DESC
  LIMIT ${RECENT_ORDERS_LIMIT}`;

/** The site's 200 most recently received or updated orders, newest first. */
export async function recentOrders(db: D1Database, siteId: number, settings: Settings) {
  const { results } = await db.prepare(RECENT_ORDERS_SQL).bind(siteId).all<OrderRow & Customer>();
  return results.map((r) => orderJson(r, r, settings));
}
