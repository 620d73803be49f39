// The abandoned cart end to end: the example shop in Chromium against `npm run dev` (wrangler's
// local Queues, their delayed messages; carts count as abandoned after 6 s there, not an hour).
// A visitor who adds to cart and leaves gets one cart.abandoned at a local receiver verifying
// with standardwebhooks; a visitor who goes on to order gets none.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serveExamples } from '../../scripts/examples-server';
import { launchChromium, skipWithoutChromium } from './chromium';
import { basicAuth, runSite, type SiteKeys, siteJson } from './global-setup';
import { Receiver } from './receiver';

type Json = Record<string, any>;
const skip = skipWithoutChromium('the abandoned cart in a browser');

describe.skipIf(skip)('cart.abandoned from the example shop in Chromium', () => {
  let browser: Browser;
  let server: Server;
  let shop = '';
  let site: SiteKeys;
  let receiver: Receiver;

  const api = async (path: string, method = 'GET', body?: unknown) => {
    const res = await fetch(`${inject('baseUrl')}${path}`, {
      method,
      headers: { authorization: basicAuth(site.publicKey, site.privateKey), 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    expect(res.status, await res.clone().text()).toBeLessThan(300);
    return (await res.json()) as Json;
  };

  const sbtOf = async (context: BrowserContext) => (await context.cookies(shop)).find((c) => c.name === 'sbt')!.value;

  /** A visitor opens the product, adds it to the cart, and is on the cart page. */
  async function addToCart(context: BrowserContext) {
    const page = await context.newPage();
    await page.goto(`${shop}/shop-theme/product.html`);
    await page.click('#add');
    await page.waitForURL('**/cart.html');
    return page;
  }

  beforeAll(async () => {
    browser = await launchChromium();
    site = siteJson(runSite(['create', '--name', 'Abandoned cart e2e', '--json'], inject('stateDir')));
    server = await serveExamples({ tracker: inject('baseUrl'), publicKey: site.publicKey, port: 0 });
    shop = `http://localhost:${(server.address() as AddressInfo).port}`;
    await api('/api/settings', 'PUT', { get_mode: true, allowed_origins: [shop] }); // the thank-you page sends the order
    receiver = await Receiver.start();
    const hook = await api('/api/webhooks', 'POST', { url: receiver.url(), events: ['cart.abandoned'] });
    receiver.secret = hook.secret;
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((ok) => server?.close(ok));
    await receiver?.close();
  });

  it('fires once for the visitor who leaves, not for the one who orders', async () => {
    const leaver = await browser.newContext();
    await (await addToCart(leaver)).goto('about:blank'); // leaves (the page hide sends what is queued)
    const leaverSbt = await sbtOf(leaver);
    await leaver.close();

    const buyer = await browser.newContext();
    const page = await addToCart(buyer);
    await page.click('text=Checkout');
    await page.click('text=Place order');
    await page.waitForURL('**/thank-you.html**');
    const buyerSbt = await sbtOf(buyer);
    const orderId = await page.textContent('#order-id');
    await page.goto('about:blank');
    await buyer.close();
    for (let i = 0; i < 50 && !(await api('/api/orders/recent')).orders.some((o: Json) => o.order_idorder === orderId); i++) await new Promise((r) => setTimeout(r, 200));

    // A third visitor leaves after the order was taken: once theirs has fired, the buyer's check
    // (due earlier) has been made too, whatever it decided.
    const last = await browser.newContext();
    await (await addToCart(last)).goto('about:blank');
    const lastSbt = await sbtOf(last);
    await last.close();
    const about = (sbt: string) => receiver.received.filter((r) => r.payload.data.profile.customer_cookie === sbt);
    await receiver.until('the last visitor’s cart.abandoned', () => about(lastSbt).length > 0, 30_000);
    await new Promise((r) => setTimeout(r, 1500)); // room for a late or repeated delivery

    expect(receiver.received.every((r) => r.payload.type === 'cart.abandoned')).toBe(true);
    expect(about(leaverSbt)).toHaveLength(1);
    expect(about(leaverSbt)[0].payload.data).toMatchObject({
      identifier: 'abandoned_cart',
      cart: { cart_amount: 19.9, currency: 'EUR', items: [{ product_id: 'TS-ORG-01', quantity: 1 }], cart_recovery_url: `${shop}/shop-theme/cart.html?restore=TS-ORG-01` },
    });
    expect(about(buyerSbt)).toEqual([]);
    expect(about(lastSbt)).toHaveLength(1);
    // The trigger list says the same.
    const fired = ((await api('/api/triggers/recent')).triggers as Json[]).filter((t) => t.type === 'cart.abandoned').map((t) => t.profile.customer_cookie);
    expect(fired.sort()).toEqual([leaverSbt, lastSbt].sort());
  });
});
