// One validator for every way a shop sends data: the PHP client's form body, a JSON body and
// the browser tracker's events. It checks each field against the wire contract in fields.ts and
// returns normalized values plus every error at once, each naming its field.

import { COUNTRIES } from './countries';
import { EVENTS, type EventType } from './events';
import {
  ITEM_FIELDS,
  type Kind,
  LIMITS,
  ORDER_FIELDS,
  ORDER_STATES,
  type Order,
  PROFILE_FIELDS,
  type Profile,
  SBT_PATTERN,
} from './fields';

export interface FieldError {
  field: string;
  reason: string;
}

type Check = { ok: true; value: unknown } | { ok: false; reason: string; field?: string };

const ok = (value: unknown): Check => ({ ok: true, value });
const bad = (reason: string, field?: string): Check => ({ ok: false, reason, field });

// C0 controls and DEL, except tab, line feed and carriage return (addresses may span lines).
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
// The HTML standard's "valid email address" (what <input type=email> accepts).
const EMAIL =
  /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;
const LANG = /^[A-Za-z]{2,3}(?:[_-][A-Za-z0-9]{2,8}){0,3}$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;
const DECIMAL = /^\d{1,13}(?:\.\d{1,8})?$/;
const FIELD_ID = /^[1-9]\d{0,9}$/;

