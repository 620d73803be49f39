// What anyone holding the public key (or a wrong private key) can make the Worker do, and what it
// costs: origins, rate limits, the daily quota, private keys in the browser, wrong keys, the log.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import app from '../src/index';
import { coalescing, rejectionStatements } from '../src/rejections';
import { LIMITS } from '@shopbeacon/protocol';
import { DRAIN_BYTES } from '../src/body';
import { countingDb } from './counting-db';
import { get, newSite, post, put, SELF, type TestSite } from './helpers';

type Json = Record<string, any>;
const json = async (res: Response) => (await res.json()) as Json;

let n = 0;
const SBT = 'AbUsEvIsItOrCoOkIe0001';
const page = () => ({ id: `abuse${String(++n).padStart(12, '0')}`, type: 'page', ts: 1_764_000_000_000 + n, sbt: SBT, data: {} });
const beacon = (body: unknown, headers: Record<string, string> = {}) =>
  SELF.fetch('https://tracker.test/collect', { method: 'POST', headers: { 'content-type': 'text/plain', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

/** The log is written after the answer (waitUntil): poll briefly for it. */
async function logged(site: TestSite, code: string): Promise<Json[]> {
  for (let i = 0; i < 50; i++) {
    const found = ((await json(await get(site, '/api/rejections/recent'))).rejections as Json[]).filter((r) => r.code === code);
    if (found.length) return found;
    await new Promise((r) => setTimeout(r, 20));
  }
  return [];
}

/** One request with its own invocation and a D1 binding that counts statements. */
async function invoke(req: Request, extra: Partial<typeof env> = {}) {
  const { db, count } = countingDb(env.DB);
  const pending: Promise<unknown>[] = [];
  const ctx = { waitUntil: (p: Promise<unknown>) => void pending.push(p), passThroughOnException() {}, props: {} } as unknown as ExecutionContext;
  const res = await app.fetch(req, { ...env, DB: db, ...extra }, ctx);
  await Promise.all(pending);
  return { res, queries: count() };
}

describe('origins: with allowed_origins set, a request must name an allowed page', () => {
  it('refuses, and logs, a request with no Origin or Referer, or Origin null; takes the allowed one', async () => {
    const site = await newSite();
    await put(site, '/api/settings', { allowed_origins: ['https://shop.example'] });
    for (const headers of [{}, { origin: 'null' }, { referer: 'about:blank' }] as Record<string, string>[]) {
      const res = await beacon({ key: site.publicKey, events: [page()] }, headers);
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect((await json(res)).error).toMatchObject({ code: 'origin_not_allowed', fields: [{ field: 'origin', reason: 'is missing; must be one of: https://shop.example' }] });
    }
    const pixel = await SELF.fetch(`https://tracker.test/collect?key=${site.publicKey}&type=page&id=abusepixel0000001&ts=1764000000000&sbt=${SBT}`);
    expect(pixel.status).toBe(403);
    // One row per refusal, the same one repeated counted in it (POST and GET are two).
    expect((await logged(site, 'origin_not_allowed')).map((r) => r.method).sort()).toEqual(['GET', 'POST']);
    expect((await beacon({ key: site.publicKey, events: [page()] }, { origin: 'https://shop.example' })).status).toBe(204);
    expect((await beacon({ key: site.publicKey, events: [page()] }, { referer: 'https://shop.example/p/1' })).status).toBe(204);
  });

  it('without allowed_origins, a request with no origin is taken (every origin is allowed)', async () => {
    const site = await newSite();
    expect((await beacon({ key: site.publicKey, events: [page()] })).status).toBe(204);
  });
});

describe('rate limits and the daily quota', () => {
  it('limits each visitor address of a site: 429 with Retry-After and CORS, logged; another address goes on', async () => {
    const site = await newSite();
    const from = (ip: string) => ({ 'cf-connecting-ip': ip, origin: 'https://shop.example' });
    // The local limiter, like Cloudflare's, counts in windows aligned to the clock (60 s): a run
    // that crosses a window's end starts counting again, so it is exact only within one window.
    const windowOf = () => Math.floor(Date.now() / 60_000);
    const started = windowOf();
    let taken = 0;
    let over: Response | undefined;
    while (taken < 600) {
      const res = await beacon({ key: site.publicKey, events: [page()] }, from('203.0.113.7'));
      if (res.status !== 204) { over = res; break; }
      taken++;
    }
    if (windowOf() === started) expect(taken).toBe(300);
    else expect(taken).toBeGreaterThanOrEqual(300);
    expect(taken).toBeLessThan(600);
    if (!over) throw new Error('never limited');
    expect(over.status).toBe(429);
    expect(over.headers.get('retry-after')).toBe('60');
    expect(over.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    expect((await json(over)).error.code).toBe('rate_limited');
    expect((await beacon({ key: site.publicKey, events: [page()] }, from('203.0.113.8'))).status).toBe(204);
    expect(await logged(site, 'rate_limited')).toMatchObject([{ status: 429, route: '/collect', channel: 'public' }]);
  }, 30_000); // 300 requests and more: about 2 s alone, several times that beside the other test files on 2 cores

  it('limits a site as a whole (the per-site binding)', async () => {
    const site = await newSite();
    const refuseAll = { limit: async () => ({ success: false }) } as unknown as RateLimit;
    const req = new Request('https://tracker.test/collect', { method: 'POST', body: JSON.stringify({ key: site.publicKey, events: [page()] }) });
    const { res } = await invoke(req, { COLLECT_PER_SITE: refuseAll });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('10');
    expect((await json(res)).error.fields).toEqual([{ field: 'key', reason: 'over the rate limit of this site' }]);
  });

  it('takes no more events once the day’s quota is used up: 429 until midnight UTC, nothing written', async () => {
    const site = await newSite();
    await put(site, '/api/settings', { daily_event_quota: 3, get_mode: true });
    expect((await beacon({ key: site.publicKey, events: [page(), page()] })).status).toBe(204);
    expect((await beacon({ key: site.publicKey, events: [page(), page()] })).status).toBe(204); // crosses it: taken
    const over = await beacon({ key: site.publicKey, events: [page(), { ...page(), type: 'account', data: { customer_email: 'q@shop.test' } }] });
    expect(over.status).toBe(429);
    const retry = Number(over.headers.get('retry-after'));
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(86_400);
    expect((await json(over)).error.code).toBe('daily_quota_reached');
    expect((await json(await get(site, '/api/events/recent'))).events).toHaveLength(4);
    expect(await env.DB.prepare('SELECT count(*) AS n FROM profiles WHERE site_id = ?').bind(site.siteId).first()).toEqual({ n: 0 });
    expect(await env.DB.prepare('SELECT events FROM site_usage WHERE site_id = ?').bind(site.siteId).first()).toEqual({ events: 4 });
    expect(await logged(site, 'daily_quota_reached')).toHaveLength(1);
  });

  it('a retried batch does not count twice against the quota', async () => {
    const site = await newSite();
    const batch = { key: site.publicKey, events: [page(), page()] };
    await beacon(batch);
    await beacon(batch);
    expect(await env.DB.prepare('SELECT events FROM site_usage WHERE site_id = ?').bind(site.siteId).first()).toEqual({ events: 2 });
  });
});

describe('keys on the browser path', () => {
  it('a private key sent to /collect, in the body or the query, is refused and logged for its site', async () => {
    const site = await newSite();
    const res = await beacon({ key: site.privateKey, events: [page()] });
    expect(res.status).toBe(400);
    expect((await json(res)).error.message).toMatch(/^This is a private key: .* Rotate it now/);
    const query = await SELF.fetch(`https://tracker.test/collect?key=${site.privateKey}&type=page&id=abusepixel0000002&ts=1764000000000&sbt=${SBT}`);
    expect(query.status).toBe(400);
    const log = await logged(site, 'private_key_in_browser');
    expect(log).toHaveLength(2);
    for (const r of log) expect(r.excerpt).not.toContain(site.privateKey);
  });

  it('a wrong private key for a real public key: one D1 read, then none, and the repeats cost one write in all', async () => {
    const site = await newSite();
    coalescing.windowMs = 300;
    const { db, count } = countingDb(env.DB);
    const pending: Promise<unknown>[] = [];
    const ctx = { waitUntil: (p: Promise<unknown>) => void pending.push(p), passThroughOnException() {}, props: {} } as unknown as ExecutionContext;
    const wrong = () =>
      app.fetch(new Request('https://tracker.test/api/orders/recent', { headers: { authorization: `Basic ${btoa(`${site.publicKey}:sk_${'x'.repeat(43)}`)}` } }), { ...env, DB: db }, ctx);
    expect((await wrong()).status).toBe(401);
    await Promise.all(pending.splice(0));
    expect(count()).toBe(3); // the site read, the log's insert and its cap
    for (let i = 0; i < 5; i++) expect((await wrong()).status).toBe(401);
    expect(count()).toBe(3); // no read, no write while answering
    await Promise.all(pending.splice(0));
    expect(count()).toBe(5); // the 5 repeats: one insert and its cap when the window ended
    const [r] = await logged(site, 'unauthorized');
    expect(r).toMatchObject({ count: 6, channel: 'public' });
    // The right key still opens it, from the cache.
    const right = await invoke(new Request('https://tracker.test/api/settings', { headers: { authorization: site.auth } }));
    expect([right.res.status, right.queries]).toEqual([200, 0]);
    coalescing.windowMs = 10_000;
  });
});

describe('the rejected-requests log', () => {
  it('keeps the last 200 refusals sent with the public key apart from the server API’s', async () => {
    const site = await newSite();
    await post(site, '/api/updateOrder', { data: { order_ammount: 1 } });
    await logged(site, 'invalid_fields');
    for (let i = 0; i < 205; i++)
      await env.DB.batch(await rejectionStatements(env.DB, site.siteId, { method: 'POST', route: '/collect', problem: { status: 400, code: `flood${i}`, message: 'm', fields: [] }, sent: '' }, Date.now() + 1000 + i));
    const { rejections } = await json(await get(site, '/api/rejections/recent'));
    expect(rejections).toHaveLength(201);
    expect(rejections.filter((r: Json) => r.channel === 'public')).toHaveLength(200);
    expect(rejections.filter((r: Json) => r.channel === 'server')).toMatchObject([{ route: '/api/updateOrder', code: 'invalid_fields' }]);
    expect(rejections[0].code).toBe('flood204'); // newest first across both
    const server = await json(await get(site, '/api/rejections/recent?channel=server'));
    expect(server.rejections.map((r: Json) => r.code)).toEqual(['invalid_fields']);
    expect((await get(site, '/api/rejections/recent?channel=x')).status).toBe(400);
  });
});

describe('smaller defects', () => {
  it('PUT /api/settings with a custom field name that is not a string is a 400 naming it', async () => {
    const site = await newSite();
    const res = await put(site, '/api/settings', { custom_fields: [{ id: 1, name: { trim: 1 } }] });
    expect(res.status).toBe(400);
    expect((await json(res)).error.fields).toEqual([{ field: 'custom_fields[0].name', reason: 'must be a name of 1 to 100 characters' }]);
  });

  it("a deleted site's settings answer 404", async () => {
    const site = await newSite();
    await get(site, '/api/settings'); // cached in the isolate
    await env.DB.prepare('DELETE FROM sites WHERE id = ?').bind(site.siteId).run();
    const res = await put(site, '/api/settings', { get_mode: true });
    expect(res.status).toBe(404);
    expect((await json(res)).error.code).toBe('not_found');
  });

  it('a 413 on /collect carries the CORS headers, so the page sees it and drops the batch', async () => {
    const res = await beacon('x'.repeat(70_000), { origin: 'https://shop.example' });
    expect(res.status).toBe(413);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://shop.example');
  });

  it('a body of unknown length: 413 past the limit, read no further than DRAIN_BYTES more, however long it is', async () => {
    const chunk = new Uint8Array(64 * 1024).fill(97);
    let pulled = 0;
    const endless = () =>
      new ReadableStream<Uint8Array>({
        pull(controller) {
          pulled++;
          controller.enqueue(chunk);
        },
      });
    for (const path of ['/collect', '/api/updateOrder']) {
      pulled = 0;
      const res = await SELF.fetch(`https://tracker.test${path}`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: endless(), duplex: 'half' } as RequestInit);
      expect(res.status, path).toBe(path === '/collect' ? 413 : 401);
      await res.arrayBuffer();
      // The limit (64 KB), then at most DRAIN_BYTES (1 MB) more, then let go: 16 + 2 chunks at most.
      expect(pulled).toBeLessThanOrEqual((LIMITS.bodyBytes + DRAIN_BYTES) / chunk.length + 2);
      expect(pulled).toBeGreaterThanOrEqual(DRAIN_BYTES / chunk.length);
      expect((await SELF.fetch('https://tracker.test/')).status).toBe(200);
    }
  });
});
