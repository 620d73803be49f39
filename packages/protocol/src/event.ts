// The tracker's event envelope (id, type, ts, sbt, data): the envelope is checked here, the data
// with the tables of events.ts, and account and order data with the server API's own checks.
import { type Checked, checkFields, checkKind, type FieldError, missingFields } from './check-fields';
import { EVENTS, type EventType } from './events';
import { LIMITS, type Order, type Profile } from './fields';
import { isPlainObject } from './kinds';
import { checkUpdate } from './update';

/** A tracker event once checked: its data normalized, and for account/order/optin what the upserts take. */
export interface CheckedEvent {
  id: string;
  type: EventType;
  ts: number;
  sbt: string;
  /** The store the page belongs to (a site's settings.stores id), when the site has several. */
  store?: string;
  data: Record<string, unknown>;
  profile?: Profile;
  order?: Order;
}

const EVENT_ID = /^[A-Za-z0-9_-]{16,64}$/;
const EVENT_KEYS = ['id', 'type', 'ts', 'sbt', 'store', 'data'];
/** A store id, as a site declares it in its settings. */
export const STORE_PATTERN = /^[a-z0-9_-]{1,32}$/;

/** Renames `data[...]` fields of the server API's checks to where they sit in a tracker request. */
const under = (where: string, errors: FieldError[]) =>
  errors.map((e) => ({ ...e, field: e.field.startsWith('data') ? `${where}${e.field}` : e.field }));

/**
 * One tracker event (a POST /collect batch entry, or a GET /collect query): its envelope, then
 * its data with the same checks the server API makes. `where` prefixes field names
 * (`events[2].` in a batch, nothing in GET mode).
 */
export function checkEvent(ev: unknown, where = ''): Checked<CheckedEvent> {
  const errors: FieldError[] = [];
  const empty = {} as CheckedEvent;
  if (!isPlainObject(ev)) return { values: empty, errors: [{ field: where.replace(/\.$/, '') || 'event', reason: 'must be an event object' }] };
  for (const key of Object.keys(ev)) if (!EVENT_KEYS.includes(key)) errors.push({ field: `${where}${key.slice(0, 64)}`, reason: 'unknown; an event has id, type, ts, sbt, store, data' });
  const type = ev.type as EventType;
  if (typeof ev.id !== 'string' || !EVENT_ID.test(ev.id)) errors.push({ field: `${where}id`, reason: 'must be the event id: 16 to 64 letters, digits, "-" or "_"' });
  if (typeof type !== 'string' || !Object.hasOwn(EVENTS, type)) errors.push({ field: `${where}type`, reason: `must be one of: ${Object.keys(EVENTS).join(', ')}` });
  const ts = typeof ev.ts === 'string' && /^\d{1,15}$/.test(ev.ts) ? +ev.ts : ev.ts;
  // A browser clock can be wrong, not by centuries: 2000 to 2100 (and a Date can hold it).
  if (!Number.isSafeInteger(ts) || (ts as number) < LIMITS.minClientTs || (ts as number) > LIMITS.maxClientTs)
    errors.push({ field: `${where}ts`, reason: 'must be the client time in milliseconds since 1970, between the years 2000 and 2100' });
  const sbt = checkKind({ t: 'cookie' }, ev.sbt);
  if (!sbt.ok) errors.push({ field: `${where}sbt`, reason: sbt.reason });
  if (ev.store !== undefined && (typeof ev.store !== 'string' || !STORE_PATTERN.test(ev.store)))
    errors.push({ field: `${where}store`, reason: 'must be a store id: 1 to 32 of a-z, 0-9, "_" or "-"' });
  if (errors.length) return { values: empty, errors };

  const base = { id: ev.id as string, type, ts: ts as number, sbt: ev.sbt as string, ...(ev.store === undefined ? {} : { store: ev.store as string }) };
  const data = ev.data ?? {};
  if (type === 'account' || type === 'order') {
    const { items, ...rest } = isPlainObject(data) ? data : ({ '': data } as Record<string, unknown>);
    // An order's lines are the server API's data[items]; an account has none.
    const checked = checkUpdate({ data: type === 'order' && items !== undefined ? { ...rest, items } : rest }, type === 'order' ? 'order' : 'customer');
    errors.push(...under(where, checked.errors));
    if (items !== undefined && type === 'account') errors.push({ field: `${where}data[items]`, reason: 'unknown field' });
    const out: CheckedEvent = { ...base, data: { ...checked.values.profile, ...checked.values.order }, profile: checked.values.profile, order: checked.values.order };
    if (out.order?.store !== undefined) errors.push({ field: `${where}data[store]`, reason: `unknown field: a browser event's store is the event's own (${where}store)` });
    else if (out.order && base.store !== undefined) out.order = { ...out.order, store: base.store };
    return { values: out, errors };
  }
  const checked = checkFields<Record<string, unknown>>(data, EVENTS[type].fields, `${where}data`);
  errors.push(...checked.errors);
  const values = checked.values;
  const named = (name: string) => errors.some((e) => e.field.startsWith(`${where}data[${name}]`));
  errors.push(...missingFields(EVENTS[type].required, (name) => values[name] !== undefined || named(name), `${where}data`));
  if (type === 'cart' && values.items === undefined) values.items = []; // a GET query cannot carry an empty list: an emptied cart
  return { values: { ...base, data: values, ...(type === 'optin' ? { profile: values as Profile } : {}) }, errors };
}