export const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A scalar as PHP sends it: strings, and numbers where http_build_query would print them. */
function scalar(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

/**
 * A decimal ≥ 0: a string with a dot and at most 8 decimals ("158.31"), or a JSON number, which
 * may carry binary noise (0.1 + 0.2 = 0.30000000000000004) and is rounded to 8 decimals.
 */
function decimal(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? Math.round(v * 1e8) / 1e8 : undefined;
  return typeof v === 'string' && DECIMAL.test(v) ? +v : undefined;
}

function validCalendarDate(y: string, m: string, d: string): boolean {
  const date = new Date(Date.UTC(+y, +m - 1, +d));
  return date.getUTCFullYear() === +y && date.getUTCMonth() === +m - 1 && date.getUTCDate() === +d && +y >= 1000;
}

/**
 * A list as it arrives: a JSON array, or the object a form body makes of `x[0]=a&x[1]=b`
 * (keys are indices, taken in numeric order). A lone string is a one-item list.
 */
function list(v: unknown): unknown[] | undefined {
  if (Array.isArray(v)) return v;
  if (typeof v === 'string') return [v];
  if (isPlainObject(v)) {
    const keys = Object.keys(v);
    if (!keys.every((k) => /^\d{1,6}$/.test(k))) return undefined;
    return keys.sort((a, b) => +a - +b).map((k) => v[k]);
  }
  return undefined;
}

function text(v: unknown, max: number): Check {
  const s = scalar(v);
  if (s === undefined) return bad('must be a string');
  if (s.length > max) return bad(`must be at most ${max} characters (got ${s.length})`);
  if (CONTROL.test(s)) return bad('must not contain control characters');
  return ok(s);
}

function tags(v: unknown): Check {
  const items = list(v);
  if (!items) return bad('must be a list of tags, like add_tag[0]=vip');
  if (items.length > LIMITS.tagsPerCall) return bad(`at most ${LIMITS.tagsPerCall} tags per call (got ${items.length})`);
  const out: string[] = [];
  for (const [i, item] of items.entries()) {
    const t = text(item, LIMITS.tagLength);
    if (!t.ok) return bad(t.reason, `[${i}]`);
    const tag = (t.value as string).trim();
    if (!tag) return bad('must not be empty', `[${i}]`);
    if (!out.includes(tag)) out.push(tag);
  }
  return ok(out);
}

function attributes(v: unknown): Check {
  if (v === '') return ok([]); // a form body cannot carry an empty list: an empty value clears too
  const products = list(v);
  if (!products || typeof v === 'string') return bad('must be a list of products, each a list of "key:value" strings');
  if (products.length > LIMITS.productsPerOrder) return bad(`at most ${LIMITS.productsPerOrder} products (got ${products.length})`);
  const out: string[][] = [];
  for (const [i, product] of products.entries()) {
    const attrs = list(product);
    if (!attrs) return bad('must be a list of "key:value" strings', `[${i}]`);
    if (attrs.length > LIMITS.attributesPerProduct)
      return bad(`at most ${LIMITS.attributesPerProduct} attributes per product`, `[${i}]`);
    const row: string[] = [];
    for (const [j, attr] of attrs.entries()) {
      const t = text(attr, LIMITS.attributeLength);
      if (!t.ok) return bad(t.reason, `[${i}][${j}]`);
      const s = t.value as string;
      const colon = s.indexOf(':');
      if (colon < 1) return bad(`must be "key:value", like "size:xl" (got "${s.slice(0, 40)}")`, `[${i}][${j}]`);
      row.push(s);
    }
    out.push(row);
  }
  return ok(out);
}

function customFields(v: unknown): Check {
  if (!isPlainObject(v)) return bad('must be a map of custom field id to value, like custom_fields[327]=value');
  const keys = Object.keys(v);
  if (keys.length > LIMITS.customFieldsPerCall) return bad(`at most ${LIMITS.customFieldsPerCall} custom fields per call`);
  const out: Record<string, string | null> = {};
  for (const key of keys) {
    if (!FIELD_ID.test(key)) return bad('custom field ids are positive numbers, like 327', `[${key.slice(0, 40)}]`);
    const value = v[key];
    if (value === '' || value === null) {
      out[key] = null;
      continue;
    }
    const t = text(value, LIMITS.customFieldValueLength);
    if (!t.ok) return bad(t.reason, `[${key}]`);
    out[key] = t.value as string;
  }
  return ok(out);
}

export function checkKind(kind: Kind, v: unknown): Check {
  switch (kind.t) {
    case 'text':
      return text(v, kind.max);
    case 'email': {
      const s = scalar(v)?.trim().toLowerCase();
      return s !== undefined && s.length <= 254 && EMAIL.test(s) ? ok(s) : bad('must be an email address, like john@doe.com');
    }
    case 'id': {
      const t = text(v, 128);
      if (!t.ok) return t;
      return (t.value as string).trim() ? ok(t.value) : bad('must not be blank');
    }
    case 'cookie': {
      const s = scalar(v);
      return s !== undefined && SBT_PATTERN.test(s) ? ok(s) : bad('must be the sbt cookie value (8 to 128 characters: letters, digits, "-", "_", ".")');
    }
    case 'enum': {
      const s = scalar(v);
      return s !== undefined && kind.of.includes(s) ? ok(s) : bad(`must be one of: ${kind.of.join(', ')}`);
    }
    case 'optin': {
      const s = scalar(v);
      return s === '1' || s === '0' || s === '-1' ? ok(+s) : bad('must be 1 (opted in), 0 (not opted in) or -1 (unknown)');
    }
    case 'lang': {
      const s = scalar(v);
      return s !== undefined && LANG.test(s) ? ok(s) : bad('must be a language code, like fr_FR or fr');
    }
    case 'country': {
      const s = scalar(v)?.toUpperCase();
      return s !== undefined && COUNTRIES.has(s) ? ok(s) : bad('must be an ISO 3166-1 alpha-2 country code, like FR');
    }
    case 'date': {
      const m = typeof v === 'string' ? DATE.exec(v) : null;
      return m && validCalendarDate(m[1], m[2], m[3]) ? ok(v) : bad('must be a date, Y-m-d, like 2019-06-05');
    }
    case 'datetime': {
      const m = typeof v === 'string' ? DATETIME.exec(v) : null;
      const valid = m && validCalendarDate(m[1], m[2], m[3]) && +m[4] < 24 && +m[5] < 60 && +m[6] < 60;
      return valid ? ok(v) : bad('must be a UTC date and time, Y-m-d H:i:s, like 2014-06-21 14:31:08');
    }
    case 'state': {
      const s = scalar(v);
      return s !== undefined && s in ORDER_STATES && /^\d+$/.test(s)
        ? ok(+s)
        : bad('must be an order state: 0 cancelled, 10 taken, 20 paid, 50 sent, 100 received');
    }
    case 'amount': {
      const n = decimal(v);
      if (n === undefined) return bad('must be a decimal number ≥ 0 with a dot, like 158.31');
      return n <= LIMITS.maxAmount ? ok(n) : bad(`must be at most ${LIMITS.maxAmount}`);
    }
    case 'tags':
      return tags(v);
    case 'attributes':
      return attributes(v);
    case 'custom_fields':
      return customFields(v);
    case 'url': {
      const s = scalar(v);
      if (s === undefined || s.length > LIMITS.urlLength) return bad(`must be an http(s) URL of at most ${LIMITS.urlLength} characters`);
      try {
        const protocol = new URL(s).protocol;
        if (protocol === 'https:' || protocol === 'http:') return ok(s);
      } catch {}
      return bad(`must be an http(s) URL of at most ${LIMITS.urlLength} characters`);
    }
    case 'number': {
      const n = decimal(v);
      return n !== undefined && n <= LIMITS.maxAmount ? ok(n) : bad('must be a number ≥ 0, like 4.5');
    }
    case 'quantity': {
      const s = scalar(v);
      return s !== undefined && /^[1-9]\d{0,5}$/.test(s) ? ok(+s) : bad('must be a whole number from 1 to 999999');
    }
    case 'currency': {
      const s = scalar(v)?.toUpperCase();
      return s !== undefined && /^[A-Z]{3}$/.test(s) ? ok(s) : bad('must be an ISO 4217 currency code, like EUR');
    }
    case 'items':
      return items(v);
  }
}

function items(v: unknown): Check {
  const lines = list(v);
  if (!lines || typeof v === 'string') return bad('must be a list of items (product_id or sku, name, category, quantity, unit_price)');
  if (lines.length > LIMITS.itemsPerCart) return bad(`at most ${LIMITS.itemsPerCart} items (got ${lines.length})`);
  const out: unknown[] = [];
  for (const [i, line] of lines.entries()) {
    const { values, errors } = checkFields<Record<string, unknown>>(line, ITEM_FIELDS, '');
    if (errors.length) return bad(errors[0].reason, `[${i}]${errors[0].field}`);
    if (values.product_id === undefined && values.sku === undefined) return bad('needs a product_id or a sku', `[${i}]`);
    out.push(values);
  }
  return ok(out);
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

function unknownReason(name: string, known: string[], elsewhere?: { names: string[]; hint: string }): string {
  if (elsewhere?.names.includes(name)) return elsewhere.hint;
  const near = known.find((k) => distance(name, k) <= 2);
  return near ? `unknown field; did you mean ${near}?` : 'unknown field';
}

export interface Checked<T> {
  values: T;
  errors: FieldError[];
}

/**
 * Checks an object of fields against specs. Absent, null and empty-string values are "not sent"
 * (PHP forms often post empty inputs), except for kinds where empty means "clear".
 */
export function checkFields<T>(
  input: unknown,
  specs: Record<string, Kind>,
  where: string,
  elsewhere?: { names: string[]; hint: string },
): Checked<T> {
  const errors: FieldError[] = [];
  const values: Record<string, unknown> = {};
  if (!isPlainObject(input)) {
    return { values: values as T, errors: [{ field: where, reason: 'must be an object of fields' }] };
  }
  const known = Object.keys(specs);
  for (const name of Object.keys(input)) {
    const field = `${where}[${name.slice(0, 64)}]`;
    const spec = Object.hasOwn(specs, name) ? specs[name] : undefined;
    if (!spec) {
      errors.push({ field, reason: unknownReason(name, known, elsewhere) });
      continue;
    }
    const v = input[name];
    const clears = spec.t === 'attributes';
    if (v === null || v === undefined || (v === '' && !clears)) continue;
    const r = checkKind(spec, v);
    if (r.ok) values[name] = r.value;
    else errors.push({ field: field + (r.field ?? ''), reason: r.reason });
  }
  return { values: values as T, errors };
}

/**
 * The required groups of a table (EVENTS[type].required) that nothing was sent for: for each,
 * an error on its first field. `sent(name)` says whether a field came with a value.
 */
export function missingFields(required: readonly (readonly string[])[], sent: (name: string) => boolean, where: string): FieldError[] {
  return required
    .filter((group) => !group.some(sent))
    .map((group) => ({ field: `${where}[${group[0]}]`, reason: `${group.length > 1 ? group.join(' or ') + ' is' : 'is'} required` }));
}

export interface UpdateInput {
  profile: Profile;
  order?: Order;
}

const ORDER_NAMES = Object.keys(ORDER_FIELDS);
const BOTH = { ...PROFILE_FIELDS, ...ORDER_FIELDS };

function checkTagPairs(values: Record<string, unknown>, add: string, del: string, errors: FieldError[]) {
  const added = values[add] as string[] | undefined;
  const removed = values[del] as string[] | undefined;
  const both = added?.filter((t) => removed?.includes(t)) ?? [];
  if (both.length) errors.push({ field: `data[${del}]`, reason: `tag "${both[0]}" is both added and removed` });
}

/**
 * The body of /api/updateOrder (mode 'order') or /api/updateCustomer (mode 'customer'):
 * `{ data: {...fields}, request: { order_idorder } }`, from JSON or from PHP's http_build_query.
 */
export function checkUpdate(body: unknown, mode: 'order' | 'customer'): Checked<UpdateInput> {
  const errors: FieldError[] = [];
  const empty = { profile: {} } as UpdateInput;
  if (!isPlainObject(body)) return { values: empty, errors: [{ field: 'body', reason: 'must be an object with data (and request)' }] };
  for (const key of Object.keys(body)) {
    if (key !== 'data' && !(key === 'request' && mode === 'order'))
      errors.push({ field: key.slice(0, 64), reason: mode === 'order' ? 'unknown; the body has data[...] and request[...]' : 'unknown; the body has data[...]' });
  }
  if (!Object.hasOwn(body, 'data')) {
    errors.push({ field: 'data', reason: 'is required: the profile and order fields go in data[...]' });
    return { values: empty, errors };
  }
  const checked =
    mode === 'order'
      ? checkFields<Record<string, unknown>>(body.data, BOTH, 'data')
      : checkFields<Record<string, unknown>>(body.data, PROFILE_FIELDS, 'data', {
          names: ORDER_NAMES,
          hint: 'order fields are taken by /api/updateOrder, not /api/updateCustomer',
        });
  errors.push(...checked.errors);
  const values = checked.values;

  const profile: Record<string, unknown> = {};
  const order: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(values)) (Object.hasOwn(ORDER_FIELDS, k) ? order : profile)[k] = v;

  const dataFields = isPlainObject(body.data) ? body.data : {};
  const sent = (name: string) => dataFields[name] !== undefined && dataFields[name] !== null && dataFields[name] !== '';
  checkTagPairs(values, 'add_tag', 'del_tag', errors);

  if (mode === 'customer') {
    errors.push(...missingFields(EVENTS.account.required, sent, 'data'));
    return { values: { profile: profile as Profile }, errors };
  }

  if (body.request !== undefined) {
    const request = checkFields<{ order_idorder?: string }>(body.request, { order_idorder: ORDER_FIELDS.order_idorder }, 'request');
    errors.push(...request.errors);
    const fromRequest = request.values.order_idorder;
    if (fromRequest !== undefined) {
      if (order.order_idorder === undefined && !sent('order_idorder')) order.order_idorder = fromRequest;
      else if (order.order_idorder !== undefined && order.order_idorder !== fromRequest)
        errors.push({
          field: 'request[order_idorder]',
          reason: `names order "${fromRequest.slice(0, 64)}" but data[order_idorder] is "${String(order.order_idorder).slice(0, 64)}"`,
        });
    }
  }
  const idFromRequest = order.order_idorder !== undefined || errors.some((e) => e.field === 'request[order_idorder]');
  errors.push(...missingFields(EVENTS.order.required, (name) => sent(name) || (name === 'order_idorder' && idFromRequest), 'data'));
  checkTagPairs(values, 'add_order_tag', 'del_order_tag', errors);
  return { values: { profile: profile as Profile, order: order as Order }, errors };
}

/** A tracker event once checked: its data normalized, and for account/order/optin what the upserts take. */
export interface CheckedEvent {
  id: string;
  type: EventType;
  ts: number;
  sbt: string;
  data: Record<string, unknown>;
  profile?: Profile;
  order?: Order;
}

const EVENT_ID = /^[A-Za-z0-9_-]{16,64}$/;
const EVENT_KEYS = ['id', 'type', 'ts', 'sbt', 'data'];

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
  for (const key of Object.keys(ev)) if (!EVENT_KEYS.includes(key)) errors.push({ field: `${where}${key.slice(0, 64)}`, reason: 'unknown; an event has id, type, ts, sbt, data' });
  const type = ev.type as EventType;
  if (typeof ev.id !== 'string' || !EVENT_ID.test(ev.id)) errors.push({ field: `${where}id`, reason: 'must be the event id: 16 to 64 letters, digits, "-" or "_"' });
  if (typeof type !== 'string' || !Object.hasOwn(EVENTS, type)) errors.push({ field: `${where}type`, reason: `must be one of: ${Object.keys(EVENTS).join(', ')}` });
  const ts = typeof ev.ts === 'string' && /^\d{1,15}$/.test(ev.ts) ? +ev.ts : ev.ts;
  // A browser clock can be wrong, not by centuries: 2000 to 2100 (and a Date can hold it).
  if (!Number.isSafeInteger(ts) || (ts as number) < LIMITS.minClientTs || (ts as number) > LIMITS.maxClientTs)
    errors.push({ field: `${where}ts`, reason: 'must be the client time in milliseconds since 1970, between the years 2000 and 2100' });
  const sbt = checkKind({ t: 'cookie' }, ev.sbt);
  if (!sbt.ok) errors.push({ field: `${where}sbt`, reason: sbt.reason });
  if (errors.length) return { values: empty, errors };

  const base = { id: ev.id as string, type, ts: ts as number, sbt: ev.sbt as string };
  const data = ev.data ?? {};
  if (type === 'account' || type === 'order') {
    const { items, ...rest } = isPlainObject(data) ? data : ({ '': data } as Record<string, unknown>);
    const checked = checkUpdate({ data: rest }, type === 'order' ? 'order' : 'customer');
    errors.push(...under(where, checked.errors));
    const out: CheckedEvent = { ...base, data: { ...checked.values.profile, ...checked.values.order }, profile: checked.values.profile, order: checked.values.order };
    if (items !== undefined && items !== '' && type === 'order') {
      const r = checkKind({ t: 'items' }, items);
      if (r.ok) out.data.items = r.value;
      else errors.push({ field: `${where}data[items]${r.field ?? ''}`, reason: r.reason });
    } else if (items !== undefined && type === 'account') errors.push({ field: `${where}data[items]`, reason: 'unknown field' });
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
