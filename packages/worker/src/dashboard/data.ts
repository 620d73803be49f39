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
  type Table,
} from './tables';

export const VIEWS = ['orders', 'events', 'rejections'] as const;
export type View = (typeof VIEWS)[number];

/** The site as the API sees it (the isolate cache, else D1): its id and settings. */
export async function siteOf(db: D1Database, publicKey: string) {
  const site = await siteByPublicKey(db, publicKey);
  if (!site) throw noSuchSite();
  return site;
}

export async function viewTable(db: D1Database, site: Site, view: View, q = ''): Promise<Table> {
  switch (view) {
    case 'orders': {
      const orders = JSON.parse(await recentOrdersJson(db, site.id, site.settings)) as OrderView[];
      return { columns: ORDER_COLUMNS, rows: filterOrders(orders, q).map(orderCells) };
    }
    case 'events':
      return { columns: EVENT_COLUMNS, rows: ((await recentEvents(db, site.id)) as EventView[]).map(eventCells) };
    case 'rejections':
      return { columns: REJECTION_COLUMNS, rows: (await recentRejections(db, site.id)).map(rejectionCells) };
  }
}
