// Tracker events are kept EVENTS_RETENTION_DAYS (wrangler.toml: 395); a Cron Trigger every
// minute deletes older ones, within D1's queries per invocation, and nothing else.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import worker from '../src/index';
import { DEFAULT_RETENTION_DAYS, PRUNE_LIMITS, pruneEvents, retentionDays, runRetention } from '../src/retention';
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
    // The real cadence and limits: every minute, 39 DELETEs of 50,000 rows: 32,500 events/s.
    const perSecond = (PRUNE_LIMITS.rows * (PRUNE_LIMITS.statements - 1)) / 60;
    expect(perSecond).toBeGreaterThanOrEqual(30_000);
    expect(PRUNE_LIMITS.statements).toBeLessThanOrEqual(50);
  });
});
