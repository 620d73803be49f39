// Tracker events are kept EVENTS_RETENTION_DAYS (wrangler.toml: 395); a Cron Trigger every
// minute deletes older ones, within D1's queries per invocation, and nothing else.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import worker from '../src/index';
import { SWEEP_LIMIT } from '../src/automations/outbox';
import { countingDb } from './counting-db';
import {
  CART_KEEP_MS,
  DEFAULT_RETENTION_DAYS,
  DEFAULT_TRIGGERS_RETENTION_DAYS,
  PRUNE_LIMITS,
  pruneEvents,
  pruneTriggers,
  retentionDays,
  runRetention,
  TRIGGER_PRUNE_LIMITS,
} from '../src/retention';
import { get, newSite, post, type TestSite } from './helpers';

const DAY = 86_400_000;
let n = 0;

/** Events received `ages` days ago, oldest first (as they arrive), each with its own id. */
async function receivedDaysAgo(site: TestSite, ages: number[], now: number) {
  await env.DB.batch(
    ages.map((age) =>
      env.DB.prepare(
        `INSERT INTO events (site_id, event_id, type, sbt, data, client_ts, received_at, request_id)
         VALUES (?, ?, 'page', 'AbCdEfGhIjKlMnOpQrStUv', '{}', ?, ?, 0)`,
      ).bind(site.siteId, `retention${String(++n).padStart(12, '0')}`, now - age * DAY, now - age * DAY),
    ),
  );
}

const ages = async (site: TestSite, now: number) =>
  (await env.DB.prepare('SELECT received_at FROM events WHERE site_id = ? ORDER BY id').bind(site.siteId).all<{ received_at: number }>()).results.map((r) =>
    Math.round((now - r.received_at) / DAY),
  );

describe('events retention', () => {
  it('is 395 days unless EVENTS_RETENTION_DAYS says otherwise, and a mistyped value deletes nothing', async () => {
    expect(env.EVENTS_RETENTION_DAYS).toBe('395'); // wrangler.toml
    expect(retentionDays({})).toBe(DEFAULT_RETENTION_DAYS);
    expect(retentionDays({ EVENTS_RETENTION_DAYS: '30' })).toBe(30);
    for (const bad of ['0', '-5', '30.5', '30 days', 'abc', '99999']) expect(retentionDays({ EVENTS_RETENTION_DAYS: bad }), bad).toBeNull();
    const site = await newSite();
    const now = Date.now();
    await receivedDaysAgo(site, [900, 10], now);
    expect(await runRetention({ ...env, EVENTS_RETENTION_DAYS: '0' }, now)).toBeNull();
    expect(await ages(site, now)).toEqual([900, 10]);
  });

  it("the Cron Trigger deletes every site's events older than that, and keeps the rest, profiles and orders", async () => {
    const [a, b] = [await newSite(), await newSite()];
    const now = Date.now();
    await env.DB.prepare('DELETE FROM events').run(); // only this test's, in the order they arrived
    await receivedDaysAgo(a, [800, 500], now);
    await receivedDaysAgo(b, [400, 396], now);
    await receivedDaysAgo(a, [394, 30, 0], now);
    const order = { customer_email: 'kept@shop.test', order_idorder: 'R-1', order_state: 20, order_amount: 10, order_crea_dt: '2020-01-01 00:00:00' };
    expect((await post(a, '/api/updateOrder', { data: order })).status).toBe(200);
    // the Worker's own scheduled handler, as the Cron Trigger calls it
    const ctx = createExecutionContext();
    worker.scheduled(createScheduledController({ scheduledTime: now, cron: '* * * * *' }), env, ctx);
    await waitOnExecutionContext(ctx);
    expect(await ages(a, now)).toEqual([394, 30, 0]);
    expect(await ages(b, now)).toEqual([]);
    expect(((await (await get(a, '/api/orders/recent')).json()) as { orders: unknown[] }).orders).toHaveLength(1);
  });

  it('stays within its statements, and the next run goes on where it stopped', async () => {
    const site = await newSite();
    const now = Date.now() + 10_000 * DAY; // later than every other test's events: all of them go
    await env.DB.prepare('DELETE FROM events').run();
    await receivedDaysAgo(site, [...Array(25).fill(900), 1], now);
    const limits = { rows: 4, statements: 4 }; // 1 SELECT + 3 DELETEs of 4 rows
    expect(await pruneEvents(env.DB, now, 395, limits)).toMatchObject({ deleted: 12, more: true });
    expect(await pruneEvents(env.DB, now, 395, limits)).toMatchObject({ deleted: 12, more: true });
    expect(await pruneEvents(env.DB, now, 395, limits)).toMatchObject({ deleted: 1, more: false });
    expect(await ages(site, now)).toEqual([1]);
  });

  it('keeps up: a backlog over one run is drained by the next scheduled runs, and a day of runs deletes more than D1 takes in', async () => {
    const site = await newSite();
    const now = Date.now() + 20_000 * DAY;
    await env.DB.prepare('DELETE FROM events').run();
    // 45 old events against runs of 2 DELETEs of 10 rows: three runs, the scheduled handler's way.
    await receivedDaysAgo(site, [...Array(45).fill(900), 1], now);
    const limits = { rows: 10, statements: 3 };
    const runs = [];
    for (let more = true; more; ) {
      const r = await pruneEvents(env.DB, now, 395, limits);
      runs.push(r.deleted);
      more = r.more;
    }
    expect(runs).toEqual([20, 20, 5]);
    expect(await ages(site, now)).toEqual([1]);
    // The real cadence and limits: every minute, 29 DELETEs of 70,000 rows: 33,800 events/s.
    const perSecond = (PRUNE_LIMITS.rows * (PRUNE_LIMITS.statements - 1)) / 60;
    expect(perSecond).toBeGreaterThanOrEqual(30_000);
  });
});

