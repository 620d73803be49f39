// The SDK in a real browser (Debian's Chromium, driven by playwright-core), against the real
// `npm run dev`: a shop page on another origin loads /sdk.js with the pasted snippet, sends
// every event type in both transports, and what it sent is read back from the API. Without
// /usr/bin/chromium the tests are skipped, except in CI (CI=true) where they fail.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchChromium, skipWithoutChromium } from './chromium';
import { basicAuth, runSite, type SiteKeys, siteJson } from './global-setup';

const skip = skipWithoutChromium('the SDK browser tests');

type Json = Record<string, any>;
let browser: Browser;
let shop: Server;
let shopOrigin: string;
let site: SiteKeys;
/** The HTML each shop path answers; set per test. */
const pages = new Map<string, string>();

const snippet = (attrs = '', file = 'sdk.js') => `
  <script>window.shopbeacon = window.shopbeacon || function () { (shopbeacon.q = shopbeacon.q || []).push(arguments) }</script>
  <script async src="${inject('baseUrl')}/${file}" data-key="${site.publicKey}" ${attrs}></script>`;

const html = (head: string, body = '') => `<!doctype html><html><head><meta charset="utf-8"><title>Shop</title>${head}</head><body>${body}</body></html>`;

async function api(path: string, method = 'GET', body?: unknown) {
  const res = await fetch(`${inject('baseUrl')}${path}`, {
    method,
    headers: { authorization: basicAuth(site.publicKey, site.privateKey), 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Json;
}

const recentEvents = async () => (await api('/api/events/recent')).events as Json[];

/** Polls the recent events until `done` holds (the browser sends asynchronously). */
async function eventsUntil(done: (events: Json[]) => boolean, ms = 15_000) {
  const deadline = Date.now() + ms;
  let events: Json[] = [];
  while (Date.now() < deadline) {
    events = await recentEvents();
    if (done(events)) return events;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`events did not arrive in ${ms} ms; got ${JSON.stringify(events.map((e) => [e.type, e.data?.title ?? e.data?.order_idorder ?? '']))}`);
}

/**
 * A page whose every sendBeacon and fetch call is counted (window.__sent), so a test sees what
 * the SDK tried to send, even on unload when the browser reports no request events.
 */
async function newPage(): Promise<{ context: BrowserContext; page: Page; sent: string[] }> {
  const context = await browser.newContext();
  await context.addInitScript(() => {
    const sent: string[] = ((window as any).__sent = []);
    const beacon = navigator.sendBeacon.bind(navigator);
    navigator.sendBeacon = (url, data) => (sent.push(`beacon ${url}`), beacon(url, data));
    const f = window.fetch.bind(window);
    window.fetch = (input, init) => (sent.push(`fetch ${init?.method ?? 'GET'} ${input}`), f(input, init));
  });
  const page = await context.newPage();
  const sent: string[] = [];
  page.on('request', (r) => {
    if (r.url().startsWith(`${inject('baseUrl')}/collect`)) sent.push(`${r.method()} ${r.url()}`);
  });
  page.on('console', (m) => {
    if (m.type() === 'warning' || m.type() === 'error') console.log(`[page ${m.type()}] ${m.text()}`);
  });
  return { context, page, sent };
}

const every = (transport: string, tag: string) => `
  <script>
    shopbeacon('product', { product_id: 'P-${tag}', name: 'T-shirt', unit_price: 19.9, category: 'Men/Tops' });
    shopbeacon('cart', { items: [{ product_id: 'P-${tag}', quantity: 2, unit_price: 19.9 }], cart_amount: 39.8, currency: 'EUR' });
    shopbeacon('account', { customer_email: '${tag}@shop.test', customer_firstname: 'Ann', action: 'account' });
    shopbeacon('optin', { customer_email: '${tag}@shop.test', customer_isoptin: 1 });
    shopbeacon('order', { customer_email: '${tag}@shop.test', order_idorder: 'O-${tag}', order_state: 20, order_amount: 39.8,
      order_crea_dt: '2026-11-25 10:00:00', items: [{ product_id: 'P-${tag}', quantity: 2, unit_price: 19.9 }], add_order_tag: ['${transport}'] });
  </script>`;

describe.skipIf(skip)('the SDK in Chromium against npm run dev', () => {
  beforeAll(async () => {
    browser = await launchChromium();
    shop = createServer((req, res) => {
      const body = pages.get(new URL(req.url ?? '/', 'http://x').pathname);
      res.writeHead(body ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' }).end(body ?? 'not found');
    });
    await new Promise<void>((ok) => shop.listen(0, '127.0.0.1', ok));
    // localhost, not 127.0.0.1: another origin (and another site) than the Worker's.
    shopOrigin = `http://localhost:${(shop.address() as AddressInfo).port}`;
    site = siteJson(runSite(['create', '--name', 'Browser e2e shop', '--json'], inject('stateDir')));
    await api('/api/settings', 'PUT', { get_mode: true, allowed_origins: [shopOrigin] });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((ok) => shop?.close(ok));
  });

  for (const transport of ['beacon', 'get']) {
    it(`sends every event type (${transport}), and what was sent is read back from the API`, async () => {
      const tag = `${transport}-${Date.now()}`;
      pages.set(`/${tag}.html`, html(snippet(transport === 'get' ? 'data-transport="get"' : ''), every(transport, tag)));
      const { context, page, sent } = await newPage();
      await page.goto(`${shopOrigin}/${tag}.html`);
      await page.waitForFunction(() => typeof (window as any).shopbeacon === 'function' && !(window as any).shopbeacon.q);
      const tried: string[] = await page.evaluate(() => new Promise((ok) => setTimeout(() => ok((window as any).__sent), 1_500)));
      // Leaving the page flushes whatever is left (pagehide).
      await page.goto('about:blank');
      const events = await eventsUntil((evs) => ['page', 'product', 'cart', 'account', 'optin', 'order'].every((t) => evs.some((e) => e.type === t && JSON.stringify(e.data).includes(tag))));
      const mine = events.filter((e) => e.type !== 'page' && JSON.stringify(e.data).includes(tag));
      expect(mine.map((e) => e.type).sort()).toEqual(['account', 'cart', 'optin', 'order', 'product']);
      const pageView = events.find((e) => e.type === 'page' && e.data.url === `${shopOrigin}/${tag}.html`);
      expect(pageView).toMatchObject({ data: { url: `${shopOrigin}/${tag}.html`, title: 'Shop' } });
      const sbt = (await context.cookies(shopOrigin)).find((c) => c.name === 'sbt');
      expect(sbt?.value).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(sbt?.sameSite).toBe('Lax');
      expect((sbt!.expires * 1000 - Date.now()) / 86_400_000).toBeCloseTo(395, 0);
      for (const e of [...mine, pageView!]) expect(e.sbt).toBe(sbt!.value);
      const order = ((await api('/api/orders/recent')).orders as Json[]).find((o) => o.order_idorder === `O-${tag}`);
      expect(order).toMatchObject({ source: 'tracker', order_state: 20, order_amount: 39.8, order_tags: [transport], customer_email: `${tag}@shop.test`, customer_cookie: sbt!.value });
      // GET mode: one GET per event; beacon: one POST batch of all six.
      const collect = tried.filter((t) => t.includes('/collect'));
      if (transport === 'get') expect(collect.filter((t) => /^fetch GET .*\/collect\?key=pk_/.test(t))).toHaveLength(6);
      else expect(collect).toEqual([`beacon ${inject('baseUrl')}/collect`]);
      await context.close();
    });
  }

  it("data-store puts the page's store on every event, in both transports; the store's order has its currency", async () => {
    const multi = siteJson(runSite(['create', '--name', 'Browser e2e multistore', '--json'], inject('stateDir')));
    const call = async (path: string, method = 'GET', body?: unknown) => {
      const res = await fetch(`${inject('baseUrl')}${path}`, { method, headers: { authorization: basicAuth(multi.publicKey, multi.privateKey), 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      expect(res.status).toBe(200);
      return (await res.json()) as Json;
    };
    await call('/api/settings', 'PUT', { get_mode: true, allowed_origins: [shopOrigin], stores: [{ id: 'fr', name: 'Boutique FR', currency: 'EUR' }, { id: 'pl', name: 'Sklep PL', currency: 'PLN' }] });
    for (const [transport, store] of [['beacon', 'fr'], ['get', 'pl']] as const) {
      const tag = `store-${transport}-${Date.now()}`;
      const head = `<script>window.shopbeacon = window.shopbeacon || function () { (shopbeacon.q = shopbeacon.q || []).push(arguments) }</script>
        <script async src="${inject('baseUrl')}/sdk.js" data-key="${multi.publicKey}" data-store="${store}" ${transport === 'get' ? 'data-transport="get"' : ''}></script>`;
      const body = `<script>shopbeacon('order', { customer_email: '${tag}@shop.test', order_idorder: 'O-${tag}', order_state: 20, order_amount: 12.5, order_crea_dt: '2026-11-25 10:00:00' });</script>`;
      pages.set(`/${tag}.html`, html(head, body));
      const { context, page } = await newPage();
      await page.goto(`${shopOrigin}/${tag}.html`);
      await page.waitForFunction(() => typeof (window as any).shopbeacon === 'function' && !(window as any).shopbeacon.q);
      await page.goto('about:blank');
      const deadline = Date.now() + 15_000;
      let mine: Json[] = [];
      while (Date.now() < deadline) {
        mine = ((await call(`/api/events/recent?store=${store}`)).events as Json[]).filter((e) => JSON.stringify(e.data).includes(tag));
        if (mine.length >= 2) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(mine.map((e) => [e.type, e.store]).sort()).toEqual([
        ['order', store],
        ['page', store],
      ]);
      const [order] = (await call(`/api/orders/recent?store=${store}`)).orders as Json[];
      expect(order).toMatchObject({ order_idorder: `O-${tag}`, store, currency: store === 'fr' ? 'EUR' : 'PLN', source: 'tracker' });
      await context.close();
    }
  });

  it('refuses bad data with a warning naming the field: names and required fields in /sdk.js, every value in /sdk.debug.js', async () => {
    const tag = `bad-${Date.now()}`;
    const calls = `<script>
      shopbeacon('product', { product_id: '${tag}-p', colour: 'red' });
      shopbeacon('order', { customer_email: '${tag}@shop.test', order_idorder: '${tag}' });
      shopbeacon('optin', { customer_email: 'not an email', customer_isoptin: 1 });
      shopbeacon('product', { product_id: '${tag}-ok' });
    </script>`;
    const warnings: Record<string, string[]> = {};
    for (const file of ['sdk.js', 'sdk.debug.js']) {
      pages.set(`/${tag}-${file}.html`, html(snippet('data-auto-page="false"', file), calls));
      const { context, page } = await newPage();
      page.on('console', (m) => m.text().startsWith('shopbeacon:') && (warnings[file] ??= []).push(m.text()));
      await page.goto(`${shopOrigin}/${tag}-${file}.html`);
      await page.waitForFunction(() => !(window as any).shopbeacon.q);
      await page.waitForTimeout(1_500);
      await page.goto('about:blank');
      await context.close();
    }
    const names = [
      'shopbeacon: product not sent: data[colour] is unknown',
      'shopbeacon: order not sent: data[order_state] is required; data[order_amount] is required; data[order_crea_dt] is required',
    ];
    expect(warnings['sdk.js']).toEqual(names);
    expect(warnings['sdk.debug.js']).toEqual([...names, 'shopbeacon: optin not sent: data[customer_email] must be an email address']);
    // Only the good product view was taken, once per page.
    const events = await eventsUntil((evs) => evs.filter((e) => e.data.product_id === `${tag}-ok`).length === 2);
    expect(events.filter((e) => JSON.stringify(e.data).includes(tag)).map((e) => e.data.product_id)).toEqual([`${tag}-ok`, `${tag}-ok`]);
    expect(events.filter((e) => e.data.customer_email === 'not an email')).toEqual([]);
    // What /sdk.js let through, the Worker refused, naming the field, in the rejected requests.
    const { rejections } = await api('/api/rejections/recent');
    const refusal = (rejections as Json[]).find((r) => r.excerpt.includes(`${tag}-ok`));
    expect(refusal).toMatchObject({ status: 400, code: 'invalid_fields' });
    expect(refusal!.fields).toContainEqual({ field: 'events[0].data[customer_email]', reason: expect.stringContaining('email') });
  });

  it('sends with sendBeacon when the page is hidden, even right after the call', async () => {
    const tag = `hide-${Date.now()}`;
    pages.set(`/${tag}.html`, html(snippet('data-auto-page="false"'), `<a id="go" href="/next-${tag}.html">next</a>`));
    pages.set(`/next-${tag}.html`, html(''));
    const { context, page } = await newPage();
    await page.goto(`${shopOrigin}/${tag}.html`);
    await page.waitForFunction(() => !(window as any).shopbeacon.q);
    const before = await page.evaluate((t) => {
      (window as any).shopbeacon('product', { product_id: t });
      return (window as any).__sent.length;
    }, tag);
    expect(before).toBe(0); // batched for a moment, not sent at once
    await page.click('#go');
    await eventsUntil((evs) => evs.some((e) => e.type === 'product' && e.data.product_id === tag));
    await context.close();
  });

  it('keeps events made while the endpoint is unreachable and sends them on the next page, once each', async () => {
    const tag = `offline-${Date.now()}`;
    pages.set(`/${tag}-1.html`, html(snippet('data-auto-page="false"'), `<script>shopbeacon('product', { product_id: '${tag}-a' }); shopbeacon('product', { product_id: '${tag}-b' });</script>`));
    pages.set(`/${tag}-2.html`, html(snippet('data-auto-page="false"'), `<script>shopbeacon('product', { product_id: '${tag}-c' });</script>`));
    const { context, page } = await newPage();
    await page.goto(`${shopOrigin}/${tag}-1.html`);
    await page.waitForFunction(() => !(window as any).shopbeacon.q);
    // The Worker cannot be reached: the network is gone before the batch goes out.
    await context.setOffline(true);
    await page.waitForTimeout(2_500); // past the batching delay
    const stored = await page.evaluate(() => Object.keys(localStorage).map((k) => localStorage.getItem(k) ?? '').join(''));
    expect(stored).toContain(`${tag}-a`);
    expect(stored).toContain(`${tag}-b`);
    await context.setOffline(false);
    await page.goto(`${shopOrigin}/${tag}-2.html`);
    await page.waitForTimeout(1_500);
    await page.goto('about:blank');
    await eventsUntil((evs) => ['a', 'b', 'c'].every((x) => evs.some((e) => e.data.product_id === `${tag}-${x}`)));
    await new Promise((r) => setTimeout(r, 1_500)); // and nothing more arrives
    const all = await recentEvents();
    expect(all.filter((e) => String(e.data.product_id).startsWith(tag)).map((e) => e.data.product_id).sort()).toEqual([`${tag}-a`, `${tag}-b`, `${tag}-c`]);
    await context.close();
  });

  it('online but the Worker unreachable (GET mode: fetch sees the failure), keeps the events and sends them on the next page, once each', async () => {
    const tag = `unreachable-${Date.now()}`;
    const attrs = 'data-auto-page="false" data-transport="get"';
    pages.set(`/${tag}-1.html`, html(snippet(attrs), `<script>shopbeacon('product', { product_id: '${tag}-a' }); shopbeacon('product', { product_id: '${tag}-b' });</script>`));
    pages.set(`/${tag}-2.html`, html(snippet(attrs), `<script>shopbeacon('product', { product_id: '${tag}-c' });</script>`));
    const { context, page } = await newPage();
    // Every request to /collect fails at the network level; the page itself stays online.
    await context.route(`${inject('baseUrl')}/collect**`, (route) => route.abort('connectionrefused'));
    await page.goto(`${shopOrigin}/${tag}-1.html`);
    await page.waitForFunction(() => !(window as any).shopbeacon.q);
    await page.waitForTimeout(2_500); // the batching delay passed: the sends were tried and failed
    const stored = await page.evaluate(() => Object.keys(localStorage).map((k) => localStorage.getItem(k) ?? '').join(''));
    expect(stored).toContain(`${tag}-a`);
    expect(stored).toContain(`${tag}-b`);
    await context.unroute(`${inject('baseUrl')}/collect**`);
    // Retries back off (10 s after a failure): the next page sends what is due.
    await page.waitForTimeout(10_000);
    await page.goto(`${shopOrigin}/${tag}-2.html`);
    await page.waitForTimeout(1_500);
    await page.goto('about:blank');
    await eventsUntil((evs) => ['a', 'b', 'c'].every((x) => evs.some((e) => e.data.product_id === `${tag}-${x}`)));
    await new Promise((r) => setTimeout(r, 1_500));
    const all = await recentEvents();
    expect(all.filter((e) => String(e.data.product_id).startsWith(tag)).map((e) => e.data.product_id).sort()).toEqual([`${tag}-a`, `${tag}-b`, `${tag}-c`]);
    await context.close();
  });

  it('with consent required, sets no cookie and sends nothing before consent', async () => {
    const tag = `consent-${Date.now()}`;
    pages.set(`/${tag}.html`, html(snippet('data-consent="required"'), `<script>shopbeacon('product', { product_id: '${tag}' }); shopbeacon('cart', { items: [], cart_amount: 0 });</script>`));
    const { context, page, sent } = await newPage();
    await page.goto(`${shopOrigin}/${tag}.html`);
    await page.waitForFunction(() => !(window as any).shopbeacon.q);
    await page.waitForTimeout(2_000);
    expect(sent).toEqual([]);
    expect(await page.evaluate(() => (window as any).__sent)).toEqual([]);
    expect(await page.evaluate(() => document.cookie)).toBe('');
    expect((await context.cookies(shopOrigin)).map((c) => c.name)).not.toContain('sbt');
    expect((await recentEvents()).filter((e) => e.data.product_id === tag)).toEqual([]);
    await page.evaluate(() => (window as any).shopbeacon('consent', { analytics: true, functional: false, targeting: false }));
    const tried = await page.evaluate(() => new Promise<number>((ok) => setTimeout(() => ok((window as any).__sent.length), 1_500)));
    expect(tried).toBeGreaterThan(0);
    await page.goto('about:blank');
    const events = await eventsUntil((evs) => evs.some((e) => e.data.product_id === tag));
    // Analytics was given (page view, product view); functional was refused (the cart is dropped).
    expect(events.filter((e) => e.type === 'cart' && e.sbt === events.find((x) => x.data.product_id === tag)!.sbt)).toEqual([]);
    expect((await context.cookies(shopOrigin)).map((c) => c.name)).toContain('sbt');
    await context.close();
  });

  it('an SPA sends a page view on each history navigation', async () => {
    const tag = `spa-${Date.now()}`;
    pages.set(`/${tag}/`, html(snippet(), `<script>setTimeout(() => history.pushState(null, '', '/${tag}/product'), 300)</script>`));
    const { context, page } = await newPage();
    await page.goto(`${shopOrigin}/${tag}/`);
    await page.waitForURL(`**/${tag}/product`);
    await page.goto('about:blank');
    const events = await eventsUntil((evs) => evs.filter((e) => e.type === 'page' && String(e.data.url).includes(tag)).length >= 2);
    const urls = events.filter((e) => e.type === 'page' && String(e.data.url).includes(tag)).map((e) => e.data.url);
    expect(urls.sort()).toEqual([`${shopOrigin}/${tag}/`, `${shopOrigin}/${tag}/product`]);
    await context.close();
  });
});
