import { LIMITS } from '@shopbeacon/protocol';
import { describe, expect, it, vi } from 'vitest';
import { createQueue } from '../src/queue';
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
  it('two trackers on one localStorage never send the same stored event twice', async () => {
    const page = openPage();
    const key = freshKey();
    page.beaconAnswer = false; // sent by fetch: in flight until it answers
    let answer!: (r: Response) => void;
    vi.stubGlobal('fetch', vi.fn(() => new Promise<Response>((resolve) => (answer = resolve))));
    const tabA = tracker(key);
    const tabB = tracker(key);
    tabA.page({ url: 'https://www.shop.example/a' });
    tabB.page({ url: 'https://www.shop.example/b' });
    tabA.flush(); // takes both: one queue per key
    tabB.flush();
    await settle();
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(stored(key).map((e: { n: number }) => e.n)).toEqual([1, 1]); // both marked in flight
    answer(new Response(null, { status: 204 }));
    await settle(0);
    expect(stored(key)).toEqual([]);
  });

  it('what a tab took and never finished (it died before the answer) goes again from a later page after 10 s', async () => {
    const page = openPage();
    const key = freshKey();
    const event = { id: 'e'.repeat(22), type: 'page', ts: Date.now(), sbt: 's'.repeat(22), data: { url: 'https://www.shop.example/' } };
    localStorage.setItem(`sbq:${key}`, JSON.stringify([{ ...event, n: 1, r: Date.now() + 10_000 }]));
    const later = tracker(key);
    await settle();
    expect(page.sent).toEqual([]); // in flight in the other tab, as far as this one knows
    await settle(9_000);
    later.flush();
    expect((await page.batches())[0].events).toEqual([event]);
    expect(stored(key)).toEqual([]);
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
