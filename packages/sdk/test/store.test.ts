// The store option (a site with several stores): every event of the page carries its store id,
// in the POST batch and in GET mode's query string; no option, no store key at all.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { boot } from '../src/script';
import { ENDPOINT, freshKey, openPage, order, settle, testTracker } from './helpers';

const w = window as unknown as { shopbeacon?: unknown };
afterEach(() => {
  delete w.shopbeacon;
});

/** The script tag's element with these data-* attributes, loaded from the Worker. */
function scriptTag(data: Record<string, string>) {
  const script = document.createElement('script');
  script.src = ENDPOINT + '/sdk.js';
  for (const [k, v] of Object.entries(data)) script.dataset[k] = v;
  return script;
}

/** The query of each GET-mode request, as [name, value] pairs. */
const queries = (page: ReturnType<typeof openPage>) => page.sent.map((s) => [...new URL(s.url).searchParams]);

describe('store (POST batches)', () => {
  it('createTracker({ store }) puts store beside id, type, ts, sbt and data in every event', async () => {
    const page = openPage();
    const t = testTracker({ store: 'fr' });
    t.page({ url: 'https://www.shop.example/' });
    t.order(order);
    await settle();
    const [batch] = await page.batches();
    expect(batch.events.map((e) => [e.type, e.store])).toEqual([
      ['page', 'fr'],
      ['order', 'fr'],
    ]);
    for (const e of batch.events) expect(Object.keys(e).sort()).toEqual(['data', 'id', 'sbt', 'store', 'ts', 'type']);
    expect(batch.events[1].data).toEqual(order);
  });

  it('without the option, an event has no store key', async () => {
    const page = openPage();
    testTracker().page({ url: 'https://www.shop.example/' });
    await settle();
    const [batch] = await page.batches();
    expect(Object.keys(batch.events[0]).sort()).toEqual(['data', 'id', 'sbt', 'ts', 'type']);
    expect(page.sent[0].body).not.toContain('store');
  });

  it('data-store on the script tag', async () => {
    const page = openPage('https://www.shop.example/fr/');
    boot(scriptTag({ key: freshKey(), store: 'fr-paris_2' }));
    await settle();
    const [batch] = await page.batches();
    expect(batch.events.map((e) => [e.type, e.store])).toEqual([['page', 'fr-paris_2']]);
  });

  it('an event keeps the store of the page it happened on when a later page sends it', async () => {
    const page = openPage();
    page.beaconAnswer = false;
    page.fetchAnswer = 'network';
    const key = freshKey();
    testTracker({ key, store: 'fr' }).page({ url: 'https://www.shop.example/fr/' });
    await settle();
    page.beaconAnswer = true;
    await settle(10_000);
    testTracker({ key, store: 'de' }).page({ url: 'https://www.shop.example/de/' });
    await settle();
    const batch = (await page.batches()).at(-1)!;
    expect(batch.events.map((e) => [e.data.url, e.store])).toEqual([
      ['https://www.shop.example/fr/', 'fr'],
      ['https://www.shop.example/de/', 'de'],
    ]);
  });
});

describe('store (GET mode)', () => {
  it('is &store=… after the envelope, before the data', async () => {
    const page = openPage();
    const key = freshKey();
    testTracker({ key, transport: 'get', store: 'fr' }).optin({ customer_email: 'a@b.co', customer_isoptin: 1 });
    await settle();
    const [params] = queries(page);
    expect(params.map(([k]) => k)).toEqual(['key', 'type', 'id', 'ts', 'sbt', 'store', 'data[customer_email]', 'data[customer_isoptin]']);
    expect(params[5]).toEqual(['store', 'fr']);
    expect(page.sent[0].url).toMatch(/&sbt=[\w-]{22}&store=fr&data\[customer_email\]=/);
  });

  it('without the option, there is no store parameter', async () => {
    const page = openPage();
    testTracker({ transport: 'get' }).optin({ customer_email: 'a@b.co', customer_isoptin: 1 });
    await settle();
    expect(queries(page)[0].map(([k]) => k)).toEqual(['key', 'type', 'id', 'ts', 'sbt', 'data[customer_email]', 'data[customer_isoptin]']);
  });

  it('data-store with data-transport="get"', async () => {
    const page = openPage();
    boot(scriptTag({ key: freshKey(), transport: 'get', autoPage: 'false', store: 'de' }));
    (w.shopbeacon as (name: string, data: unknown) => boolean)('product', { product_id: 'P1' });
    await settle();
    expect(queries(page)[0]).toContainEqual(['store', 'de']);
    expect(new URL(page.sent[0].url).searchParams.getAll('store')).toEqual(['de']);
  });
});