describe('triggers, deliveries and carts retention', () => {
  /** A trigger of `age` days ago with one delivery, and a cart of then. */
  async function automationsDaysAgo(site: TestSite, ages: number[], now: number) {
    const hook = await env.DB.prepare(`INSERT INTO webhooks (site_id, url, events, secret, created_at) VALUES (?, 'https://h.example.com/', '["*"]', 'whsec_x', 0) RETURNING id`)
      .bind(site.siteId)
      .first<{ id: number }>();
    for (const age of ages) {
      const at = now - age * DAY;
      const t = await env.DB.prepare(`INSERT INTO triggers (site_id, uid, type, at, data, claimed_at, enqueued_at) VALUES (?, ?, 'manual', ?, '{}', ?, ?) RETURNING id`)
        .bind(site.siteId, `trg_retention${++n}`, at, at, at)
        .first<{ id: number }>();
      await env.DB.prepare('INSERT INTO deliveries (site_id, trigger_id, webhook_id, created_at, enqueued_at) VALUES (?, ?, ?, ?, ?)').bind(site.siteId, t!.id, hook!.id, at, at).run();
      await env.DB.prepare('INSERT INTO carts (site_id, sbt, trigger_id, at, client_ts, items) VALUES (?, ?, ?, ?, ?, 1)').bind(site.siteId, `RetentionCart${n}`, t!.id, at, at).run();
    }
  }
  const left = async (site: TestSite, now: number) => {
    const of = async (sql: string) => (await env.DB.prepare(sql).bind(site.siteId).all<{ at: number }>()).results.map((r) => Math.round((now - r.at) / DAY));
    return {
      triggers: await of('SELECT at FROM triggers WHERE site_id = ? ORDER BY id'),
      deliveries: await of('SELECT created_at AS at FROM deliveries WHERE site_id = ? ORDER BY id'),
      carts: await of('SELECT at FROM carts WHERE site_id = ? ORDER BY at'),
    };
  };

  it('keeps triggers and their deliveries 30 days (TRIGGERS_RETENTION_DAYS), carts a week past any clock', async () => {
    expect(DEFAULT_TRIGGERS_RETENTION_DAYS).toBe(30);
    expect(CART_KEEP_MS).toBeGreaterThan(DAY); // longer than the longest clock, abandoned_cart_minutes = 1440
    const site = await newSite();
    const now = Date.now() + 40_000 * DAY; // later than every other test's triggers: all of them go
    await automationsDaysAgo(site, [60, 31, 29, 3, 0], now);
    await runRetention(env, now); // the scheduled handler's work, at that clock
    expect(await left(site, now)).toEqual({ triggers: [29, 3, 0], deliveries: [29, 3, 0], carts: [3, 0] });
    // A mistyped value deletes no trigger.
    await runRetention({ ...env, TRIGGERS_RETENTION_DAYS: 'thirty' }, now + 100 * DAY);
    expect((await left(site, now)).triggers).toEqual([29, 3, 0]);
  });

  it('goes on where it stopped, within its statements', async () => {
    const site = await newSite();
    const now = Date.now() + 50_000 * DAY;
    await env.DB.batch(['DELETE FROM deliveries', 'DELETE FROM carts', 'DELETE FROM triggers'].map((q) => env.DB.prepare(q))); // only this test's
    await automationsDaysAgo(site, [...Array(7).fill(90), 1], now);
    const limits = { rows: 2, statements: 5 }; // 1 read + 2 rounds of 2 DELETEs of 2 triggers
    expect(await pruneTriggers(env.DB, now, 30, limits)).toMatchObject({ deleted: 4, more: true });
    expect(await pruneTriggers(env.DB, now, 30, limits)).toMatchObject({ deleted: 3, more: false });
    expect((await left(site, now)).deliveries).toEqual([1]);
  });

  it('a whole scheduled run, retention and the outbox sweep, stays within D1’s 50 queries per invocation', async () => {
    // A run with nothing to delete (its clock set back, so nothing is old): one read per table,
    // and the first DELETE of events and round of trigger DELETEs, which find nothing.
    const { db, count } = countingDb(env.DB);
    await runRetention({ ...env, DB: db }, Date.now() - 1000 * DAY);
    expect(count()).toBe(6);
    // At their limits: events 30, triggers 5, carts 1, the sweep 2 reads and 10 updates.
    const most = PRUNE_LIMITS.statements + TRIGGER_PRUNE_LIMITS.statements + 1 + 2 + 2 * Math.ceil(SWEEP_LIMIT / 100);
    expect(most).toBeLessThanOrEqual(50);
  });
});
