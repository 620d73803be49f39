// The browser's own check of event data, driven by protocol's tables (./tables) like the
// Worker's. The server's validator weighs more than this whole script may, so this one is
// compact: per kind it answers yes or no as checkKind does (test/check.test.ts runs both on one
// corpus and lists where this one is lighter on purpose) and names the field. The server keeps
// the last word.
import { type EventType, LIMITS, SBT_PATTERN } from '@shopbeacon/protocol';
import { CHECK_VALUES } from './flags';
import { CODES, type Code, EVENTS, ITEM_CODES, ITEMS } from './tables';

type Data = Record<string, unknown>;

const DAY = '^[1-9]\\d{3}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])';

// The scalar kinds, one pattern each, restated from protocol's kinds.ts (which also carries
// the country list). Lighter here: country is two letters, not the ISO list; a date is not held
// to its month's length (2019-02-30); email domain labels are not held to 63 characters without
// edge hyphens.
const PATTERNS: Record<string, RegExp> = {
  email: /^\s*[\w.!#$%&'*+/=?^`{|}~-]+@[a-z\d-]+(\.[a-z\d-]+)*\s*$/i, // the server trims it first
  cookie: SBT_PATTERN,
  lang: /^[a-z]{2,3}([_-][a-z\d]{2,8}){0,3}$/i,
  country: /^[a-z]{2}$/i,
  date: RegExp(DAY + '$'),
  datetime: RegExp(DAY + ' ([01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d$'),
  quantity: /^[1-9]\d{0,5}$/,
  currency: /^[a-z]{3}$/i,
};

/** What a value must be, where the kind's name would not say it. */
const LABELS: Record<string, string> = {
  amount: 'a decimal ≥ 0',
  id: 'text ≤ 128, not blank',
  date: 'Y-m-d',
  datetime: 'Y-m-d H:i:s',
  email: 'an email address',
  cookie: 'an sbt id',
  lang: 'a language code (fr, fr_FR)',
  country: 'a 2-letter country code',
  quantity: 'a whole number ≥ 1',
  currency: 'a 3-letter currency code',
  url: `an http(s) URL ≤ ${LIMITS.urlLength}`,
  tags: `a list of text ≤ ${LIMITS.tagLength}, not blank`,
  attributes: 'a list of lists of key:value',
  custom_fields: 'numeric ids → text',
};

/**
 * A scalar as the server reads it: a string, or a finite number as PHP prints it. Anything else
 * becomes "\0", which no scalar kind takes.
 */
const str = (v: unknown) => (typeof v == 'string' ? v : typeof v == 'number' && isFinite(v) ? '' + v : '\0');

/** Text of at most `max` characters without C0 controls or DEL (tab and line breaks are fine); `filled`: not blank. */
const text = (v: unknown, max: number, filled?: boolean) => {
  const s = str(v);
  return s.length <= max && !/[\0-\b\v\f\x0e-\x1f\x7f]/.test(s) && (!filled || !!s.trim());
};

/** A list of at most `max` elements, each passing `ok`: an array, or a lone string as a list of one. */
const list = (v: unknown, max: number, ok: (x: unknown) => unknown) => {
  const a = typeof v == 'string' ? [v] : v;
  return Array.isArray(a) && a.length <= max && a.every(ok);
};

const isObject = (v: unknown): v is Data => !!v && typeof v == 'object' && !Array.isArray(v);

/** o[k] absent or null is "not sent" on the server, and so is "", but where it clears a list. */
const sent = (o: Data, k: string, kind?: Code) => (kind == 'attributes' ? o[k] != null : (o[k] ?? '') !== '');

/** The error of one value ("data[x] must be …"), or falsy. */
export function checkValue(code: Code, v: unknown, at: string): string | false | undefined {
  const s = str(v);
  const n = typeof v == 'number' ? v : /^\d{1,13}(\.\d{1,8})?$/.test(s) ? +s : -1;
  if (code == 'items') {
    if (typeof v == 'string' || !list(v, LIMITS.itemsPerCart, isObject)) return `${at} must be a list of items`;
    for (const [i, line] of (v as Data[]).entries()) {
      const error = checkFields(ITEMS, ITEM_CODES, line, `${at}[${i}]`)[0] || (!sent(line, 'product_id') && !sent(line, 'sku') && `${at}[${i}] needs product_id or sku`);
      if (error) return error;
    }
    return;
  }
  return (
    !(typeof code == 'number'
      ? text(v, code)
      : Array.isArray(code)
        ? code.includes(s)
        : code == 'id'
          ? text(v, 128, true)
          : code == 'amount'
            ? n >= 0 && n <= LIMITS.maxAmount
            : code == 'url'
              ? url(s)
              : code == 'tags'
                ? list(v, LIMITS.tagsPerCall, (tag) => text(tag, LIMITS.tagLength, true))
                : code == 'attributes'
                  ? v === '' || // clears them
                    (typeof v != 'string' &&
                      list(v, LIMITS.productsPerOrder, (p) =>
                      list(p, LIMITS.attributesPerProduct, (a) => text(a, LIMITS.attributeLength) && str(a).indexOf(':') > 0),
                      ))
                  : code == 'custom_fields'
                    ? isObject(v) &&
                      list(Object.keys(v), LIMITS.customFieldsPerCall, (id) => /^[1-9]\d{0,9}$/.test(id as string) && (!sent(v, id as string) || text(v[id as string], LIMITS.customFieldValueLength)))
                    : s.length <= 254 && PATTERNS[code].test(s)) &&
    `${at} must be ${typeof code == 'number' ? 'text ≤ ' + code : Array.isArray(code) ? 'one of ' + code : LABELS[code] || code}`
  );
}

/** An http(s) URL the browser can parse, of at most LIMITS.urlLength characters. */
const url = (s: string) => {
  try {
    return s.length <= LIMITS.urlLength && /^https?:$/.test(new URL(s).protocol);
  } catch {}
};

/**
 * Every bad field of an object (the data, or a line of items), each named: unknown names (the
 * server refuses them), and with CHECK_VALUES bad values. `known` are the names it may have,
 * space-separated; `codes` theirs, in order. (Names unlike the callers' let terser inline it.)
 */
const checkFields = (known: string, codes: Code[], o: Data, where: string): string[] =>
  Object.keys(o).flatMap(
    (k, i) =>
      ((i = known.split(' ').indexOf(k)) < 0 ? `${where}[${k}] is unknown` : CHECK_VALUES && sent(o, k, codes[i]) && checkValue(codes[i], o[k], `${where}[${k}]`)) || [],
  );

/**
 * The errors of one event's data: none when it may be sent. Its required groups are checked
 * when its fields are good.
 */
export function checkEvent(type: EventType, data: unknown): string[] {
  const [, names, required] = EVENTS[type];
  if (!isObject(data)) return ['data must be an object'];
  const errors = checkFields(names, CODES[type], data, 'data');
  return errors[0]
    ? errors
    : required
        .split(' ')
        .filter((group) => group && !group.split('|').some((f) => sent(data, f)))
        .map((group) => `data[${group}] is required`);
}
