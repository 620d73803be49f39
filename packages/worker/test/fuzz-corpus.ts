// The fuzz corpus: every request never-5xx.test.ts sends, and the ones `npm run bench -- --cpu`
// measures the CPU of, so that both run the exact same requests. Plain functions (no cloudflare:*
// import), for one site's keys: a seeded generator mutates valid bodies (wrong types, nesting,
// prototype names, huge and odd values) for every route that reads one, then the known worst
// cases of attacker-controlled input size follow, each at the limit that bounds it.
import { LIMITS } from '@shopbeacon/protocol';
import { phpQuery, seedOrder } from './bodies';

export interface CorpusSite {
  publicKey: string;
  /** The Authorization header of the site's keys (Basic public:private). */
  auth: string;
}

export interface CorpusRequest {
  method: 'GET' | 'POST' | 'PUT';
  /** Path and query, to put after the Worker's origin. */
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** What the request is, in a few words (the benchmark prints it). */
  what: string;
}

type Json = Record<string, any>;

export function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ODD: unknown[] = [null, true, false, 0, -1, 1e308, 9e15, -0.0, '', ' ', '\u0000', '\ud83d\ude00', '%E9%ZZ', 'x'.repeat(3000), [], {}, [[[]]], { a: { b: { c: {} } } }, '__proto__', 'constructor', 'NaN', '1e999', '9'.repeat(40), '2019-02-29', '0000-00-00 00:00:00', '<script>', "'; DROP TABLE orders; --"];

function mutate(value: Json, r: () => number): Json {
  const out: Json = JSON.parse(JSON.stringify(value));
  const targets = [out, out.data];
  for (let n = 1 + Math.floor(r() * 4); n > 0; n--) {
    const target = targets[Math.floor(r() * targets.length)] ?? out;
    const keys = Object.keys(target);
    const key = r() < 0.8 && keys.length ? keys[Math.floor(r() * keys.length)] : ['__proto__', 'constructor', 'extra', 'data', 'request', '0'][Math.floor(r() * 6)];
    const odd = ODD[Math.floor(r() * ODD.length)];
    if (r() < 0.15) delete target[key];
    else Object.defineProperty(target, key, { value: odd, enumerable: true, configurable: true, writable: true });
  }
  return out;
}

const KEYS = (s: CorpusSite) => ({ key: s.publicKey });
const PAGE_HEADERS: Record<string, string>[] = [{}, { origin: 'x' }, { origin: 'null' }, { referer: 'about:blank' }, { origin: 'https://shop.example' }, { referer: 'javascript:x' }];
const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';

/** The number of mutated rounds; each sends one request to each of six routes. */
export const FUZZ_ROUNDS = 400;

/**
 * The whole corpus, in the order the test sends it: the mutated rounds, then the worst cases.
 * `idTag` (4 characters) starts every event id and the worst cases' order ids: another tag gives
 * the same requests, byte for byte as long, as new events and orders (the benchmark's repeats).
 */
export function fuzzCorpus(site: CorpusSite, idTag = 'fuzz'): CorpusRequest[] {
  if (!/^[a-z0-9]{4}$/.test(idTag)) throw new Error(`idTag must be 4 letters or digits, not ${idTag}`);
  // Each from a visitor address of its own (documentation ranges, RFC 5737, only ever a header):
  // /collect's per-address rate limit would otherwise answer most of the corpus 429, unchecked.
  return [...mutatedRounds(site, idTag), ...worstCases(site, idTag)].map((req, i) =>
    req.path.startsWith('/collect') ? { ...req, headers: { ...req.headers, 'cf-connecting-ip': `${i % 2 ? '198.51.100' : '203.0.113'}.${(i >> 1) % 256}` } } : req,
  );
}

