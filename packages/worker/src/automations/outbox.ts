// The transactional outbox. Trigger rows are written by SQLite triggers (migration 0007) in the
// statements that make each change; the batch's last statement claims the rows it made, and
// answers those some endpoint of the site subscribes to. After the batch commits (after the
// answer, in waitUntil) they go on the TRIGGERS queue. Should that fail, or the isolate die, the
// sweep (the Cron Trigger, every minute) enqueues what was claimed and never enqueued: nothing
// committed is left undelivered. A trigger no endpoint wants is marked done at once, except a
// cart.updated with items while the site has abandoned carts on: its message also starts the
// cart's clock (carts.ts).
import type { Env } from '../env';
import { sql, type Stmt } from '../sql';

export type OutboxMessage =
  | { t: 'trigger'; id: number; type?: string }
  | { t: 'delivery'; id: number }
  /** A cart's check, due at `due` (ms): has it been abandoned? `id` is its cart.updated trigger. */
  | { t: 'cart'; id: number; site: number; due: number };

/** Wants: an endpoint of the trigger's site subscribed to its type, or to everything. */
export const WANTED = `EXISTS (SELECT 1 FROM webhooks w, json_each(w.events) e WHERE w.site_id = triggers.site_id AND e.value IN ('*', triggers.type))`;

/** A cart with items, of a site whose abandoned carts are on: its clock starts when it is enqueued. */
const CART_TO_WATCH = `(triggers.type = 'cart.updated' AND json_array_length(triggers.data, '$.cart.items') > 0)`;

/**
 * The claim, last in a write batch: RETURNING the triggers to enqueue. `carts`: the site has
 * abandoned carts on (abandoned_cart_minutes > 0), so a cart with items is enqueued too.
 */
export const claimStatement = (siteId: number, now: number, carts = false): Stmt =>
  sql`UPDATE triggers SET claimed_at = ${now},
        enqueued_at = CASE WHEN ${{ sql: WANTED, params: [] }} OR (${carts ? 1 : 0} AND ${{ sql: CART_TO_WATCH, params: [] }}) THEN NULL ELSE ${now} END
      WHERE site_id = ${siteId} AND claimed_at IS NULL RETURNING id, type, enqueued_at`;

export interface Enqueued {
  id: number;
  type: string;
}

/** The claim's answer: the triggers to put on the queue. */
export const toEnqueue = (result: D1Result): Enqueued[] =>
  (result.results as (Enqueued & { enqueued_at: number | null })[]).filter((r) => r.enqueued_at === null).map(({ id, type }) => ({ id, type }));

/** Sends trigger ids to the queue and marks them sent. Without the binding, they wait for it. */
export async function enqueueTriggers(env: Pick<Env, 'DB' | 'TRIGGERS'>, triggers: Enqueued[], now = Date.now()) {
  if (!triggers.length || !env.TRIGGERS) return 0;
  for (let i = 0; i < triggers.length; i += 100) {
    const part = triggers.slice(i, i + 100); // sendBatch takes at most 100 messages
    await env.TRIGGERS.sendBatch(part.map(({ id, type }) => ({ body: { t: 'trigger', id, type } satisfies OutboxMessage, contentType: 'json' as const })));
    await env.DB.prepare('UPDATE triggers SET enqueued_at = ?1 WHERE id IN (SELECT value FROM json_each(?2))')
      .bind(now, JSON.stringify(part.map((t) => t.id)))
      .run();
  }
  return triggers.length;
}

/** Enqueues after the answer, within the invocation; a failure is left to the sweep. */
export function enqueueAfter(ctx: { waitUntil(p: Promise<unknown>): void } | undefined, env: Pick<Env, 'DB' | 'TRIGGERS'>, triggers: Enqueued[]) {
  if (!triggers.length) return;
  const done = enqueueTriggers(env, triggers).catch((e) => console.error('triggers not enqueued (the sweep will):', e));
  if (ctx) ctx.waitUntil(done);
}

/** Claimed rows older than this and still not enqueued are the sweep's. */
export const SWEEP_AFTER_MS = 60_000;

/** The sweep: up to 1,000 triggers claimed over a minute ago and never enqueued. */
export async function sweepOutbox(env: Pick<Env, 'DB' | 'TRIGGERS'>, now = Date.now()) {
  if (!env.TRIGGERS) return 0;
  const { results } = await env.DB.prepare(
    `SELECT id, type FROM triggers WHERE enqueued_at IS NULL AND claimed_at < ?1 ORDER BY claimed_at LIMIT 1000`,
  )
    .bind(now - SWEEP_AFTER_MS)
    .all<Enqueued>();
  return enqueueTriggers(env, results, now);
}
