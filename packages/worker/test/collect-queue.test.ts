// The queued /collect: with the EVENTS queue bound, /collect checks everything, answers at once,
// and this Worker's consumer writes the events, once each, through the same write path. Driven
// through the real local queues (the answer, then the rows once the consumer ran) and, where a
// test must choose the attempt, through the consumer itself on a batch it builds.
import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { checkEvent } from '@shopbeacon/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import worker from '../src/index';
import { COLLECT_ATTEMPTS, type CollectMessage, EVENTS_DLQ, EVENTS_QUEUE, QUERIES_PER_INVOCATION } from '../src/collect-queue';
import { countingDb } from './counting-db';
import { get, newSite, post, put, SELF, type TestSite } from './helpers';

type Json = Record<string, any>;

const queued = (globalThis as { queuedCollect?: Pick<Cloudflare.Env, 'EVENTS' | 'EVENTS_DLQ'> }).queuedCollect!;
beforeAll(() => {
  // The Worker under test shares this env: from here on its /collect is the queued one, and its
  // consumer retries at once instead of after half a minute.
  Object.assign(env, queued, { COLLECT_RETRY_SECONDS: '0' });
});
afterAll(() => {
  delete env.EVENTS;
  delete env.EVENTS_DLQ;
});

let n = 0;
const id = () => `qev${String(++n).padStart(13, '0')}`;
const visitor = () => `QueueVisitor${String(++n).padStart(10, '0')}`;
const event = (sbt: string, type: string, data: Json) => ({ id: id(), type, ts: 1_764_000_000_000 + n, sbt, data });
const page = (sbt: string) => event(sbt, 'page', { url: `https://shop.example/p${n}`, title: 'A page' });
const order = (sbt: string, idorder: string, amount = 42.5) =>
  event(sbt, 'order', { customer_email: `${idorder.toLowerCase()}@shop.test`, order_idorder: idorder, order_state: 20, order_amount: amount, order_crea_dt: '2026-12-01 10:00:00' });

const beacon = (site: TestSite, events: Json[]) =>
  SELF.fetch('https://tracker.test/collect', { method: 'POST', headers: { 'content-type': 'text/plain;charset=UTF-8' }, body: JSON.stringify({ key: site.publicKey, events }) });

const count = (sql: string, ...params: unknown[]) => env.DB.prepare(sql).bind(...params).first<number>('n');
const rowsOf = (site: TestSite) => count('SELECT count(*) AS n FROM events WHERE site_id = ?', site.siteId);
const rejections = async (site: TestSite) => ((await (await get(site, '/api/rejections/recent')).json()) as { rejections: Json[] }).rejections;

