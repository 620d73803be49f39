// The value kinds of the wire contract (fields.ts) as a shop sends them: PHP's form body carries
// every scalar as a string and every list as an object of indices, JSON carries numbers and
// arrays; both normalize to one value here, or to a reason naming what was expected.

import { COUNTRIES } from './countries';
import { type Kind, LIMITS, ORDER_STATES, SBT_PATTERN } from './fields';

export type Check = { ok: true; value: unknown } | { ok: false; reason: string; field?: string };

export const ok = (value: unknown): Check => ({ ok: true, value });
export const bad = (reason: string, field?: string): Check => ({ ok: false, reason, field });

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
export function list(v: unknown): unknown[] | undefined {
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

/** The kinds whose values hold no fields of their own (items do: check-fields.ts takes them). */
export type ValueKind = Exclude<Kind, { t: 'items' }>;

export function checkValue(kind: ValueKind, v: unknown): Check {
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
  }
}
