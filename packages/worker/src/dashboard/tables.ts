// The three verify views as plain tables of text: the page renders them, and the JSON the
// browser polls (views.json) carries the same cells, so the live refresh and the first render
// cannot disagree. Every cell is text; it is escaped by JSX on the server and set with
// textContent in the browser.
import type { FieldError } from '@shopbeacon/protocol';
import type { orderJson } from '../orders';

export interface Column {
  key: string;
  label: string;
  /** Short enumerated values (state, yes/no, source): the cell carries data-v for styling. */
  badge?: boolean;
}

export interface Table {
  columns: Column[];
  rows: string[][];
}

/** An order as recentOrdersJson writes it: orderJson's shape (test/recent-orders checks both agree). */
export type OrderView = ReturnType<typeof orderJson>;

export interface EventView {
  id: string;
  type: string;
  sbt: string;
  store: string | null;
  received_at: string;
  data: Record<string, unknown>;
}

export interface RejectionView {
  at: string;
  first_at: string;
  count: number;
  method: string;
  route: string;
  status: number;
  code: string;
  message: string;
  fields: FieldError[];
  excerpt: string;
}

/** "2026-11-25T15:30:00.000Z" → "2026-11-25 15:30:00 UTC". */
export const utc = (iso: string) => `${iso.slice(0, 19).replace('T', ' ')} UTC`;

/** The same in a table cell, on two lines (date, then time): ten columns fit 1280 px. */
export const stamp = (iso: string) => utc(iso).replace(' ', '\n');

const customer = (o: OrderView) =>
  [[o.customer_firstname, o.customer_name].filter(Boolean).join(' '), o.customer_email, o.external_id].filter(Boolean).join('\n');

export const ORDER_COLUMNS: Column[] = [
  { key: 'id', label: 'Order id' },
  { key: 'date', label: 'Order date' },
  { key: 'state', label: 'State', badge: true },
  { key: 'amount', label: 'Amount, lines' },
  { key: 'validated', label: 'Validated', badge: true },
  { key: 'customer', label: 'Customer' },
  { key: 'tags', label: 'Tags' },
  { key: 'source', label: 'Source', badge: true },
  { key: 'received', label: 'Received' },
  { key: 'updated', label: 'Updated' },
];

/** Lines shown in the amount cell; the rest are counted. */
export const LINES_SHOWN = 5;

/**
 * The amount in its store's currency (never added to another store's), then what was bought,
 * one line each, and the pick-up place.
 */
function amountAndLines(o: OrderView): string {
  const amount = `${o.order_amount.toFixed(2)}${o.currency ? ` ${o.currency}` : ''}`;
  const lines = o.items.slice(0, LINES_SHOWN).map((l) => `${l.quantity ?? 1}× ${[l.sku ?? l.product_id, l.name].filter(Boolean).join(' ')}`);
  if (o.items.length > LINES_SHOWN) lines.push(`… ${o.items.length - LINES_SHOWN} more`);
  return [amount, ...lines, ...(o.order_pickup_location ? [`Pick-up: ${o.order_pickup_location}`] : [])].join('\n');
}

/** `stores`: the site's store names by id, shown under the order id. */
export const orderCells = (o: OrderView, stores = new Map<string, string>()): string[] => [
  o.store ? `${o.order_idorder}\n${stores.get(o.store) ?? o.store}` : o.order_idorder,
  `${o.order_crea_dt.replace(' ', '\n')} UTC`,
  o.order_state_name,
  amountAndLines(o),
  o.validated ? 'yes' : 'no',
  customer(o),
  o.order_tags.join(', '),
  o.source === 'api' ? 'API' : o.source,
  stamp(o.received_at),
  stamp(o.updated_at),
];

/** Orders whose id or customer email contains q (case-insensitive); all when q is empty. */
export function filterOrders(orders: OrderView[], q: string): OrderView[] {
  const needle = q.trim().toLowerCase();
  if (!needle) return orders;
  return orders.filter((o) => o.order_idorder.toLowerCase().includes(needle) || (o.customer_email ?? '').includes(needle));
}

export const EVENT_COLUMNS: Column[] = [
  { key: 'time', label: 'Received' },
  { key: 'type', label: 'Type', badge: true },
  { key: 'sbt', label: 'sbt' },
  { key: 'data', label: 'Data' },
];

/** Shown on a site with stores. */
export const STORE_COLUMN: Column = { key: 'store', label: 'Store', badge: true };

export const eventCells = (e: EventView, withStore = false): string[] => [stamp(e.received_at), e.type, e.sbt, JSON.stringify(e.data), ...(withStore ? [e.store ?? ''] : [])];

export const REJECTION_COLUMNS: Column[] = [
  { key: 'time', label: 'Time' },
  { key: 'route', label: 'Route' },
  { key: 'code', label: 'Error', badge: true },
  { key: 'reasons', label: 'Fields and reasons' },
  { key: 'excerpt', label: 'What was sent (keys and cookies redacted)' },
];

/** The message, unless it only restates the fields ("data[x] reason", "3 fields are invalid; see fields"). */
function reasons(r: RejectionView): string {
  const fields = r.fields.map((f) => `${f.field}: ${f.reason}`);
  const restates = r.fields.length > 0 && (/^\d+ fields are invalid; see fields$/.test(r.message) || (r.fields.length === 1 && r.message === `${r.fields[0].field} ${r.fields[0].reason}`));
  return (restates ? fields : [r.message, ...fields]).join('\n');
}

/** The last time; a refusal repeated says how often since when. */
const when = (r: RejectionView) => (r.count > 1 ? `${utc(r.at)}\n×${r.count} since ${utc(r.first_at)}` : utc(r.at));

export const rejectionCells = (r: RejectionView): string[] => [when(r), `${r.method} ${r.route}`, `${r.status} ${r.code}`, reasons(r), r.excerpt];