/** Waits (up to 20 s) for `check` to hold: the consumer runs after its batch's second. */
async function until<T>(read: () => Promise<T>, check: (v: T) => boolean): Promise<T> {
  const end = Date.now() + 20_000;
  for (;;) {
    const v = await read();
    if (check(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** An SQLite trigger that makes every insert of this visitor's events fail: a real D1 error in the consumer's batch. */
async function poison(sbt: string) {
  const name = `poison_${sbt}`;
  await env.DB.prepare(`CREATE TRIGGER ${name} BEFORE INSERT ON events WHEN NEW.sbt = '${sbt}' BEGIN SELECT RAISE(ABORT, 'events of ${sbt} cannot be written'); END`).run();
  return () => env.DB.prepare(`DROP TRIGGER ${name}`).run();
}

/** The queue message a /collect request of these events makes (checked as the route checks them). */
const message = (site: TestSite, events: Json[], at = Date.now()): CollectMessage => ({
  site: site.siteId,
  at,
  batch: true,
  method: 'POST',
  sent: JSON.stringify({ key: site.publicKey, events }),
  events: events.map((ev, i) => ({ i, ev: checkEvent(ev, `events[${i}].`).values })),
});

/** Runs the consumer on these messages, each at `attempts`, and answers what it acked and retried. */
async function consume(queue: string, bodies: CollectMessage[], attempts = 1, bindings: Partial<Cloudflare.Env> = {}) {
  const batch = createMessageBatch(queue, bodies.map((body, i) => ({ id: `q${++n}-${i}`, timestamp: new Date(), attempts, body })));
  const ctx = createExecutionContext();
  await worker.queue!(batch as MessageBatch<unknown>, { ...env, ...bindings } as Cloudflare.Env);
  return getQueueResult(batch, ctx);
}

describe('the queued /collect', { timeout: 30_000 }, () => {
  it('answers at once, before the write, and the consumer writes each event once', async () => {
    const site = await newSite();
    const sbt = visitor();
    const events = [page(sbt), page(sbt), event(sbt, 'product', { product_id: 'P-1', name: 'Shirt' }), event(sbt, 'cart', { items: [{ product_id: 'P-1', quantity: 1, unit_price: 10 }] }), page(sbt)];
    const res = await beacon(site, events);
    expect(res.status).toBe(204);
    expect(await rowsOf(site)).toBe(0); // on the queue: the consumer waits for its batch's second
    expect(await until(() => rowsOf(site), (v) => v === 5)).toBe(5);
    const listed = ((await (await get(site, '/api/events/recent')).json()) as { events: Json[] }).events;
    expect(listed.map((e) => e.id)).toEqual(events.map((e) => e.id).reverse());
    expect(await count('SELECT events AS n FROM site_usage WHERE site_id = ?', site.siteId)).toBe(5);
  });

  it('still names a bad field at once, and queues the good events of the batch', async () => {
    const site = await newSite();
    const sbt = visitor();
    const good = page(sbt);
    const res = await beacon(site, [good, event(sbt, 'product', { product_id: 'P', colour: 'red' })]);
    expect(res.status).toBe(400);
    const body = (await res.json()) as Json;
    expect(body.error.fields).toEqual([{ field: 'events[1].data[colour]', reason: expect.stringContaining('unknown') }]);
    expect(body.error.message).toContain('the other 1 were taken');
    expect(await until(() => rowsOf(site), (v) => v === 1)).toBe(1);
  });

  it('refuses account, order and optin events at once while get_mode is off, and queues nothing of them', async () => {
    const site = await newSite();
    const sbt = visitor();
    const res = await beacon(site, [order(sbt, 'GM-1')]);
    expect(res.status).toBe(403);
    expect(((await res.json()) as Json).error.code).toBe('get_mode_off');
    await new Promise((r) => setTimeout(r, 1_500)); // a consumer batch would have run
    expect(await rowsOf(site)).toBe(0);
    // Nothing was enqueued: the consumer, checking again, would have logged its refusal.
    expect((await rejections(site)).map((r) => r.code)).toEqual(['get_mode_off']);
  });

  it('two copies of a request in one consumer batch: one write, one order, one order.created, the usage counted once', async () => {
    const site = await newSite();
    await put(site, '/api/settings', { get_mode: true });
    const sbt = visitor();
    const events = [page(sbt), order(sbt, 'Q-COPIES')];
    const r = await consume(EVENTS_QUEUE, [message(site, events), message(site, events)]);
    expect(r.explicitAcks).toHaveLength(2);
    expect(await rowsOf(site)).toBe(2);
    expect(await count('SELECT events AS n FROM site_usage WHERE site_id = ?', site.siteId)).toBe(2);
    expect(await count('SELECT count(*) AS n FROM orders WHERE site_id = ?', site.siteId)).toBe(1);
    expect(await count("SELECT count(*) AS n FROM triggers WHERE site_id = ? AND type = 'order.created'", site.siteId)).toBe(1);
    const dropped = (await rejections(site)).find((x) => x.code === 'duplicate_dropped')!;
    expect(dropped.fields.map((f: Json) => f.field)).toEqual(['events[0].id', 'events[1].id']);
  });

  it("counts a request's events on the UTC day it was answered, however late they are written", async () => {
    const site = await newSite();
    const yesterday = Date.now() - 86_400_000;
    await consume(EVENTS_QUEUE, [message(site, [page(visitor())], yesterday), message(site, [page(visitor()), page(visitor())])]);
    const days = await env.DB.prepare('SELECT day, events FROM site_usage WHERE site_id = ? ORDER BY day').bind(site.siteId).all();
    expect(days.results).toEqual([
      { day: new Date(yesterday).toISOString().slice(0, 10), events: 1 },
      { day: new Date().toISOString().slice(0, 10), events: 2 },
    ]);
    const received = await env.DB.prepare('SELECT received_at FROM events WHERE site_id = ? ORDER BY received_at').bind(site.siteId).all<{ received_at: number }>();
    expect(received.results[0].received_at).toBe(yesterday);
  });

  it('an opt-in written late (retried) does not bring back the opt-out the visitor sent after it', async () => {
    const site = await newSite();
    await put(site, '/api/settings', { get_mode: true });
    const sbt = visitor();
    const email = `${sbt.toLowerCase()}@shop.test`;
    const optin = (v: number) => event(sbt, 'optin', { customer_email: email, customer_isoptin: v });
    const t = Date.now();
    // The opt-out (sent second) is written first; the opt-in (sent first) comes back from a retry.
    await consume(EVENTS_QUEUE, [message(site, [optin(0)], t)]);
    await consume(EVENTS_QUEUE, [message(site, [optin(1)], t - 30_000)], 2);
    const row = await env.DB.prepare('SELECT isoptin, isoptin_at FROM profiles WHERE site_id = ? AND email = ?').bind(site.siteId, email).first();
    expect(row).toEqual({ isoptin: 0, isoptin_at: t });
    expect(await rowsOf(site)).toBe(2); // both events are kept: only the stale choice is not applied
  });

  it('a deferred message keeps its attempts: past the last one overall it is dead-lettered, with its error', async () => {
    const site = await newSite();
    const sbt = visitor();
    const dead: CollectMessage[] = [];
    const dlq = { send: async (body: CollectMessage) => void dead.push(body) } as unknown as Queue;
    const heal = await poison(sbt);
    try {
      const copy = { ...message(site, [page(sbt)]), tries: COLLECT_ATTEMPTS - 1 };
      const r = await consume(EVENTS_QUEUE, [copy], 1, { EVENTS_DLQ: dlq });
      expect(r.explicitAcks).toHaveLength(1);
      expect(dead).toHaveLength(1);
      expect(dead[0]).toMatchObject({ attempts: COLLECT_ATTEMPTS, error: expect.stringContaining(`events of ${sbt} cannot be written`) });
      expect(dead[0]).not.toHaveProperty('tries');
    } finally {
      await heal();
    }
  });

  it('a beacon sent twice (its answer lost), in one consumer batch or two, is written once: one order, one order.created', async () => {
    const site = await newSite();
    await put(site, '/api/settings', { get_mode: true });
    const sbt = visitor();
    const events = [page(sbt), order(sbt, 'Q-TWICE')];
    expect((await beacon(site, events)).status).toBe(204);
    expect((await beacon(site, events)).status).toBe(204); // the same ids, in the same second
    await until(() => rowsOf(site), (v) => v === 2);
    expect((await beacon(site, events)).status).toBe(204); // and once more, after they are stored
    // Each repeat is logged (the same refusal twice is one row, counted twice): 2 events dropped, twice.
    const dropped = (r: Json[]) => r.filter((x) => x.code === 'duplicate_dropped').reduce((s, x) => s + x.fields.length * x.count, 0);
    expect(dropped(await until(() => rejections(site), (r) => dropped(r) >= 4))).toBe(4);
    expect(await rowsOf(site)).toBe(2);
    expect(await count('SELECT count(*) AS n FROM orders WHERE site_id = ?', site.siteId)).toBe(1);
    expect(await count("SELECT count(*) AS n FROM triggers WHERE site_id = ? AND type = 'order.created'", site.siteId)).toBe(1);
    expect(await count('SELECT events AS n FROM site_usage WHERE site_id = ?', site.siteId)).toBe(2);
  });

  it("never changes the order the shop's server sent, and says so in the site's log", async () => {
    const site = await newSite();
    await put(site, '/api/settings', { get_mode: true });
    const sbt = visitor();
    expect((await post(site, '/api/updateOrder', { data: { customer_email: 'q-srv@shop.test', order_idorder: 'Q-SRV', order_state: 20, order_amount: 99, order_crea_dt: '2026-12-01 10:00:00' } })).status).toBe(200);
    expect((await beacon(site, [order(sbt, 'Q-SRV', 1)])).status).toBe(204);
    const logged = await until(() => rejections(site), (r) => r.some((x) => x.code === 'server_order_kept'));
    expect(logged.find((x) => x.code === 'server_order_kept')).toMatchObject({ status: 204, fields: [{ field: 'events[0].data[order_idorder]' }] });
    expect(await count("SELECT amount AS n FROM orders WHERE site_id = ? AND idorder = 'Q-SRV'", site.siteId)).toBe(99);
  });

  it('a consumer batch that fails is retried, each message alone: the others are written, the failing one once it can be, each once', async () => {
    const site = await newSite();
    const [bad, good] = [visitor(), visitor()];
    const badEvents = [page(bad), page(bad)];
    const goodEvents = [page(good)];
    const heal = await poison(bad);
    try {
      const first = await consume(EVENTS_QUEUE, [message(site, badEvents), message(site, goodEvents)]);
      // One batch for both: it failed, so both are retried, nothing was written.
      expect(first.retryMessages.map((m) => m.msgId)).toHaveLength(2);
      expect(await rowsOf(site)).toBe(0);
      const second = await consume(EVENTS_QUEUE, [message(site, badEvents), message(site, goodEvents)], 2);
      expect(second.retryMessages).toHaveLength(1); // alone now: the good one is written
      expect(second.explicitAcks).toHaveLength(1);
      expect(await rowsOf(site)).toBe(1);
    } finally {
      await heal();
    }
    const third = await consume(EVENTS_QUEUE, [message(site, badEvents)], 3);
    expect(third.explicitAcks).toHaveLength(1);
    expect(await rowsOf(site)).toBe(3);
    // A redelivery of what was written (an ack lost) changes nothing.
    await consume(EVENTS_QUEUE, [message(site, badEvents), message(site, goodEvents)], 1);
    expect(await rowsOf(site)).toBe(3);
    expect(await count('SELECT events AS n FROM site_usage WHERE site_id = ?', site.siteId)).toBe(3);
  });

  it('after its last attempt a message goes to the dead-letter queue with its error, and the rejected requests show it', async () => {
    const site = await newSite();
    const sbt = visitor();
    const heal = await poison(sbt);
    try {
      // Through the real queues: every attempt fails (retried at once here), then the dead-letter queue's consumer records it.
      expect((await beacon(site, [page(sbt), page(sbt)])).status).toBe(204);
      const logged = await until(() => rejections(site), (r) => r.some((x) => x.code === 'dead_lettered'));
      const dead = logged.find((x) => x.code === 'dead_lettered')!;
      expect(dead).toMatchObject({ status: 204, route: '/collect', channel: 'public' });
      expect(dead.message).toContain(`after ${COLLECT_ATTEMPTS} attempts`);
      expect(dead.message).toContain(`events of ${sbt} cannot be written`);
      expect(dead.fields.map((f: Json) => f.field)).toEqual(['events[0].id', 'events[1].id']);
      expect(dead.excerpt).toContain('"events"');
      expect(await rowsOf(site)).toBe(0);
    } finally {
      await heal();
    }
    // Its dashboard page lists it with the others.
    const page_ = await SELF.fetch(`https://tracker.test/api/rejections/recent?channel=public`, { headers: { authorization: site.auth } });
    expect(JSON.stringify(await page_.json())).toContain('dead_lettered');
  });

  it('a message the queue dead-letters itself (the consumer crashed each time) is recorded without an error to tell', async () => {
    const site = await newSite();
    const r = await consume(EVENTS_DLQ, [message(site, [page(visitor())])]);
    expect(r.explicitAcks).toHaveLength(1);
    const dead = (await rejections(site)).find((x) => x.code === 'dead_lettered')!;
    expect(dead.message).toContain('the consumer stopped without an answer on every attempt');
  });

  it('checks the events again with the site as it is when written: a setting changed in between counts', async () => {
    const site = await newSite();
    await put(site, '/api/settings', { get_mode: true });
    const sbt = visitor();
    const m = message(site, [page(sbt), order(sbt, 'Q-LATE')]);
    await put(site, '/api/settings', { get_mode: false });
    expect((await consume(EVENTS_QUEUE, [m])).explicitAcks).toHaveLength(1);
    expect(await rowsOf(site)).toBe(1);
    expect(await count('SELECT count(*) AS n FROM orders WHERE site_id = ?', site.siteId)).toBe(0);
    const late = (await rejections(site)).find((x) => x.code === 'refused_when_written')!;
    expect(late.fields).toEqual([{ field: 'events[1].type', reason: 'order events need get_mode on' }]);
    expect(late.message).toMatch(/^1 event\(s\) taken by \/collect were refused when written/);
  });

  it("drops a deleted site's messages, and writes a day's messages of one site in one batch: 4 queries for 100 beacons", async () => {
    const site = await newSite();
    const sbt = visitor();
    const { db, count: queries } = countingDb(env.DB);
    const bodies = Array.from({ length: 100 }, () => message(site, [page(sbt), page(sbt), page(sbt), page(sbt), page(sbt)]));
    const gone: CollectMessage = { ...message(site, [page(sbt)]), site: 999_999_999 };
    const r = await consume(EVENTS_QUEUE, [...bodies, gone], 1, { DB: db });
    expect(r.explicitAcks).toHaveLength(101);
    expect(queries()).toBe(4); // the sites, the rows, the day's usage, the outbox's claim
    expect(await rowsOf(site)).toBe(500);
  });

  it(`stays within D1's ${QUERIES_PER_INVOCATION} queries an invocation: what is past them goes back on the queue, and is written`, async () => {
    const sites = await Promise.all(Array.from({ length: 20 }, () => newSite()));
    const { db, count: queries } = countingDb(env.DB);
    // A retried message among them: its deferred copy carries the attempts it made.
    const bodies = sites.map((s) => message(s, [page(visitor())]));
    const r = await consume(EVENTS_QUEUE, bodies, 1, { DB: db });
    expect(r.explicitAcks).toHaveLength(20);
    expect(queries()).toBeLessThanOrEqual(QUERIES_PER_INVOCATION);
    const counts = async () => Promise.all(sites.map((s) => rowsOf(s)));
    const direct = (await counts()).filter((c) => c === 1).length;
    expect(direct).toBeGreaterThan(1);
    expect(direct).toBeLessThan(20); // some were deferred: sent to the real queue again
    expect(await until(counts, (c) => c.every((x) => x === 1))).toEqual(sites.map(() => 1));
  });

  it('writes before it answers when the queue does not take the message (a send that fails), as without the binding', async () => {
    const site = await newSite();
    const failing = { send: async () => { throw new Error('queue down'); } } as unknown as Queue;
    const req = new Request('https://tracker.test/collect', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ key: site.publicKey, events: [page(visitor())] }) });
    const res = await worker.fetch(req, { ...env, EVENTS: failing } as Cloudflare.Env, createExecutionContext());
    expect(res.status).toBe(204);
    expect(await rowsOf(site)).toBe(1);
    const unbound = new Request('https://tracker.test/collect', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ key: site.publicKey, events: [page(visitor())] }) });
    expect((await worker.fetch(unbound, { ...env, EVENTS: undefined } as Cloudflare.Env, createExecutionContext())).status).toBe(204);
    expect(await rowsOf(site)).toBe(2);
  });
});
