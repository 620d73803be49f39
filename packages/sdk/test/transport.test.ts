import { EVENTS as PROTOCOL_EVENTS, type EventType, GET_MODE_EVENTS, LIMITS } from '@shopbeacon/protocol';
import { describe, expect, it, vi } from 'vitest';
import { EVENTS } from '../src/tables';
import { ENDPOINT, freshKey, openPage, order, settle, testTracker } from './helpers';

const tracker = testTracker;

describe('beacon transport', () => {
  it('POSTs one CollectBatch as text (text/plain, no preflight) to {endpoint}/collect within a second', async () => {
    const page = openPage();
    const t = tracker({ key: 'pk_beacon1', endpoint: ENDPOINT + '/' });
    t.page({ url: 'https://www.shop.example/a', title: 'A' });
    t.product({ product_id: 'P1', name: 'Shirt', unit_price: '19.90' });
    await settle(500);
    expect(page.sent).toEqual([]);
    await settle(500);
    expect(page.sent.map((s) => [s.via, s.url])).toEqual([['beacon', ENDPOINT + '/collect']]);
    const [batch] = await page.batches();
    expect(page.sent[0].type).toBe('text/plain;charset=UTF-8');
    expect(Object.keys(batch)).toEqual(['key', 'events']);
    expect(batch.key).toBe('pk_beacon1');
    expect(batch.events.map((e) => [e.type, e.data])).toEqual([
      ['page', { url: 'https://www.shop.example/a', title: 'A' }],
      ['product', { product_id: 'P1', name: 'Shirt', unit_price: '19.90' }],
    ]);
    for (const e of batch.events) {
      expect(e.id).toMatch(/^[\w-]{22}$/);
      expect(e.ts).toBe(Date.now() - 1000);
      expect(e.sbt).toMatch(/^[\w-]{22}$/);
      expect(Object.keys(e).sort()).toEqual(['data', 'id', 'sbt', 'ts', 'type']);
    }
    expect(batch.events[0].id).not.toBe(batch.events[1].id);
    expect(localStorage.getItem('sbq:pk_beacon1')).toBe('[]');
  });

  it('sends events of every type together, in the order called (with get_mode off the Worker refuses account, order and optin alone)', async () => {
    const page = openPage();
    const t = tracker();
    t.page();
    t.order(order);
    t.cart({ items: [{ sku: 'S1', quantity: 2 }], cart_amount: 20, currency: 'EUR' });
    t.account({ customer_email: 'john@doe.com', customer_firstname: 'John' });
    t.optin({ customer_email: 'john@doe.com', customer_isoptin: 1 });
    t.product({ product_id: 'P1' });
    await settle();
    const batches = await page.batches();
    expect(batches.map((b) => b.events.map((e) => e.type))).toEqual([['page', 'order', 'cart', 'account', 'optin', 'product']]);
  });

  it(`puts at most ${LIMITS.profileEventsPerBatch} account, order and optin events in a batch (the Worker's D1 budget)`, async () => {
    const page = openPage();
    const t = tracker();
    for (let i = 0; i < 6; i++) {
      t.order({ ...order, order_idorder: `O-${i}` });
      t.page({ url: `https://www.shop.example/${i}` });
    }
    t.optin({ customer_email: 'a@b.co', customer_isoptin: 1 });
    await settle();
    const types = (await page.batches()).map((b) => b.events.map((e) => e.type));
    expect(types.map((b) => b.filter((type) => type != 'page').length)).toEqual([4, 3]);
    expect(types.flat()).toHaveLength(13);
  });

  it("counts as profile events exactly protocol's GET_MODE_EVENTS (tables.ts marks them)", () => {
    const marked = Object.keys(PROTOCOL_EVENTS).filter((type) => EVENTS[type as EventType][3]);
    expect(marked).toEqual([...GET_MODE_EVENTS]);
  });

  it(`splits batches over ${LIMITS.beaconBytes} bytes and over ${LIMITS.eventsPerBatch} events`, async () => {
    const page = openPage();
    const t = tracker();
    const title = 'x'.repeat(500);
    for (let i = 0; i < 250; i++) expect(t.page({ url: `https://www.shop.example/${i}`, title })).toBe(true);
    await settle();
    const batches = await page.batches();
    const sizes = page.sent.map((s) => new Blob([s.body!]).size);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(LIMITS.beaconBytes);
    expect(Math.max(...batches.map((b) => b.events.length))).toBeLessThanOrEqual(LIMITS.eventsPerBatch);
    expect(batches.length).toBeGreaterThan(2);
    expect(batches.flatMap((b) => b.events.map((e) => e.data.url))).toEqual(
      Array.from({ length: 250 }, (_, i) => `https://www.shop.example/${i}`),
    );
  });

  it('falls back to fetch POST with keepalive when sendBeacon returns false', async () => {
    const page = openPage();
    page.beaconAnswer = false;
    const t = tracker();
    t.page();
    await settle();
    expect(navigator.sendBeacon).toHaveBeenCalledTimes(1);
    expect(page.sent.map((s) => [s.via, s.method, s.url])).toEqual([['fetch', 'POST', ENDPOINT + '/collect']]);
    expect(page.sent[0].init).toMatchObject({ keepalive: true, credentials: 'include' });
    expect(page.sent[0].type).toBe('text/plain;charset=UTF-8');
    const [batch] = await page.batches();
    expect(batch.events[0].type).toBe('page');
    expect(localStorage.getItem(`sbq:${batch.key}`)).toBe('[]');
  });

  it('falls back to fetch when there is no sendBeacon', async () => {
    const page = openPage(undefined, { noBeacon: true });
    tracker().page();
    await settle();
    expect(page.sent.map((s) => [s.via, s.method])).toEqual([['fetch', 'POST']]);
  });

  it('drops events the Worker refuses with a 4xx, with a warning', async () => {
    const page = openPage();
    page.beaconAnswer = false;
    page.fetchAnswer = 403;
    const key = freshKey();
    tracker({ key }).order(order);
    await settle();
    expect(page.warnings).toEqual(['shopbeacon: HTTP 403, see the answer']);
    expect(JSON.parse(localStorage.getItem(`sbq:${key}`)!)).toEqual([]);
  });

  it('keeps events on a network error or a 5xx and retries them with backoff', async () => {
    const page = openPage();
    page.beaconAnswer = false;
    page.fetchAnswer = 503;
    const key = freshKey();
    const t = tracker({ key });
    t.page();
    await settle();
    expect(page.sent).toHaveLength(1);
    const [stored] = JSON.parse(localStorage.getItem(`sbq:${key}`)!);
    expect(stored).toMatchObject({ type: 'page', n: 1, r: Date.now() + 10_000 });

    // Not before its time, even when the page flushes.
    t.flush();
    await settle(0);
    expect(page.sent).toHaveLength(1);

    page.fetchAnswer = 'network';
    await settle(10_000);
    t.flush();
    await settle(0);
    expect(page.sent).toHaveLength(2);
    expect(JSON.parse(localStorage.getItem(`sbq:${key}`)!)[0]).toMatchObject({ n: 2, r: Date.now() + 20_000 });

    // The next page (a new tracker on the same key) sends it once it is due; the same id.
    page.fetchAnswer = 200;
    page.beaconAnswer = true;
    await settle(20_000);
    tracker({ key });
    await settle();
    const batches = await page.batches();
    expect(batches.map((b) => b.events[0].id)).toEqual(Array(3).fill(stored.id));
    expect(JSON.parse(localStorage.getItem(`sbq:${key}`)!)).toEqual([]);
    expect(page.warnings).toEqual([]);
  });

  it('offline, keeps events (a beacon would be "queued" and lost) and sends them when the network is back', async () => {
    const page = openPage();
    const key = freshKey();
    const online = vi.spyOn(navigator, 'onLine', 'get').mockReturnValue(false);
    const t = tracker({ key });
    t.product({ product_id: 'P-offline' });
    await settle();
    dispatchEvent(new Event('pagehide'));
    expect(page.sent).toEqual([]);
    expect(JSON.parse(localStorage.getItem(`sbq:${key}`)!)).toHaveLength(1);
    online.mockReturnValue(true);
    dispatchEvent(new Event('online'));
    expect((await page.batches())[0].events[0].data).toEqual({ product_id: 'P-offline' });
    expect(JSON.parse(localStorage.getItem(`sbq:${key}`)!)).toEqual([]);
    online.mockRestore();
  });

  it('flushes at once on pagehide and when the page is hidden', async () => {
    const page = openPage();
    const t = tracker();
    t.page();
    dispatchEvent(new Event('pagehide'));
    expect(page.sent).toHaveLength(1);
    t.product({ product_id: 'P2' });
    Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
    Object.defineProperty(document, 'hidden', { value: true, configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
    Object.defineProperty(document, 'visibilityState', { value: 'visible', configurable: true });
    Object.defineProperty(document, 'hidden', { value: false, configurable: true });
    expect(page.sent).toHaveLength(2);
  });
});

describe('GET transport', () => {
  it('sends one GET per event, the data in PHP bracket syntax', async () => {
    const page = openPage();
    const key = freshKey();
    const t = tracker({ key, transport: 'get' });
    t.order({
      ...order,
      add_tag: ['vip', 'été'],
      custom_fields: { 327: 'gold & silver' },
      product_attributes: [['size:xl', 'type:shirt'], ['size:s']],
      items: [{ sku: 'S1', quantity: 2, unit_price: 9.5 }],
    });
    t.page({ url: 'https://www.shop.example/?q=a&b=c' });
    await settle();
    expect(navigator.sendBeacon).not.toHaveBeenCalled();
    expect(page.sent).toHaveLength(2);
    for (const s of page.sent) expect(s).toMatchObject({ via: 'fetch', method: 'GET', init: { keepalive: true, credentials: 'include' } });
    const [first, second] = page.sent.map((s) => new URL(s.url));
    expect(first.origin + first.pathname).toBe(ENDPOINT + '/collect');
    const params = [...first.searchParams];
    expect(params.slice(0, 5).map(([k]) => k)).toEqual(['key', 'type', 'id', 'ts', 'sbt']);
    expect(first.searchParams.get('key')).toBe(key);
    expect(first.searchParams.get('type')).toBe('order');
    expect(params.slice(5)).toEqual([
      ['data[customer_email]', 'john@doe.com'],
      ['data[order_idorder]', '0000001'],
      ['data[order_state]', '20'],
      ['data[order_amount]', '158.31'],
      ['data[order_crea_dt]', '2014-06-21 14:31:08'],
      ['data[add_tag][0]', 'vip'],
      ['data[add_tag][1]', 'été'],
      ['data[custom_fields][327]', 'gold & silver'],
      ['data[product_attributes][0][0]', 'size:xl'],
      ['data[product_attributes][0][1]', 'type:shirt'],
      ['data[product_attributes][1][0]', 'size:s'],
      ['data[items][0][sku]', 'S1'],
      ['data[items][0][quantity]', '2'],
      ['data[items][0][unit_price]', '9.5'],
    ]);
    // brackets travel as they are, values are percent-encoded
    expect(page.sent[0].url).toContain('&data[custom_fields][327]=gold%20%26%20silver');
    expect(second.searchParams.get('type')).toBe('page');
    expect(second.searchParams.get('data[url]')).toBe('https://www.shop.example/?q=a&b=c');
  });

  it('sends an empty list as "name=", which clears it', async () => {
    const page = openPage();
    tracker({ transport: 'get' }).order({ ...order, product_attributes: [] });
    await settle();
    expect(page.sent[0].url).toMatch(/&data\[product_attributes\]=(&|$)/);
  });

  it(`warns about and drops an event whose URL would be over ${LIMITS.getUrlBytes} bytes`, async () => {
    const page = openPage();
    const t = tracker({ transport: 'get' });
    const tags = Array.from({ length: 100 }, (_, i) => `tag ${i} ${'é'.repeat(10)}`);
    expect(t.account({ customer_email: 'john@doe.com', add_tag: tags })).toBe(false);
    expect(t.account({ customer_email: 'john@doe.com', add_tag: tags.slice(0, 10) })).toBe(true);
    await settle();
    expect(page.warnings).toEqual([`shopbeacon: account not sent: over ${LIMITS.getUrlBytes} bytes`]);
    expect(page.sent).toHaveLength(1);
    expect(page.sent[0].url.length).toBeLessThanOrEqual(LIMITS.getUrlBytes);
  });
});
