import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { coalescing, RECENT_REJECTIONS_SQL, redact, rejectionStatements } from '../src/rejections';
import { get, newSite, post, put, SELF, seedOrder, type TestSite } from './helpers';

type Json = Record<string, any>;

/** The log is written after the answer (waitUntil): poll briefly for it. */
async function rejections(site: TestSite, atLeast = 1): Promise<Json[]> {
  for (let i = 0; i < 50; i++) {
    const { rejections } = (await (await get(site, '/api/rejections/recent')).json()) as { rejections: Json[] };
    if (rejections.length >= atLeast) return rejections;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`fewer than ${atLeast} rejections were recorded`);
}

const SBT = 'AbCdEfGhIjKlMnOpQrStUv';
let n = 0;
const event = (type: string, data: Json) => ({ id: `rej${String(++n).padStart(13, '0')}`, type, ts: Date.now(), sbt: SBT, data });
const beacon = (body: unknown, headers: Record<string, string> = {}) =>
  SELF.fetch('https://tracker.test/collect', { method: 'POST', headers: { 'content-type': 'text/plain', ...headers }, body: JSON.stringify(body) });

describe('the rejected-requests log', () => {
  it('records a refused updateOrder with its route, code, fields and a redacted excerpt', async () => {
    const site = await newSite();
    const order = seedOrder() as Json;
    order.data.order_ammount = '1';
    order.data.customer_company = `Oops ${site.privateKey}`;
    expect((await post(site, '/api/updateOrder', order)).status).toBe(400);
    const [r] = await rejections(site);
    expect(r).toMatchObject({
      method: 'POST',
      route: '/api/updateOrder',
      status: 400,
      code: 'invalid_fields',
      fields: [{ field: 'data[order_ammount]', reason: 'unknown field; did you mean order_amount?' }],
    });
    expect(r.excerpt).toContain('data%5Border_ammount%5D=1');
    expect(r.excerpt).toContain('customer_cookie%5D=[redacted]');
    expect(r.excerpt).toContain('sk_[redacted]');
    expect(r.excerpt).not.toContain(site.privateKey);
    expect(r.excerpt).not.toContain('c2J0LXRlc3QtY29va2ll');
    expect(Date.parse(r.at)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('records a body over 64 KB sent with the site keys', async () => {
    const site = await newSite();
    expect((await post(site, '/api/updateOrder', { data: { customer_name: 'x'.repeat(70_000) } })).status).toBe(413);
    const [r] = await rejections(site);
    expect(r).toMatchObject({ route: '/api/updateOrder', status: 413, code: 'payload_too_large', excerpt: '' });
  });

  it('records a wrong private key for a real public key (a backend with a rotated key)', async () => {
    const site = await newSite();
    const res = await SELF.fetch('https://tracker.test/api/updateOrder', { method: 'POST', headers: { authorization: `Basic ${btoa(`${site.publicKey}:sk_old`)}` }, body: 'data[customer_email]=a@b.test' });
    expect(res.status).toBe(401);
    const [r] = await rejections(site);
    expect(r).toMatchObject({ route: '/api/updateOrder', status: 401, code: 'unauthorized', fields: [{ field: 'authorization', reason: 'the private key does not match (rotated?)' }], excerpt: '' });
  });

  it('records tracker refusals: bad events, GET mode off, a foreign origin, retried events dropped', async () => {
    const site = await newSite();
    await put(site, '/api/settings', { allowed_origins: ['https://shop.example'] });
    const shop = { origin: 'https://shop.example' };
    await beacon({ key: site.publicKey, events: [event('product', { product_id: 'P', unit_price: 'x' })] }, shop);
    await beacon({ key: site.publicKey, events: [event('optin', { customer_email: 'a@b.test', customer_isoptin: 1 })] }, shop);
    await beacon({ key: site.publicKey, events: [event('page', {})] }, { origin: 'https://evil.example' });
    const page = event('page', {});
    await beacon({ key: site.publicKey, events: [page] }, shop);
    await beacon({ key: site.publicKey, events: [page] }, shop);
    const log = await rejections(site, 4);
    expect(log.map((r) => [r.route, r.status, r.code])).toEqual([
      ['/collect', 204, 'duplicate_dropped'],
      ['/collect', 403, 'origin_not_allowed'],
      ['/collect', 403, 'get_mode_off'],
      ['/collect', 400, 'invalid_fields'],
    ]);
    expect(log[0].fields).toEqual([{ field: 'events[0].id', reason: `event ${page.id} was already received: dropped` }]);
    expect(log[3].excerpt).toContain('"sbt":"[redacted]"');
    expect(log[3].excerpt).toContain('pk_[redacted]');
  });

  it('keeps one site’s log from another and records nothing for an unknown key', async () => {
    const a = await newSite();
    const b = await newSite();
    await post(a, '/api/updateOrder', { data: {} });
    await beacon({ key: 'pk_nobodyhasthiskey0000', events: [event('page', {})] });
    expect(await rejections(a)).toHaveLength(1);
    const { rejections: none } = (await (await get(b, '/api/rejections/recent')).json()) as { rejections: Json[] };
    expect(none).toEqual([]);
  });

  it('keeps the last 200 per site', async () => {
    const site = await newSite();
    for (let i = 0; i < 205; i++)
      await env.DB.batch(await rejectionStatements(env.DB, site.siteId, { method: 'POST', route: '/x', problem: { status: 400, code: `c${i}`, message: 'm', fields: [] }, sent: '' }, 1_000 + i));
    const { results } = await env.DB.prepare('SELECT code FROM rejections WHERE site_id = ? ORDER BY id').bind(site.siteId).all<{ code: string }>();
    expect(results).toHaveLength(200);
    expect(results[0].code).toBe('c5');
    const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${RECENT_REJECTIONS_SQL}`).bind(1, 'server').all<{ detail: string }>();
    expect(plan.results.map((r: { detail: string }) => r.detail).join('\n')).not.toMatch(/TEMP B-TREE/);
  });

  it('counts a refusal repeated instead of filling the log with it, with one write per window', async () => {
    const site = await newSite();
    coalescing.windowMs = 300;
    const bad = { data: { customer_email: 'a@b.test', order_ammount: 1 } };
    for (let i = 0; i < 5; i++) await post(site, '/api/updateOrder', bad);
    await post(site, '/api/updateOrder', { data: {} });
    const log = await rejections(site, 2);
    // The first was written at once; the 4 repeats wait in the isolate for the window's end.
    expect(log.find((r) => r.fields.some((f: Json) => f.field === 'data[order_ammount]'))!.count).toBe(1);
    await new Promise((r) => setTimeout(r, 500)); // the window is over: the repeats are written
    const { rejections: all } = (await (await get(site, '/api/rejections/recent')).json()) as { rejections: Json[] };
    expect(all).toHaveLength(2);
    const repeated = all.find((r) => r.fields.some((f: Json) => f.field === 'data[order_ammount]'))!;
    expect(repeated.count).toBe(5);
    expect(Date.parse(repeated.first_at)).toBeLessThan(Date.parse(repeated.at));
    coalescing.windowMs = 10_000;
  });

  it('redacts keys and visitor cookies in forms, queries and JSON, and cuts long bodies', () => {
    expect(redact('key=pk_abcdefghijklmnopqrstuv&sbt=XYZ123456&data[customer_cookie]=abc')).toBe('key=pk_[redacted]&sbt=[redacted]&data[customer_cookie]=[redacted]');
    expect(redact('{"customer_cookie": "abc", "sbt":"def", "x": "sk_1234567890abcdef"}')).toBe('{"customer_cookie": "[redacted]", "sbt":"[redacted]", "x": "sk_[redacted]"}');
    expect(redact('x'.repeat(5000))).toHaveLength(2000);
  });
});
