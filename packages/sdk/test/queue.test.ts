import { LIMITS } from '@shopbeacon/protocol';
import { describe, expect, it, vi } from 'vitest';
import { createQueue, lease } from '../src/queue';
import { freshKey, openPage, settle, testTracker } from './helpers';

const tracker = (key: string) => testTracker({ key });
const stored = (key: string) => JSON.parse(localStorage.getItem(`sbq:${key}`) || '[]');

describe('stored queue', () => {
  it('keeps events in localStorage until they are handed over', async () => {
    const page = openPage();
    const key = freshKey();
    tracker(key).page({ url: 'https://www.shop.example/a' });
    expect(stored(key).map((e: { type: string }) => e.type)).toEqual(['page']);
    await settle();
    expect(page.sent).toHaveLength(1);
    expect(stored(key)).toEqual([]);
  });

  it('sends on the next page what a closed page left unsent', async () => {
    const page = openPage();
    const key = freshKey();
    page.beaconAnswer = false;
    page.fetchAnswer = 'network';
    tracker(key).page({ url: 'https://www.shop.example/a' });
    await settle();
    const [left] = stored(key);
    // next page, a while later: the stored event goes out with the new one, once
    page.beaconAnswer = true;
    await settle(60_000);
    const next = tracker(key);
    next.page({ url: 'https://www.shop.example/b' });
    await settle();
    const batches = await page.batches();
    const last = batches[batches.length - 1];
    expect(last.events.map((e) => [e.id, e.data.url])).toEqual([
      [left.id, 'https://www.shop.example/a'],
      [expect.any(String), 'https://www.shop.example/b'],
    ]);
  });

  it(`holds at most ${LIMITS.storedEvents} events: the oldest are dropped first, with a warning`, async () => {
    const page = openPage();
    const key = freshKey();
    page.beaconAnswer = false;
    page.fetchAnswer = 'network';
    const t = tracker(key);
    for (let i = 0; i < LIMITS.storedEvents + 2; i++) t.page({ url: `https://www.shop.example/${i}` });
    const urls = stored(key).map((e: { data: { url: string } }) => e.data.url);
    expect(urls).toHaveLength(LIMITS.storedEvents);
    expect(urls[0]).toBe('https://www.shop.example/2');
    expect(urls.at(-1)).toBe(`https://www.shop.example/${LIMITS.storedEvents + 1}`);
    expect(page.warnings).toEqual(Array(2).fill('shopbeacon: queue full, oldest event dropped'));
  });

  it('lives in memory, and still sends, when localStorage throws (blocked, sandboxed frame)', async () => {
    const page = openPage();
    const denied = () => {
      throw new DOMException('The operation is insecure.', 'SecurityError');
    };
    vi.stubGlobal('localStorage', new Proxy({}, { get: denied, set: denied, deleteProperty: denied }));
    const queue = createQueue('sbq:blocked');
    queue((events) => [...events, { id: 'a', type: 'page', ts: 1, sbt: 'x'.repeat(22), data: {} }]);
    expect(queue().map((e) => e.id)).toEqual(['a']);
    tracker(freshKey()).page();
    await settle();
    expect((await page.batches())[0].events[0].type).toBe('page');
  });
});

describe('two tabs', () => {
  it('only the tab holding the lease drains the stored queue', () => {
    openPage();
    expect(lease('sbq:pk', 'tabA', true)).toBe(true);
    expect(lease('sbq:pk', 'tabB', true)).toBe(false);
    expect(lease('sbq:pk', 'tabA', true)).toBe(true); // its own lease again
    lease('sbq:pk', 'tabB'); // B cannot give back A's lease
    expect(lease('sbq:pk', 'tabB', true)).toBe(false);
    lease('sbq:pk', 'tabA');
    expect(lease('sbq:pk', 'tabB', true)).toBe(true);
  });

  it('a lease left by a tab that died expires after 5 s', async () => {
    openPage();
    expect(lease('sbq:pk', 'tabA', true)).toBe(true);
    await settle(4999);
    expect(lease('sbq:pk', 'tabB', true)).toBe(false);
    await settle(2);
    expect(lease('sbq:pk', 'tabB', true)).toBe(true);
  });

  it('two trackers on one localStorage never send the same stored event twice', async () => {
    const page = openPage();
    const key = freshKey();
    const tabA = tracker(key);
    const tabB = tracker(key);
    tabA.page({ url: 'https://www.shop.example/a' });
    tabB.page({ url: 'https://www.shop.example/b' });
    // Another tab holds the lease: neither sends, both retry shortly.
    localStorage.setItem(`sbq:${key}:lease`, `tabC ${Date.now() + 3000}`);
    await settle();
    expect(page.sent).toEqual([]);
    await settle(3000);
    const ids = (await page.batches()).flatMap((b) => b.events.map((e) => e.id));
    expect(ids).toHaveLength(2);
    expect(new Set(ids).size).toBe(2);
    // Both tabs flush again: nothing is left to send twice.
    tabA.flush();
    tabB.flush();
    expect(page.sent).toHaveLength(1);
    expect(localStorage.getItem(`sbq:${key}:lease`)).toBeNull();
  });

  it('an event in flight (fetch) is not sent again by another tab meanwhile', async () => {
    const page = openPage();
    const key = freshKey();
    page.beaconAnswer = false;
    let answer!: (r: Response) => void;
    vi.stubGlobal('fetch', vi.fn(() => new Promise<Response>((resolve) => (answer = resolve))));
    tracker(key).order({ customer_email: 'a@b.co', order_idorder: '1', order_state: 10, order_amount: 1, order_crea_dt: '2026-01-01 00:00:00' });
    await settle();
    expect(fetch).toHaveBeenCalledTimes(1);
    tracker(key).flush(); // the other tab
    expect(fetch).toHaveBeenCalledTimes(1);
    answer(new Response(null, { status: 200 }));
    await settle(0);
    expect(stored(key)).toEqual([]);
  });
});