/** updateOrder, updateCustomer, settings, /collect (POST and GET) and the dashboard login, 400 mutated bodies each. */
function mutatedRounds(site: CorpusSite, idTag: string): CorpusRequest[] {
  const out: CorpusRequest[] = [];
  const r = rng(20261125);
  const id = (what: string, n: number, width = 12) => `${idTag}${what}${String(n).padStart(width, '0')}`;
  const event = { id: id('', 0), type: 'order', ts: 1, sbt: 'AbCdEfGhIjKlMnOpQrStUv', data: seedOrder().data };
  for (let i = 0; i < FUZZ_ROUNDS; i++) {
    const order = mutate(seedOrder(), r);
    const json = i % 2 === 0;
    const enc = json ? 'JSON' : 'form';
    const bodies: [CorpusRequest['method'], string, string, string, string][] = [
      ['POST', '/api/updateOrder', json ? JSON.stringify(order) : phpQuery(order), json ? JSON_TYPE : FORM, `fuzz #${i}: the seed order mutated, ${enc}`],
      ['POST', '/api/updateCustomer', json ? JSON.stringify(order) : phpQuery(order), json ? JSON_TYPE : FORM, `fuzz #${i}: the seed order mutated, ${enc}`],
      ['PUT', '/api/settings', JSON.stringify(mutate({ data: { get_mode: true, gdpr: { on_order: 'x' }, custom_fields: [{ id: 1, name: 'n' }] } }, r).data ?? {}), JSON_TYPE, `fuzz #${i}: settings mutated`],
      // Two events, sometimes with one id (a duplicate inside the batch).
      ['POST', '/collect', JSON.stringify({ ...KEYS(site), visit: 1, events: [mutate({ ...event, id: id('', i) }, r), { ...event, type: 'page', data: {}, id: id('', i - (i % 3 === 0 ? 0 : 1000)) }] }), 'text/plain', `fuzz #${i}: a mutated order event and a page view`],
      ['POST', '/dashboard/login', json ? phpQuery({ public_key: site.publicKey, private_key: order.data?.customer_name ?? '' }) : '--x\r\nbroken', json ? FORM : 'multipart/form-data; boundary=x', `fuzz #${i}: a login`],
    ];
    for (const [method, path, body, type, what] of bodies) {
      const page = PAGE_HEADERS[Math.floor(r() * PAGE_HEADERS.length)];
      const origin = path.startsWith('/dashboard') ? { origin: 'https://tracker.test' } : page;
      out.push({ method, path, headers: { authorization: site.auth, 'content-type': type, ...origin }, body, what });
    }
    const query = phpQuery(mutate({ ...KEYS(site), ...event, id: id('get', i, 9) }, r));
    out.push({ method: 'GET', path: `/collect?${query}`, headers: {}, what: `fuzz #${i}: a mutated order event as a query` });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The worst cases of input size: what an attacker controls (a field name's length, the number
// of fields, nesting, the number of events, every value at its limit), as large as a limit lets
// it be. Bodies that are meant to be parsed stay within LIMITS.bodyBytes (64 KB); GET queries
// within Cloudflare's URL limit (16 KB; the edge answers 414 above it, the Worker never sees it).

const KB = 1024;
const URL_BYTES = 16_000; // path and query: Cloudflare's 16 KB less room for the origin
const SHOP = 'https://shop.example';
const SBT = 'AbCdEfGhIjKlMnOpQrStUv';
const TS = 1_764_000_000_000; // 2025-11-24
const bytes = (s: string) => new TextEncoder().encode(s).length;

/** The largest n ≤ max for which make(n) stays within limit bytes (make grows with n). */
function fit(limit: number, max: number, make: (n: number) => string): number {
  let lo = 0;
  let hi = max;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (bytes(make(mid)) <= limit) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const chars = (c: string, n: number) => c.repeat(n);
/** A field name that is no field and is no near miss of one (the hint looks for those). */
const unknownName = (i: number, length = 22) => `zq${String(i).padStart(length - 2, '0')}`;
/** A text of exactly n characters that says which it is. */
const textOf = (label: string, n: number) => (label + chars('x', n)).slice(0, n);

/** The heaviest settings: GET mode (the browser's orders are applied), every GDPR basis, 200 custom fields declared. */
const HEAVIEST_SETTINGS = {
  get_mode: true,
  order_validation_state: 'taken',
  gdpr: { on_order: 'cgv', on_account: 'cgv', email_optin: { to: 'consent', id: 'newsletter' }, sms_optin: { to: 'consent', id: 'sms' } },
  custom_fields: [327, ...range(199).map((i) => i + 1)].map((id) => ({ id, name: `field ${id}` })),
};

/** Every profile and order field at its longest (tags: 100 of 100 characters per list), as one valid order. */
function orderAtLimits(orderId: string, tagLists = 4) {
  const tags = (label: string) => range(LIMITS.tagsPerCall).map((i) => textOf(`${label}${i}-`, LIMITS.tagLength));
  const lists = ['add_tag', 'del_tag', 'add_order_tag', 'del_order_tag'].slice(0, tagLists);
  return {
    customer_email: `${chars('a', 64)}@${chars('b', 63)}.${chars('c', 63)}.${chars('d', 61)}`, // 254, the most EMAIL takes
    external_id: textOf('ext-', 128),
    customer_cookie: chars('c', 128),
    customer_name: textOf('name ', 255),
    customer_firstname: textOf('first ', 255),
    customer_isoptin: '1',
    customer_mobile_isoptin: '1',
    customer_gender: 'female',
    customer_address: textOf('address ', 255),
    customer_address2: textOf('address2 ', 255),
    customer_address3: textOf('address3 ', 255),
    customer_cp: textOf('cp', 32),
    customer_city: textOf('city ', 255),
    customer_country: 'FR',
    customer_tel: textOf('tel', 32),
    customer_mobile: textOf('mobile', 32),
    customer_fonction: textOf('fonction ', 255),
    customer_company: textOf('company ', 255),
    customer_birthday: '1970-12-31',
    customer_lang: 'fra_ABCDEFGH_ABCDEFGH_ABCDEFGH',
    action: textOf('action', 64),
    custom_fields: { 327: textOf('value ', LIMITS.customFieldValueLength) },
    order_idorder: orderId,
    order_state: '100',
    order_amount: '999999999999.99999999',
    order_crea_dt: '2026-07-02 14:31:08',
    order_start_service: '2026-07-03',
    order_end_service: '2026-07-04',
    product_attributes: [['size:xl', 'color:navy']],
    ...Object.fromEntries(lists.map((l) => [l, tags(l)])),
  };
}

/** The few fields that make a valid order, for bodies whose bulk is elsewhere. */
const minimalOrder = (orderId: string) => ({
  customer_email: 'bulk@shop.example',
  order_idorder: orderId,
  order_state: '20',
  order_amount: '10.00',
  order_crea_dt: '2026-07-02 14:31:08',
});

const item = (i: number) => ({ product_id: `p${i}`, sku: `SKU-${i}`, name: `Product ${i}`, category: 'shirts', quantity: 1 + (i % 3), unit_price: '19.90' });
const unknownFields = (k: number) => Object.fromEntries(range(k).map((i) => [unknownName(i), 1]));
const pageAtLimits = (i: number) => ({
  url: `${SHOP}/${textOf(`u${i}-`, LIMITS.urlLength - SHOP.length - 1)}`,
  referrer: `${SHOP}/${textOf(`r${i}-`, LIMITS.urlLength - SHOP.length - 1)}`,
  title: textOf(`t${i} `, LIMITS.titleLength),
});

/** `prefix`, then arrays nested as deep as `limit` bytes allow ([[[…]]]), then `suffix`. */
function nestedArrays(prefix: string, suffix: string, limit: number) {
  const n = Math.floor((limit - bytes(prefix + suffix)) / 2);
  return { n, text: `${prefix}${'['.repeat(n)}${']'.repeat(n)}${suffix}` };
}

function worstCases(site: CorpusSite, tag: string): CorpusRequest[] {
  // Ids from the case and the position, never from a counter: a body is the same however often it is built.
  const eventId = (label: string, k = 0) => `${tag}-${label}-${String(k).padStart(6, '0')}`;
  const orderId = (label: string) => `${tag}-${label}`;
  const ev = (label: string, k: number, type: string, data: unknown) => ({ id: eventId(label, k), type, ts: TS, sbt: SBT, data });
  const batch = (events: unknown[]) => JSON.stringify({ ...KEYS(site), events });
  const query = (label: string, type: string, data: Json) => `/collect?${phpQuery({ ...KEYS(site), type, id: eventId(label), ts: TS, sbt: SBT, data })}`;
  const maxBody = LIMITS.bodyBytes;

  /** [what, text] with `make(k)` for the largest k ≤ max whose text stays within `limit` bytes; {n} in what is that k. */
  const largest = (what: string, make: (k: number) => string, max: number, limit = maxBody): [string, string] => {
    const k = fit(limit, max, make);
    return [what.replace('{n}', k.toLocaleString('en')), make(k)];
  };
  const api = ([what, body]: [string, string], type = FORM): CorpusRequest => ({
    method: 'POST',
    path: '/api/updateOrder',
    headers: { authorization: site.auth, 'content-type': type },
    body,
    what: `${type === FORM ? 'form' : 'JSON'}: ${what}`,
  });
  const apiJson = (what: string, value: unknown) => api([what, JSON.stringify(value)], JSON_TYPE);
  const beacon = ([what, body]: [string, string]): CorpusRequest => ({ method: 'POST', path: '/collect', headers: { 'content-type': 'text/plain', origin: SHOP }, body, what });
  const pixel = ([what, path]: [string, string]): CorpusRequest => ({ method: 'GET', path, headers: { referer: `${SHOP}/` }, what });

  const longName = chars('x', 63 * KB);
  const nameSize = `${longName.length.toLocaleString('en')}-character field name`;
  const form2000 = range(2000).map((i) => `data[${unknownName(i)}]=1`).join('&');
  // data[product_attributes][p][a] is as deep as a form may nest (qs depth 3); 50 attributes a product.
  const deepForm = (k: number) => `${phpQuery({ data: minimalOrder(orderId('deep-form')) })}&${range(k).map((i) => `data[product_attributes][${Math.floor(i / 50)}][${i % 50}]=k${i}:v`).join('&')}`;
  const deepJson = nestedArrays('{"data":{"customer_name":', '}}', maxBody);
  const deepTitle = nestedArrays(`{"key":"${site.publicKey}","events":[{"id":"${eventId('deep-title')}","type":"page","ts":${TS},"sbt":"${SBT}","data":{"title":`, '}}]}', maxBody);
  const over = (prefix: string, suffix: string) => `${prefix}${chars('x', maxBody + 1 - bytes(prefix + suffix))}${suffix}`;

  const orderEvent = (label: string, k: number, items: number) =>
    ev(label, k, 'order', { ...seedOrder().data, customer_email: `buyer${k}@shop.example`, external_id: `${tag}-buyer-${k}`, order_idorder: orderId(`${label}-${k}`), items: range(items).map(item) });
  const pageView = (label: string, k: number, size: number) => ev(label, k, 'page', { url: `${SHOP}/products/${textOf(`p${k}-`, size)}`, referrer: `${SHOP}/`, title: textOf(`Page ${k} `, Math.min(size, LIMITS.titleLength)) });
  const fullBatch = (size: number) => batch([...range(4).map((k) => orderEvent('full', k, 20)), ...range(LIMITS.eventsPerBatch - 4).map((k) => pageView('full', 4 + k, size))]);
  const pixelOrder = (label: string, extra: Json) => query(label, 'order', { ...minimalOrder(orderId(label)), ...extra });

  const cases: CorpusRequest[] = [
    { method: 'PUT', path: '/api/settings', headers: { authorization: site.auth, 'content-type': JSON_TYPE }, body: JSON.stringify(HEAVIEST_SETTINGS), what: 'the heaviest settings: GET mode, every GDPR basis, 200 custom fields' },

    // POST /api/updateOrder
    api([`data[<${nameSize}>]=1`, `data[${longName}]=1`]),
    apiJson(`{"data":{"<${nameSize}>":1}}`, { data: { [longName]: 1 } }),
    api(['2,000 fields (the most a form may have), unknown names of 22 characters', form2000]),
    api(['2,001 fields, one past the limit', `${form2000}&data[x]=1`]),
    api(largest('{n} fields, unknown names of 22 characters (a JSON body has no field limit)', (k) => JSON.stringify({ data: unknownFields(k) }), 100_000), JSON_TYPE),
    api(largest('a valid order with {n} data[product_attributes][p][a] fields, the deepest nesting allowed', deepForm, 2000 - 5)),
    api(['data[product_attributes][0][0][0], one level deeper than allowed', `${phpQuery({ data: minimalOrder(orderId('too-deep')) })}&data[product_attributes][0][0][0]=a:b`]),
    api([`a value nested ${deepJson.n.toLocaleString('en')} arrays deep`, deepJson.text], JSON_TYPE),
    api(['a valid order, every field at its limit, 4 × 100 tags of 100 characters', phpQuery({ data: orderAtLimits(orderId('limits-form')) })]),
    apiJson('a valid order, every field at its limit, 4 × 100 tags of 100 characters', { data: orderAtLimits(orderId('limits-json')) }),
    api(largest('a valid order with {n} custom fields of 1,000 characters', (k) => phpQuery({ data: { ...minimalOrder(orderId('custom-form')), custom_fields: Object.fromEntries(range(k).map((i) => [i + 1, textOf(`v${i} `, LIMITS.customFieldValueLength)])) } }), LIMITS.customFieldsPerCall)),
    api(largest('a valid order with {n} products × 50 attributes of 200 characters', (k) => phpQuery({ data: { ...minimalOrder(orderId('attrs-form')), product_attributes: range(k).map((p) => range(LIMITS.attributesPerProduct).map((a) => textOf(`k${p}-${a}:`, LIMITS.attributeLength))) } }), LIMITS.productsPerOrder)),
    api(largest('a valid order with {n} products × 50 attributes', (k) => JSON.stringify({ data: { ...minimalOrder(orderId('attrs-json')), product_attributes: range(k).map(() => range(LIMITS.attributesPerProduct).map(() => 'a:b')) } }), LIMITS.productsPerOrder), JSON_TYPE),
    api(['1 byte over the body limit', over('data[x]=', '')]),

    // POST /collect
    beacon(largest(`100 events (the most a batch takes): 4 orders of 20 items and 96 page views, within the beacon's ${LIMITS.beaconBytes / KB} KB`, fullBatch, LIMITS.urlLength - 100, LIMITS.beaconBytes)),
    beacon(largest('{n} page views, url and referrer of 2,048 characters, title of 512', (k) => batch(range(k).map((i) => ev('page-limits', i, 'page', pageAtLimits(i)))), LIMITS.eventsPerBatch)),
    beacon(largest('a cart of {n} items', (k) => batch([ev('cart', 0, 'cart', { items: range(k).map(item), cart_amount: '999.99', currency: 'EUR', cart_recovery_url: `${SHOP}/cart` })]), LIMITS.itemsPerCart)),
    beacon(largest('an order of {n} items', (k) => batch([ev('items', 0, 'order', { ...minimalOrder(orderId('items')), items: range(k).map(item) })]), LIMITS.itemsPerCart)),
    beacon(largest('an order event with a data field name of {n} characters', (k) => batch([ev('long-name', 0, 'order', { ...minimalOrder(orderId('long-name')), [chars('x', k)]: 1 })]), maxBody)),
    beacon(largest('a page view with a data field name of {n} characters', (k) => batch([ev('page-name', 0, 'page', { [chars('x', k)]: 1 })]), maxBody)),
    beacon(largest('an order event with {n} unknown data fields of 22 characters', (k) => batch([ev('unknown', 0, 'order', { ...minimalOrder(orderId('unknown')), ...unknownFields(k) })]), 100_000)),
    beacon(['100 order events: 4 taken, 96 refused (at most 4 per batch)', batch(range(LIMITS.eventsPerBatch).map((k) => ev('orders', k, 'order', { ...minimalOrder(orderId(`orders-${k}`)), customer_email: `buyer${k}@shop.example` })))]),
    beacon([`a page view whose title is nested ${deepTitle.n.toLocaleString('en')} arrays deep`, deepTitle.text]),
    beacon(['101 events, one past the limit', batch(range(LIMITS.eventsPerBatch + 1).map((k) => pageView('101', k, 10)))]),
    beacon(['1 byte over the body limit', over(`{"key":"${site.publicKey}","x":"`, '"}')]),

    // GET /collect
    pixel(largest('an order event with a field name of {n} characters', (k) => pixelOrder('pixel-name', { [chars('x', k)]: 1 }), URL_BYTES, URL_BYTES)),
    pixel(largest('an order event with {n} unknown fields of 22 characters', (k) => pixelOrder('pixel-unknown', unknownFields(k)), 2000, URL_BYTES)),
    pixel(largest('an order of {n} items', (k) => pixelOrder('pixel-items', { items: range(k).map(item) }), LIMITS.itemsPerCart, URL_BYTES)),
    pixel(largest('an order, every field at its limit, {n} tags of 100 characters', (k) => query('pixel-limits', 'order', { ...orderAtLimits(orderId('pixel-limits'), 0), add_tag: range(k).map((i) => textOf(`tag${i}-`, LIMITS.tagLength)) }), LIMITS.tagsPerCall, URL_BYTES)),
    pixel(['a page view, url and referrer of 2,048 characters, title of 512', query('pixel-page', 'page', pageAtLimits(0))]),
  ];
  for (const req of cases) {
    const size = req.method === 'GET' ? bytes(req.path) : bytes(req.body!);
    const limit = req.method === 'GET' ? URL_BYTES : maxBody;
    if (size > limit && !req.what.includes('over the body limit')) throw new Error(`the worst case "${req.what}" is ${size} bytes, over ${limit}`);
  }
  return cases;
}
