// The verify views' data, read through the same functions as the API (/api/orders/recent,
// /api/events/recent, /api/rejections/recent): one data path.
import { siteByPublicKey } from '../auth';
import type { Site } from '../env';
import { recentEvents } from '../events';
import { recentOrdersJson } from '../orders';
import { recentRejections } from '../rejections';
import { noSuchSite } from './page-error';
import {
  EVENT_COLUMNS,
  eventCells,
  type EventView,
  filterOrders,
  ORDER_COLUMNS,
  orderCells,
  type OrderView,
  REJECTION_COLUMNS,
  rejectionCells,
  STORE_COLUMN,
  type Table,
} from './tables';
import { storeOf } from '../settings';

export const VIEWS = ['orders', 'events', 'rejections'] as const;
export type View = (typeof VIEWS)[number];

/** The site as the API sees it (the isolate cache, else D1): its id and settings. */
export async function siteOf(db: D1Database, publicKey: string) {
  const site = await siteByPublicKey(db, publicKey);
  if (!site) throw noSuchSite();
  return site;
}

/** `store`: one of the site's stores (?store=fr), else every store. */
export async function viewTable(db: D1Database, site: Site, view: View, q = '', store?: string): Promise<Table> {
  const only = storeOf(site.settings, store)?.id;
  const multistore = site.settings.stores.length > 0;
  switch (view) {
    case 'orders': {
      const orders = JSON.parse(await recentOrdersJson(db, site.id, site.settings, only)) as OrderView[];
      const names = new Map(site.settings.stores.map((st) => [st.id, st.name]));
      return { columns: ORDER_COLUMNS, rows: filterOrders(orders, q).map((o) => orderCells(o, names)) };
    }
    case 'events':
      return { columns: multistore ? [...EVENT_COLUMNS, STORE_COLUMN] : EVENT_COLUMNS, rows: ((await recentEvents(db, site.id, only)) as EventView[]).map((e) => eventCells(e, multistore)) };
    case 'rejections':
      return { columns: REJECTION_COLUMNS, rows: (await recentRejections(db, site.id)).map(rejectionCells) };
  }
}

export const CHART_HOURS = 48;
const HOUR_MS = 3_600_000;

/** Orders received per hour: the last CHART_HOURS hours, the current one last. */
export interface OrdersPerHour {
  /** Start of the first hour (ms). */
  start: number;
  counts: number[];
}

/**
 * Orders received in each of the last 48 hours (the current hour last), for the chart on Verify
 * orders. Served by orders_site_recent: an order received in the window was updated in it too
 * (updated_at ≥ received_at), so the scan is the window's orders only.
 */
export async function ordersPerHour(db: D1Database, siteId: number, now = Date.now()): Promise<OrdersPerHour> {
  const start = (Math.floor(now / HOUR_MS) + 1 - CHART_HOURS) * HOUR_MS;
  const { results } = await db
    .prepare('SELECT CAST((received_at - ?2) / 3600000 AS INTEGER) AS h, count(*) AS n FROM orders WHERE site_id = ?1 AND updated_at >= ?2 AND received_at >= ?2 GROUP BY h')
    .bind(siteId, start)
    .all<{ h: number; n: number }>();
  const counts: number[] = Array(CHART_HOURS).fill(0);
  for (const r of results) if (r.h >= 0 && r.h < CHART_HOURS) counts[r.h] = r.n;
  return { start, counts };
}
