import { afterEach, describe, expect, it, vi } from 'vitest';
import { boot } from '../src/script';
import { freshKey, openPage, order, settle } from './helpers';

type Stub = ((...args: unknown[]) => unknown) & { q?: IArguments[] };
const w = window as unknown as { shopbeacon?: Stub };

/** The snippet a shop pastes, then the script tag's element. */
function snippet(data: Record<string, string>, src = 'https://track.shop.example/sdk.js') {
  w.shopbeacon = function () {
    // biome-ignore lint/style/noArguments: the documented snippet
    (w.shopbeacon!.q = w.shopbeacon!.q || []).push(arguments);
  } as Stub;
  const script = document.createElement('script');
  script.src = src;
  for (const [k, v] of Object.entries(data)) script.dataset[k] = v;
  return script;
}

const { pushState, replaceState } = history;
afterEach(() => {
  history.pushState = pushState;
  history.replaceState = replaceState;
  delete w.shopbeacon;
});

describe('script tag', () => {
  it("replays calls made before load in order, then sends a page view; the endpoint is the script's origin", async () => {
    const page = openPage('https://www.shop.example/thanks?order=1');
    const key = freshKey();
    const script = snippet({ key });
    w.shopbeacon!('product', { product_id: 'P1' });
    w.shopbeacon!('order', order);
    w.shopbeacon!('cart', { items: [{ sku: 'S1', quantity: 1 }] });
    boot(script);
    await settle();
    expect(page.sent.every((s) => s.url == 'https://track.shop.example/collect')).toBe(true);
    const batches = await page.batches();
    expect(batches.map((b) => [b.key, b.events.map((e) => e.type)])).toEqual([[key, ['product', 'order', 'cart', 'page']]]);
    expect(batches[0].events[3].data).toEqual({ url: 'https://www.shop.example/thanks?order=1', referrer: '', title: '' });
    // after load, calls go through at once (within the batching second)
    w.shopbeacon!('product', { product_id: 'P2' });
    await settle();
    expect((await page.batches()).at(-1)!.events.map((e) => e.data.product_id)).toEqual(['P2']);
  });

  it('takes data-endpoint, data-transport="get", data-auto-page="false", data-consent="required"', async () => {
    const page = openPage();
    const script = snippet({ key: freshKey(), endpoint: 'https://collect.example/', transport: 'get', autoPage: 'false', consent: 'required' });
    w.shopbeacon!('optin', { customer_email: 'a@b.co', customer_isoptin: 1 });
    boot(script);
    await settle();
    expect(page.sent).toEqual([]);
    w.shopbeacon!('consent', { analytics: true });
    await settle();
    expect(page.sent.map((s) => [s.method, new URL(s.url).pathname, new URL(s.url).searchParams.get('type')])).toEqual([
      ['GET', '/collect', 'optin'],
    ]);
    expect(page.sent[0].url.startsWith('https://collect.example/collect?')).toBe(true);
  });

  it('a queued page() replaces the automatic page view of that URL', async () => {
    const page = openPage('https://www.shop.example/p');
    const script = snippet({ key: freshKey() });
    w.shopbeacon!('page', { url: 'https://www.shop.example/p', title: 'Custom' });
    boot(script);
    await settle();
    const [batch] = await page.batches();
    expect(batch.events.map((e) => e.data.title)).toEqual(['Custom']);
  });

  it('warns about a missing data-key and an unknown call', () => {
    const page = openPage();
    boot(snippet({}));
    boot(snippet({ key: freshKey() }));
    w.shopbeacon!('purchase', {});
    expect(page.warnings).toEqual(['shopbeacon: data-key missing', 'shopbeacon: unknown call purchase']);
  });
});

describe('page views in a single-page app', () => {
  it('sends one on pushState and popstate, none for the same URL, a #fragment or replaceState of the same page', async () => {
    const page = openPage('https://www.shop.example/');
    boot(snippet({ key: freshKey() }));
    await settle(0);
    history.pushState({}, '', '/products');
    history.replaceState({ scrolled: 1 }, '', '/products');
    history.pushState({}, '', '/products#reviews');
    history.replaceState({}, '', '/products?color=red');
    history.back = () => {
      (window as unknown as { happyDOM: { setURL(u: string): void } }).happyDOM.setURL('https://www.shop.example/');
      dispatchEvent(new PopStateEvent('popstate'));
    };
    history.back();
    await settle();
    const [batch] = await page.batches();
    expect(batch.events.map((e) => [e.data.url, e.data.referrer])).toEqual([
      ['https://www.shop.example/', ''],
      ['https://www.shop.example/products', 'https://www.shop.example/'],
      ['https://www.shop.example/products?color=red', 'https://www.shop.example/products'],
      ['https://www.shop.example/', 'https://www.shop.example/products?color=red'],
    ]);
  });
});

describe('personal data in page URLs', () => {
  it('redacts email addresses and the values of email, token, … from the URL and the referrer before sending', async () => {
    const page = openPage('https://www.shop.example/thank-you.html?order=7&email=jane%40doe.com&name=Jane&token=s3cr3t');
    Object.defineProperty(document, 'referrer', { value: 'https://www.shop.example/account/jane@doe.com/edit', configurable: true });
    boot(snippet({ key: freshKey() }));
    await settle();
    const [batch] = await page.batches();
    expect(batch.events[0].data).toMatchObject({
      url: 'https://www.shop.example/thank-you.html?order=7&email=(redacted)&name=Jane&token=(redacted)',
      referrer: 'https://www.shop.example/account/(redacted)/edit',
    });
    expect(JSON.stringify(batch)).not.toContain('doe.com');
  });

  it('data-redact names the parameters instead (emails are always redacted); an SPA navigation is redacted too', async () => {
    const page = openPage('https://www.shop.example/?coupon=SUMMER&token=kept');
    Object.defineProperty(document, 'referrer', { value: '', configurable: true });
    boot(snippet({ key: freshKey(), redact: 'coupon,ref' }));
    await settle(0);
    history.pushState({}, '', '/cart?ref=ad&u=a%40b.fr');
    await settle();
    const [batch] = await page.batches();
    expect(batch.events.map((e) => e.data.url)).toEqual(['https://www.shop.example/?coupon=(redacted)&token=kept', 'https://www.shop.example/cart?ref=(redacted)&u=(redacted)']);
    expect(batch.events[1].data.referrer).toBe('https://www.shop.example/?coupon=(redacted)&token=kept');
  });
});
