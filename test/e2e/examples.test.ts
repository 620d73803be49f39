// The examples run as written: the shop theme (script tag) and the SPA storefront (npm import),
// served as `npm start` serves them, clicked through in Chromium against `npm run dev`; what
// they send is read back from the API.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serveExamples } from '../../scripts/examples-server';
import { launchChromium, skipWithoutChromium } from './chromium';
import { basicAuth, runSite, type SiteKeys, siteJson } from './global-setup';

type Json = Record<string, any>;
const skip = skipWithoutChromium('the examples in a browser');

let browser: Browser;
let server: Server;
let shop: string;
let site: SiteKeys;

async function api(path: string, method = 'GET', body?: unknown): Promise<Json> {
  const res = await fetch(`${inject('baseUrl')}${path}`, {
    method,
    headers: { authorization: basicAuth(site.publicKey, site.privateKey), 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  return res.json() as Promise<Json>;
}

async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, what: string): Promise<T> {
  for (let i = 0; i < 75; i++) {
    const v = await read();
    if (done(v)) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} did not happen within 15 s: ${JSON.stringify(await read()).slice(0, 500)}`);
}

const events = async () => (await api('/api/events/recent')).events as Json[];

describe.skipIf(skip)('the examples in Chromium', () => {
  beforeAll(async () => {
    browser = await launchChromium();
    site = siteJson(runSite(['create', '--name', 'Examples e2e', '--json'], inject('stateDir')));
    server = await serveExamples({ tracker: inject('baseUrl'), publicKey: site.publicKey, port: 0 });
    shop = `http://localhost:${(server.address() as AddressInfo).port}`;
    await api('/api/settings', 'PUT', { get_mode: true, allowed_origins: [shop] });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((ok) => server?.close(ok));
  });

  it('shop theme: newsletter, product, cart, checkout with an account, and the order on the thank-you page', async () => {
    const context = await browser.newContext();
    // What the shop's pages load from the shop (styles, the product image) is all there.
    const missing: string[] = [];
    context.on('response', (r) => {
      if (r.url().startsWith(`${shop}/shop-theme/`) && r.status() >= 400) missing.push(`${r.status()} ${r.url()}`);
    });
    const page = await context.newPage();
    // Arrived from a newsletter link that carries the address (as many ESPs' links do).
    await page.goto(`${shop}/shop-theme/index.html?email=news%40example.com&utm_source=newsletter`);
    await page.fill('input[name=email]', 'news@example.com');
    await page.click('#newsletter button');
    await page.click('text=T-shirt');
    await page.waitForURL('**/product.html');
    await page.click('#add');
    await page.waitForURL('**/cart.html');
    await page.click('text=Checkout');
    await page.click('text=Place order');
    await page.waitForURL('**/thank-you.html**');
    const orderId = await page.textContent('#order-id');
    await page.goto('about:blank');

    const all = await until(events, (evs) => ['optin', 'product', 'cart', 'account', 'order'].every((t) => evs.some((e) => e.type === t)), 'the shop events');
    expect(all.filter((e) => e.type === 'page').map((e) => new URL(e.data.url).pathname)).toEqual(
      expect.arrayContaining(['/shop-theme/index.html', '/shop-theme/product.html', '/shop-theme/cart.html', '/shop-theme/checkout.html']),
    );
    // No personal data in any tracked URL: the newsletter link's address was redacted by the
    // SDK, and the checkout put none in the thank-you page's address.
    const urls = all.filter((e) => e.type === 'page').flatMap((e) => [e.data.url, e.data.referrer]).filter((u): u is string => typeof u === 'string');
    expect(urls).toContain(`${shop}/shop-theme/index.html?email=(redacted)&utm_source=newsletter`);
    for (const personal of ['news%40example', 'jane', 'Jane', 'Doe', 'Rouen', '%40', '@']) expect(urls.filter((u) => u.includes(personal)), personal).toEqual([]);
    expect(all.find((e) => e.type === 'product')!.data).toMatchObject({ product_id: 'TS-ORG-01', unit_price: 19.9, category: 'Men/Tops/T-shirts' });
    expect(all.find((e) => e.type === 'cart')!.data).toMatchObject({ cart_amount: 19.9, currency: 'EUR', items: [{ product_id: 'TS-ORG-01', quantity: 1 }] });
    expect(all.find((e) => e.type === 'optin')!.data).toEqual({ customer_email: 'news@example.com', customer_isoptin: 1 });
    // The image the product event points at is a real one.
    const image = await fetch(all.find((e) => e.type === 'product')!.data.image_url);
    expect([image.status, image.headers.get('content-type')]).toEqual([200, 'image/png']);
    expect(Buffer.from(await image.arrayBuffer()).subarray(1, 4).toString()).toBe('PNG');
    expect(missing).toEqual([]);
    const orders = (await until(() => api('/api/orders/recent'), (r) => r.orders.length > 0, 'the order')).orders as Json[];
    expect(orders[0]).toMatchObject({ order_idorder: orderId, order_state: 20, order_amount: 19.9, source: 'tracker', customer_email: 'jane@example.com', order_tags: ['web'] });
    // One visitor: the order's customer carries the browser's sbt, as every event does.
    const sbt = (await context.cookies(shop)).find((c) => c.name === 'sbt')!.value;
    expect(orders[0].customer_cookie).toBe(sbt);
    expect(new Set(all.map((e) => e.sbt))).toEqual(new Set([sbt]));
    await context.close();
  });

  it('SPA storefront: the npm import sends page views on history navigation, the product and the cart', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${shop}/spa-storefront/`);
    await page.click('text=T-shirt');
    await page.waitForURL('**/spa-storefront/product/TS-ORG-01');
    await page.click('#add');
    await page.waitForURL('**/spa-storefront/cart');
    await page.goto('about:blank');
    const spa = (evs: Json[]) => evs.filter((e) => String(e.data.url ?? e.data.cart_recovery_url ?? '').includes('/spa-storefront'));
    const all = await until(events, (evs) => spa(evs).filter((e) => e.type === 'page').length >= 3 && evs.some((e) => e.type === 'cart' && e.data.cart_recovery_url?.includes('spa-storefront')), 'the SPA events');
    expect(spa(all).filter((e) => e.type === 'page').map((e) => new URL(e.data.url).pathname).sort()).toEqual(['/spa-storefront/', '/spa-storefront/cart', '/spa-storefront/product/TS-ORG-01']);
    expect(spa(all).find((e) => e.type === 'product')!.data).toMatchObject({ product_id: 'TS-ORG-01', name: 'Organic T-shirt' });
    await context.close();
  });
});
