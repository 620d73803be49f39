// Whatever a client sends, the answer is never a 5xx: a seeded generator mutates valid bodies
// (wrong types, nesting, prototype names, huge and odd values) for every route that reads one.
import { describe, expect, it } from 'vitest';
import { newSite, phpQuery, SELF, seedOrder } from './helpers';

type Json = Record<string, any>;

function rng(seed: number) {
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

const KEYS = (s: { publicKey: string }) => ({ key: s.publicKey });
const PAGE_HEADERS: Record<string, string>[] = [{}, { origin: 'x' }, { origin: 'null' }, { referer: 'about:blank' }, { origin: 'https://shop.example' }, { referer: 'javascript:x' }];

describe('no 5xx for anything a client can send', () => {
  it('updateOrder, updateCustomer, settings and /collect, 400 mutated bodies each way', async () => {
    const site = await newSite();
    const r = rng(20261125);
    const statuses = new Map<number, number>();
    const seen = (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1);
    const event = { id: 'fuzz000000000000', type: 'order', ts: 1, sbt: 'AbCdEfGhIjKlMnOpQrStUv', data: seedOrder().data };
    for (let i = 0; i < 400; i++) {
      const order = mutate(seedOrder(), r);
      const json = i % 2 === 0;
      const bodies: [string, string, string, string][] = [
        ['POST', '/api/updateOrder', json ? JSON.stringify(order) : phpQuery(order), json ? 'application/json' : 'application/x-www-form-urlencoded'],
        ['POST', '/api/updateCustomer', json ? JSON.stringify(order) : phpQuery(order), json ? 'application/json' : 'application/x-www-form-urlencoded'],
        ['PUT', '/api/settings', JSON.stringify(mutate({ data: { get_mode: true, gdpr: { on_order: 'x' }, custom_fields: [{ id: 1, name: 'n' }] } }, r).data ?? {}), 'application/json'],
        // Two events, sometimes with one id (a duplicate inside the batch).
        ['POST', '/collect', JSON.stringify({ ...KEYS(site), visit: 1, events: [mutate({ ...event, id: `fuzz${String(i).padStart(12, '0')}` }, r), { ...event, type: 'page', data: {}, id: `fuzz${String(i - (i % 3 === 0 ? 0 : 1000)).padStart(12, '0')}` }] }), 'text/plain'],
        ['POST', '/dashboard/login', json ? phpQuery({ public_key: site.publicKey, private_key: order.data?.customer_name ?? '' }) : '--x\r\nbroken', json ? 'application/x-www-form-urlencoded' : 'multipart/form-data; boundary=x'],
      ];
      for (const [method, path, body, type] of bodies) {
        const page = PAGE_HEADERS[Math.floor(r() * PAGE_HEADERS.length)];
        const origin = path.startsWith('/dashboard') ? { origin: 'https://tracker.test' } : page;
        const res = await SELF.fetch(`https://tracker.test${path}`, { method, headers: { authorization: site.auth, 'content-type': type, ...origin }, body });
        seen(res.status);
        expect(res.status, `${method} ${path} ${body.slice(0, 300)}`).toBeLessThan(500);
        if (!path.startsWith('/dashboard')) expect(res.headers.get('content-type') ?? 'none', path).toMatch(/json|none/);
      }
      const query = phpQuery(mutate({ ...KEYS(site), ...event, id: `fuzzget${String(i).padStart(9, '0')}` }, r));
      const get = await SELF.fetch(`https://tracker.test/collect?${query}`);
      seen(get.status);
      expect(get.status, query.slice(0, 300)).toBeLessThan(500);
    }
    // What was taken can be read back: the views never choke on stored data.
    for (const path of ['/api/orders/recent', '/api/events/recent', '/api/rejections/recent', '/api/settings']) {
      const res = await SELF.fetch(`https://tracker.test${path}`, { headers: { authorization: site.auth } });
      expect(res.status, path).toBe(200);
    }
    // The generator reaches both outcomes: refusals and acceptances.
    expect([...statuses.keys()].some((s) => s >= 400)).toBe(true);
    expect([...statuses.keys()].some((s) => s < 300)).toBe(true);
  }, 120_000);
});
