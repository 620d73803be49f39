import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { cookieDomain } from '../src/middleware/sbt-refresh';
import { RECENT_EVENTS_SQL } from '../src/events';
import { get, newSite, phpQuery, post, put, SELF, type TestSite } from './helpers';

type Json = Record<string, any>;
const json = async (res: Response) => (await res.json()) as Json;

let n = 0;
const id = () => `evt${String(++n).padStart(13, '0')}`;
const SBT = 'AbCdEfGhIjKlMnOpQrStUv';
const event = (type: string, data: Json, extra: Json = {}) => ({ id: id(), type, ts: 1_764_000_000_000 + n, sbt: SBT, data, ...extra });

function beacon(body: unknown, headers: Record<string, string> = {}, url = 'https://tracker.test/collect') {
  return SELF.fetch(url, { method: 'POST', headers: { 'content-type': 'text/plain;charset=UTF-8', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

const events = async (site: TestSite) => (await json(await get(site, '/api/events/recent'))).events as Json[];
const orders = async (site: TestSite) => (await json(await get(site, '/api/orders/recent'))).orders as Json[];

const order = (idorder: string, extra: Json = {}) =>
  event('order', { customer_email: 'web@shop.test', order_idorder: idorder, order_state: 20, order_amount: 42.5, order_crea_dt: '2026-11-25 10:00:00', items: [{ sku: 'TS-1', name: 'T-shirt', category: 'Men/Tops/T-shirts', quantity: 2, unit_price: 21.25 }], ...extra });

describe('POST /collect', () => {
  it('takes a batch of page, product and cart events with the public key, and lists them newest first', async () => {
    const site = await newSite();
    const batch = [
      event('page', { url: 'https://shop.example/', referrer: 'https://google.com/', title: 'Home' }),
      event('product', { product_id: 'P-1', name: 'T-shirt', brand: 'Acme', unit_price: '19.90', unit_price_original: 25, discounted_percentage: 20, availability: 'in_stock', related_external_product_id: ['P-2'], category: 'Men/Tops' }),
      event('cart', { items: [{ product_id: 'P-1', quantity: 1, unit_price: 19.9 }], cart_amount: 19.9, currency: 'eur', cart_recovery_url: 'https://shop.example/cart?r=abc' }),
    ];
    const res = await beacon({ key: site.publicKey, events: batch });
    expect(res.status).toBe(204);
    const seen = await events(site);
    expect(seen.map((e) => e.type)).toEqual(['cart', 'product', 'page']);
    expect(seen[0]).toMatchObject({
      id: batch[2].id,
      type: 'cart',
      sbt: SBT,
      client_ts: new Date(batch[2].ts).toISOString(),
      data: { items: [{ product_id: 'P-1', quantity: 1, unit_price: 19.9 }], cart_amount: 19.9, currency: 'EUR', cart_recovery_url: 'https://shop.example/cart?r=abc' },
    });
    expect(seen[1].data).toMatchObject({ product_id: 'P-1', unit_price: 19.9, related_external_product_id: ['P-2'] });
    expect(Date.parse(seen[0].received_at)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('takes the key from the query string too', async () => {
    const site = await newSite();
    expect((await beacon({ events: [event('page', { url: 'https://shop.example/a' })] }, {}, `https://tracker.test/collect?key=${site.publicKey}`)).status).toBe(204);
    expect(await events(site)).toHaveLength(1);
  });

  it('drops an event id it has already taken, so a retry never doubles', async () => {
    const site = await newSite();
    const batch = { key: site.publicKey, events: [event('page', { url: 'https://shop.example/' }), event('product', { product_id: 'X' })] };
    expect((await beacon(batch)).status).toBe(204);
    expect((await beacon(batch)).status).toBe(204);
    expect(await events(site)).toHaveLength(2);
  });

  it('refuses the bad events of a batch, naming their fields, and takes the others', async () => {
    const site = await newSite();
    const res = await beacon({ key: site.publicKey, events: [event('page', { url: 'https://shop.example/' }), event('product', { product_id: 'P', unit_price: 'cheap' }), event('cart', { currency: 'euros' })] });
    expect(res.status).toBe(400);
    const { error } = await json(res);
    expect(error.message).toBe('2 of 3 events were refused; the other 1 were taken: see fields.');
    expect(error.fields).toEqual([
      { field: 'events[1].data[unit_price]', reason: 'must be a decimal number ≥ 0 with a dot, like 158.31' },
      { field: 'events[2].data[currency]', reason: 'must be an ISO 4217 currency code, like EUR' },
    ]);
    expect((await events(site)).map((e) => e.type)).toEqual(['page']);
  });

  it('answers 4xx with a JSON error to every malformed request', async () => {
    const site = await newSite();
    const cases: [unknown, number, string, string?][] = [
      ['{"key":', 400, 'invalid_body'],
      [[], 400, 'invalid_fields'],
      [{ key: site.publicKey }, 400, 'invalid_fields', 'events'],
      [{ key: site.publicKey, events: [] }, 400, 'invalid_fields', 'events'],
      [{ key: site.publicKey, events: Array.from({ length: 101 }, () => event('page', {})) }, 400, 'invalid_fields', 'events'],
      [{ key: site.publicKey, events: [{ ...event('page', {}), id: 'short' }] }, 400, 'invalid_fields', 'events[0].id'],
      [{ key: site.publicKey, events: [event('purchase', {})] }, 400, 'invalid_fields', 'events[0].type'],
      [{ key: site.publicKey, events: [{ ...event('page', {}), sbt: 'x' }] }, 400, 'invalid_fields', 'events[0].sbt'],
      [{ key: site.publicKey, events: [event('page', { colour: 'red' })] }, 400, 'invalid_fields', 'events[0].data[colour]'],
      [{ key: site.publicKey, events: [event('page', { url: 'javascript:alert(1)' })] }, 400, 'invalid_fields', 'events[0].data[url]'],
      [{ key: site.publicKey, events: [event('product', {})] }, 400, 'invalid_fields', 'events[0].data[product_id]'],
      [{ key: site.publicKey, events: [event('page', {}, { extra: 1 })] }, 400, 'invalid_fields', 'events[0].extra'],
      [{ key: site.publicKey, events: [event('page', { __proto__: { x: 1 } })] }, 204, ''],
      [{ key: 'pk_nobodyhasthiskey0000', events: [event('page', {})] }, 401, 'unknown_public_key', 'key'],
      [{ key: site.privateKey, events: [event('page', {})] }, 400, 'private_key_in_browser', 'key'],
      [{ events: [event('page', {})] }, 401, 'unknown_public_key', 'key'],
    ];
    for (const [body, status, code, field] of cases) {
      const res = await beacon(body);
      const label = JSON.stringify(body).slice(0, 80);
      expect(res.status, label).toBe(status);
      if (status === 204) continue;
      const err = (await json(res)).error;
      expect(err.code, label).toBe(code);
      if (field) expect(err.fields.map((f: Json) => f.field), label).toContain(field);
    }
    const big = await beacon({ key: site.publicKey, events: [event('page', { title: 'x'.repeat(70_000) })] });
    expect(big.status).toBe(413);
  });

  it('refuses a client time outside 2000–2100, and an id repeated inside a batch (it would share the first’s guard)', async () => {
    const site = await newSite();
    await put(site, '/api/settings', { get_mode: true });
    const first = event('page', {});
    const res = await beacon({ key: site.publicKey, events: [first, { ...event('page', {}), ts: 9e15 }, { ...order('DUP-1'), id: first.id }] });
    expect(res.status).toBe(400);
    expect((await json(res)).error.fields).toEqual([
      { field: 'events[1].ts', reason: 'must be the client time in milliseconds since 1970, between the years 2000 and 2100' },
      { field: 'events[2].id', reason: 'repeats events[0].id: every event needs its own id' },
    ]);
    expect((await events(site)).map((e) => e.id)).toEqual([first.id]);
    expect(await orders(site)).toEqual([]);
  });

  it('answers 2xx/4xx, never 5xx, whatever Origin and Referer say', async () => {
    const site = await newSite();
    const odd: Record<string, string>[] = [{ origin: 'x' }, { origin: 'null' }, { referer: 'about:blank' }, { origin: 'javascript:alert(1)' }, { referer: '::' }, { origin: 'https://[::1' }];
    for (const headers of odd) {
      const res = await beacon({ key: site.publicKey, visit: 1, events: [event('page', {})] }, { ...headers, cookie: `sbt=${SBT}` });
      expect(res.status, JSON.stringify(headers)).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    }
  });

  it('never takes a private key, even with Basic auth: /collect knows public keys only', async () => {
    const site = await newSite();
    const res = await beacon({ events: [event('page', {})] }, { authorization: site.auth });
    expect(res.status).toBe(401);
    expect((await json(res)).error.code).toBe('unknown_public_key');
  });
});

describe('accounts, orders and opt-ins from the browser (GET mode setting)', () => {
  it('refuses them with 403 while get_mode is off; the page view beside them is taken', async () => {
    const site = await newSite();
    const res = await beacon({ key: site.publicKey, events: [event('page', {}), order('W-1'), event('optin', { customer_email: 'a@b.test', customer_isoptin: 1 })] });
    expect(res.status).toBe(403);
    const err = (await json(res)).error;
    expect(err.code).toBe('get_mode_off');
    expect(err.fields).toEqual([
      { field: 'events[1].type', reason: 'order events need get_mode on' },
      { field: 'events[2].type', reason: 'optin events need get_mode on' },
    ]);
    expect((await events(site)).map((e) => e.type)).toEqual(['page']);
    expect(await orders(site)).toEqual([]);
    const pixel = await SELF.fetch(`https://tracker.test/collect?${phpQuery({ key: site.publicKey, ...order('W-2'), data: order('W-2').data })}`);
    expect(pixel.status).toBe(403);
    expect((await json(pixel)).error.fields).toEqual([{ field: 'type', reason: 'order events need get_mode on' }]);
  });

  it('with get_mode on, an order goes through the same upsert as /api/updateOrder, joined to the visitor', async () => {
    const site = await newSite();
    await put(site, '/api/settings', { get_mode: true, gdpr: { on_order: 'purchase' } });
    const ev = order('W-1', { add_order_tag: ['web'] });
    expect((await beacon({ key: site.publicKey, events: [ev] })).status).toBe(204);
    const [o] = await orders(site);
    expect(o).toMatchObject({ order_idorder: 'W-1', order_state: 20, order_amount: 42.5, order_tags: ['web'], source: 'tracker', validated: true, customer_email: 'web@shop.test', customer_cookie: SBT });
    const [e] = await events(site);
    expect(e).toMatchObject({ type: 'order', sbt: SBT, data: { order_idorder: 'W-1', items: [{ sku: 'TS-1', quantity: 2, unit_price: 21.25, category: 'Men/Tops/T-shirts' }] } });
    const profile = await env.DB.prepare('SELECT source, gdpr FROM profiles WHERE site_id = ?').bind(site.siteId).first<Json>();
    expect(profile!.source).toBe('tracker');
    expect(JSON.parse(profile!.gdpr).legal_bases.purchase.status).toBe('accepted');
  });

  it('a retried order event changes nothing; a new event for the same order updates it', async () => {
    const site = await newSite();
    await put(site, '/api/settings', { get_mode: true });
    const ev = order('W-2');
    await beacon({ key: site.publicKey, events: [ev] });
    const before = await env.DB.prepare('SELECT version, updated_at FROM orders WHERE site_id = ?').bind(site.siteId).first<Json>();
    await new Promise((r) => setTimeout(r, 5));
    await beacon({ key: site.publicKey, events: [ev] });
    expect(await env.DB.prepare('SELECT version, updated_at FROM orders WHERE site_id = ?').bind(site.siteId).first()).toEqual(before);
    await beacon({ key: site.publicKey, events: [order('W-2', { order_state: 50 })] });
    expect((await orders(site))[0]).toMatchObject({ order_state: 50 });
    expect(await env.DB.prepare('SELECT version FROM orders WHERE site_id = ?').bind(site.siteId).first()).toEqual({ version: 2 });
  });

  it('never changes an order the shop’s server sent (anyone has the public key); the event is kept and the refusal logged', async () => {
    const site = await newSite();
    await put(site, '/api/settings', { get_mode: true, gdpr: { on_order: 'purchase' } });
    await post(site, '/api/updateOrder', { data: { customer_email: 'srv@shop.test', order_idorder: 'S-1', order_state: 20, order_amount: 10, order_crea_dt: '2026-01-01 00:00:00' } });
    expect((await beacon({ key: site.publicKey, events: [order('S-1', { order_state: 0, order_amount: 0 })] })).status).toBe(204);
    expect((await orders(site))[0]).toMatchObject({ order_idorder: 'S-1', order_state: 20, order_amount: 10, source: 'api', customer_email: 'srv@shop.test' });
    expect((await events(site)).map((e) => e.type)).toEqual(['order']);
    let log: Json[] = [];
    for (let i = 0; i < 50 && !log.length; i++) {
      log = (await json(await get(site, '/api/rejections/recent'))).rejections;
      if (!log.length) await new Promise((r) => setTimeout(r, 20));
    }
    expect(log[0]).toMatchObject({ status: 204, code: 'server_order_kept', fields: [{ field: 'events[0].data[order_idorder]' }] });
    // A browser order of its own is updated by the browser as before.
    await beacon({ key: site.publicKey, events: [order('T-1')] });
    await beacon({ key: site.publicKey, events: [order('T-1', { order_state: 50 })] });
    expect((await orders(site)).find((o) => o.order_idorder === 'T-1')).toMatchObject({ order_state: 50, source: 'tracker' });
  });

  it('an account event upserts the profile with the visitor cookie; an opt-in is recorded on it', async () => {
    const site = await newSite();
    await put(site, '/api/settings', { get_mode: true, gdpr: { sms_optin: { to: 'consent', id: 'sms' } } });
    await beacon({ key: site.publicKey, events: [event('account', { customer_email: 'Acc@Shop.test', customer_firstname: 'Ann', action: 'account' })] });
    await beacon({ key: site.publicKey, events: [event('optin', { customer_email: 'acc@shop.test', customer_isoptin: 1 })] });
    // An SMS opt-in without email finds the profile by the sbt cookie.
    await beacon({ key: site.publicKey, events: [event('optin', { customer_mobile: '0600000000', customer_mobile_isoptin: 1 })] });
    const p = await env.DB.prepare('SELECT email, firstname, cookie, isoptin, mobile, mobile_isoptin, gdpr, source FROM profiles WHERE site_id = ?').bind(site.siteId).all<Json>();
    expect(p.results).toHaveLength(1);
    expect(p.results[0]).toMatchObject({ email: 'acc@shop.test', firstname: 'Ann', cookie: SBT, isoptin: 1, mobile: '0600000000', mobile_isoptin: 1, source: 'tracker' });
    expect(JSON.parse(p.results[0].gdpr).consents.sms.status).toBe('accepted');
    expect((await events(site)).map((e) => e.type)).toEqual(['optin', 'optin', 'account']);
  });

  it('checks browser orders like the server API: required fields, custom field ids', async () => {
    const site = await newSite();
    await put(site, '/api/settings', { get_mode: true, custom_fields: [{ id: 1, name: 'Tier' }] });
    const res = await beacon({ key: site.publicKey, events: [event('order', { customer_email: 'x@y.test', order_idorder: 'Z' })] });
    expect((await json(res)).error.fields.map((f: Json) => f.field)).toEqual(['events[0].data[order_state]', 'events[0].data[order_amount]', 'events[0].data[order_crea_dt]']);
    const cf = await beacon({ key: site.publicKey, events: [event('account', { customer_email: 'x@y.test', custom_fields: { 2: 'gold' } })] });
    expect((await json(cf)).error.fields).toEqual([{ field: 'events[0].data[custom_fields][2]', reason: 'is not a custom field of this site (declared: 1)' }]);
  });
});

describe('GET /collect (one event in the query string)', () => {
  it('takes an event with bracketed data and answers a 1×1 GIF', async () => {
    const site = await newSite();
    await put(site, '/api/settings', { get_mode: true });
    const ev = order('G-1');
    const query = phpQuery({ key: site.publicKey, type: ev.type, id: ev.id, ts: ev.ts, sbt: ev.sbt, data: ev.data });
    const res = await SELF.fetch(`https://tracker.test/collect?${query}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/gif');
    expect(new TextDecoder().decode((await res.arrayBuffer()).slice(0, 6))).toBe('GIF89a');
    expect((await orders(site))[0]).toMatchObject({ order_idorder: 'G-1', source: 'tracker', order_amount: 42.5 });
    expect((await events(site))[0].data.items).toEqual([{ sku: 'TS-1', name: 'T-shirt', category: 'Men/Tops/T-shirts', quantity: 2, unit_price: 21.25 }]);
  });

  it('answers JSON errors to bad queries', async () => {
    const site = await newSite();
    const res = await SELF.fetch(`https://tracker.test/collect?key=${site.publicKey}&type=page&id=${id()}&ts=1764000000000&sbt=${SBT}&data[url]=nope`);
    expect(res.status).toBe(400);
    expect((await json(res)).error.fields).toEqual([{ field: 'data[url]', reason: 'must be an http(s) URL of at most 2048 characters' }]);
    const deep = await SELF.fetch(`https://tracker.test/collect?key=${site.publicKey}&data[a][b][c][d]=1`);
    expect(deep.status).toBe(400);
  });
});

describe('origins and the sbt cookie', () => {
  it('answers CORS for the site’s allowed origins only, and refuses others', async () => {
    const site = await newSite();
    const body = () => ({ key: site.publicKey, events: [event('page', {})] });
    const any = await beacon(body(), { origin: 'https://anything.example' });
    expect(any.status).toBe(204);
    expect(any.headers.get('access-control-allow-origin')).toBe('https://anything.example');
    await put(site, '/api/settings', { allowed_origins: ['https://shop.example'] });
    const ok = await beacon(body(), { origin: 'https://shop.example' });
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    const bad = await beacon(body(), { origin: 'https://evil.example' });
    expect(bad.status).toBe(403);
    expect((await json(bad)).error.code).toBe('origin_not_allowed');
    const pixel = await SELF.fetch(`https://tracker.test/collect?key=${site.publicKey}&type=page&id=${id()}&ts=1764000000000&sbt=${SBT}`, { headers: { referer: 'https://evil.example/page' } });
    expect(pixel.status).toBe(403);
    expect(await events(site)).toHaveLength(2);
    const preflight = await SELF.fetch('https://tracker.test/collect', { method: 'OPTIONS', headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toBe('GET,POST');
  });

  it('refreshes the sbt the page sent with a first-party Set-Cookie, once per visit (sbv), when same-site', async () => {
    const site = await newSite();
    const shop = { origin: 'https://www.shop.example', cookie: `sbt=${SBT}` };
    const tracker = 'https://t.shop.example/collect';
    const first = await beacon({ key: site.publicKey, events: [event('page', {})] }, shop, tracker);
    expect(first.headers.getSetCookie()).toEqual([
      `sbt=${SBT}; Max-Age=34128000; Domain=shop.example; Path=/; Secure; SameSite=Lax`,
      'sbv=1; Domain=shop.example; Path=/; Secure; SameSite=Lax',
    ]);
    // the rest of the visit: the browser sends sbv back
    const later = await beacon({ key: site.publicKey, events: [event('page', {})] }, { ...shop, cookie: `sbt=${SBT}; sbv=1` }, tracker);
    expect(later.headers.get('set-cookie')).toBeNull();
    const crossSite = await beacon({ key: site.publicKey, events: [event('page', {})] }, shop, 'https://tracker.test/collect');
    expect(crossSite.headers.get('set-cookie')).toBeNull();
    // an earlier SDK's visit flag is taken and changes nothing
    expect((await beacon({ key: site.publicKey, visit: 1, events: [event('page', {})] }, shop, tracker)).headers.getSetCookie()).toHaveLength(2);
  });

  it('never creates sbt: without the cookie (no consent for it), or with another visitor id, nothing is set', async () => {
    const site = await newSite();
    const tracker = 'https://t.shop.example/collect';
    const noCookie = await beacon({ key: site.publicKey, events: [event('page', {})] }, { origin: 'https://www.shop.example' }, tracker);
    expect(noCookie.status).toBe(204);
    expect(noCookie.headers.get('set-cookie')).toBeNull();
    const other = await beacon({ key: site.publicKey, events: [event('page', {})] }, { origin: 'https://www.shop.example', cookie: 'sbt=SomeoneElse_0123456789' }, tracker);
    expect(other.headers.get('set-cookie')).toBeNull();
  });

  it('refreshes it too when an event beside a taken one is refused, and not when none was taken', async () => {
    const site = await newSite();
    const shop = { origin: 'https://www.shop.example', cookie: `sbt=${SBT}` };
    const tracker = 'https://t.shop.example/collect';
    const refreshed = `sbt=${SBT}; Max-Age=34128000; Domain=shop.example; Path=/; Secure; SameSite=Lax`;
    const mixed = await beacon({ key: site.publicKey, events: [event('page', {}), event('product', { product_id: 'P', unit_price: '19,90' })] }, shop, tracker);
    expect(mixed.status).toBe(400);
    expect(mixed.headers.getSetCookie()[0]).toBe(refreshed);
    expect(mixed.headers.get('access-control-allow-origin')).toBe('https://www.shop.example');
    const gated = await beacon({ key: site.publicKey, events: [event('page', {}), event('optin', { customer_email: 'a@b.test', customer_isoptin: 1 })] }, shop, tracker);
    expect(gated.status).toBe(403);
    expect(gated.headers.getSetCookie()[0]).toBe(refreshed);
    expect((await json(gated)).error.message).toMatch(/The batch's 1 other event was taken\.$/);
    const none = await beacon({ key: site.publicKey, events: [event('product', { product_id: 'P', colour: 'red' })] }, shop, tracker);
    expect(none.status).toBe(400);
    expect(none.headers.get('set-cookie')).toBeNull();
  });

  it("sets the cookie on the shop's registrable domain, the one the SDK's probe finds, when the Worker is on it", () => {
    expect(cookieDomain('www.shop.example', 't.shop.example')).toBe('shop.example');
    expect(cookieDomain('checkout.eu.shop.co.uk', 't.shop.co.uk')).toBe('shop.co.uk');
    // the same host: the widest domain still, not a host-only cookie beside the page's
    expect(cookieDomain('www.shop.example', 'www.shop.example')).toBe('shop.example');
    expect(cookieDomain('shop.example', 'shop.example')).toBe('shop.example');
    expect(cookieDomain('shop.example', 't.shop.example')).toBe('shop.example');
    // two shops under one public suffix (the Public Suffix List's private part) are two sites
    expect(cookieDomain('a-shop.myshopify.com', 'tracker.myshopify.com')).toBeNull();
    expect(cookieDomain('a.github.io', 'b.github.io')).toBeNull();
    expect(cookieDomain('127.0.0.1', '127.0.0.1')).toBe('');
    expect(cookieDomain('shop.example', 'tracker.test')).toBeNull();
    expect(cookieDomain('localhost', '127.0.0.1')).toBeNull();
    expect(cookieDomain('10.0.0.2', '10.0.0.3')).toBeNull();
  });
});

describe('GET /api/events/recent', () => {
  it('keeps one site’s events from another, and is served by its index', async () => {
    const a = await newSite();
    const b = await newSite();
    await beacon({ key: a.publicKey, events: [event('page', {})] });
    expect(await events(b)).toEqual([]);
    const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${RECENT_EVENTS_SQL}`).bind(1).all<{ detail: string }>();
    const details = plan.results.map((r: { detail: string }) => r.detail);
    expect(details.join('\n')).not.toMatch(/TEMP B-TREE/);
    expect(details).toContain('SEARCH events USING INDEX events_site_recent (site_id=?)');
  });

  it('lists the last 200, newest first', async () => {
    const site = await newSite();
    for (let batch = 0; batch < 3; batch++)
      await beacon({ key: site.publicKey, events: Array.from({ length: 70 }, (_, i) => event('page', { title: `p${batch * 70 + i}` })) });
    const seen = await events(site);
    expect(seen).toHaveLength(200);
    expect(seen[0].data.title).toBe('p209');
    expect(seen[199].data.title).toBe('p10');
  });
});

describe('personal data in stored URLs', () => {
  it('email addresses in every URL of an event are redacted before it is stored, whatever sent it; other fields are kept', async () => {
    const site = await newSite();
    await put(site, '/api/settings', { get_mode: true });
    const batch = [
      event('page', { url: 'https://shop.example/thanks?order=1&email=jane%40doe.com', referrer: 'https://shop.example/account/jane@doe.com', title: 'Thanks jane@doe.com' }),
      event('product', { product_id: 'P-1', url: 'https://shop.example/p/1?by=a.b@c.example', image_url: 'https://cdn.example/logo@2x.png' }),
      event('cart', { items: [], cart_recovery_url: 'https://shop.example/cart?for=jane%40doe.com&r=abc' }),
      event('account', { customer_email: 'jane@doe.com', action: 'account' }),
    ];
    expect((await beacon({ key: site.publicKey, events: batch })).status).toBe(204);
    const byType = Object.fromEntries((await events(site)).map((e) => [e.type, e.data]));
    expect(byType.page).toEqual({ url: 'https://shop.example/thanks?order=1&email=(redacted)', referrer: 'https://shop.example/account/(redacted)', title: 'Thanks jane@doe.com' });
    expect(byType.product).toMatchObject({ url: 'https://shop.example/p/1?by=(redacted)', image_url: 'https://cdn.example/logo@2x.png' }); // a resolution suffix, not an address
    expect(byType.cart.cart_recovery_url).toBe('https://shop.example/cart?for=(redacted)&r=abc');
    expect(byType.account.customer_email).toBe('jane@doe.com'); // a profile field, not a URL: the profile needs it
  });
});