describe('a store id that is not one', () => {
  const bad = ['FR', 'fr paris', 'fr.paris', '', 'x'.repeat(33), 'été'];

  for (const store of bad)
    it(`"${store.length > 20 ? store.slice(0, 8) + '…(' + store.length + ')' : store}" is left out with a warning; the events still go`, async () => {
      const page = openPage();
      const t = testTracker({ store });
      expect(page.warnings).toEqual([`shopbeacon: store "${store}" not sent: must match /^[a-z0-9_-]{1,32}$/`]);
      expect(t.product({ product_id: 'P1' })).toBe(true);
      await settle();
      const [batch] = await page.batches();
      expect(batch.events[0].data).toEqual({ product_id: 'P1' });
      expect('store' in batch.events[0]).toBe(false);
    });

  it('from data-store too', async () => {
    const page = openPage();
    boot(scriptTag({ key: freshKey(), store: 'Paris', autoPage: 'false' }));
    expect(page.warnings).toEqual(['shopbeacon: store "Paris" not sent: must match /^[a-z0-9_-]{1,32}$/']);
  });

  it('1 to 32 of a-z, 0-9, _ and - are all taken', async () => {
    const page = openPage();
    const good = ['a', '0', '_', '-', 'x'.repeat(32), 'abcdefghijklmnopqrstuvwxyz', '0123456789_-'];
    for (const store of good) testTracker({ store }).page({ url: 'https://www.shop.example/' });
    await settle();
    expect(page.warnings).toEqual([]);
    expect((await page.batches()).flatMap((b) => b.events.map((e) => e.store))).toEqual(good);
  });
});

describe('dist/sdk.js, the script tag as built', () => {
  const file = join(dirname(fileURLToPath(import.meta.url)), '../dist/sdk.js');

  /** Runs the built script as the browser would, from a <script> with these data-* attributes. */
  function load(data: Record<string, string>) {
    if (!existsSync(file)) throw new Error('packages/sdk/dist/sdk.js is missing: run `npx rollup -c` at the repository root first');
    const script = scriptTag(data);
    Object.defineProperty(document, 'currentScript', { value: script, configurable: true });
    try {
      new Function(readFileSync(file, 'utf8'))();
    } finally {
      delete (document as { currentScript?: unknown }).currentScript;
    }
  }

  it('sends data-store with every event (beacon), and none without it', async () => {
    const page = openPage();
    load({ key: freshKey(), store: 'fr' });
    load({ key: freshKey() });
    await settle();
    const batches = await page.batches();
    expect(batches.map((b) => b.events.map((e) => [e.type, e.store]))).toEqual([[['page', 'fr']], [['page', undefined]]]);
    expect(Object.keys(batches[1].events[0]).sort()).toEqual(['data', 'id', 'sbt', 'ts', 'type']);
  });

  it('sends &store= in GET mode; warns about and leaves out an id that is not one', async () => {
    const page = openPage();
    load({ key: freshKey(), transport: 'get', store: 'de' });
    load({ key: freshKey(), transport: 'get', store: 'DE' });
    await settle();
    expect(queries(page).map((q) => q.filter(([k]) => k == 'store'))).toEqual([[['store', 'de']], []]);
    expect(page.warnings).toEqual(['shopbeacon: store "DE" not sent: must match /^[a-z0-9_-]{1,32}$/']);
  });
});
