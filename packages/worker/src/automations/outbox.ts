// The transactional outbox. Trigger rows are written by SQLite triggers (migration 0007) in the
// statements that make each change; the batch's last statement claims the rows it made, and
// answers those some endpoint of the site subscribes to. After the batch commits (after the
// answer, in waitUntil) they go on the TRIGGERS queue. Should that fail, or the isolate die, the
// sweep (the Cron Trigger, every minute) enqueues what was claimed and never enqueued: nothing
// committed is left undelivered. A trigger no endpoint wants is marked done at once.
import type { Env } from '../env';
import { sql, type Stmt } from '../sql';
import { CALLBACK_WANTED } from './callbacks';

export type OutboxMessage = { t: 'trigger'; id: number } | { t: 'delivery'; id: number };

/** Wants: an endpoint of the trigger's site subscribed to its type, or to everything; or an opt-in callback of the site. */
export const WANTED = `(EXISTS (SELECT 1 FROM webhooks w, json_each(w.events) e WHERE w.site_id = triggers.site_id AND e.value IN ('*', triggers.type)) OR ${CALLBACK_WANTED})`;

/** The claim, last in a write batch: RETURNING the ids to enqueue. */
export const claimStatement = (siteId: number, now: number): Stmt =>
  sql`UPDATE triggers SET claimed_at = ${now}, enqueued_at = CASE WHEN ${{ sql: WANTED, params: [] }} THEN NULL ELSE ${now} END
      WHERE site_id = ${siteId} AND claimed_at IS NULL RETURNING id, enqueued_at`;

/** The claim's answer: the trigger ids to put on the queue. */
export const toEnqueue = (result: D1Result) => (result.results as { id: number; enqueued_at: number | null }[]).filter((r) => r.enqueued_at === null).map((r) => r.id);

/** Sends trigger ids to the queue and marks them sent. Without the binding, they wait for it. */
export async function enqueueTriggers(env: Pick<Env, 'DB' | 'TRIGGERS'>, ids: number[], now = Date.now()) {
  if (!ids.length || !env.TRIGGERS) return 0;
  for (let i = 0; i < ids.length; i += 100) {
    const part = ids.slice(i, i + 100); // sendBatch takes at most 100 messages
    await env.TRIGGERS.sendBatch(part.map((id) => ({ body: { t: 'trigger', id } satisfies OutboxMessage, contentType: 'json' as const })));
    await env.DB.prepare('UPDATE triggers SET enqueued_at = ?1 WHERE id IN (SELECT value FROM json_each(?2))').bind(now, JSON.stringify(part)).run();
  }
  return ids.length;
}

/** Enqueues after the answer, within the invocation; a failure is left to the sweep. */
export function enqueueAfter(ctx: { waitUntil(p: Promise<unknown>): void } | undefined, env: Pick<Env, 'DB' | 'TRIGGERS'>, ids: number[]) {
  if (!ids.length) return;
  const done = enqueueTriggers(env, ids).catch((e) => console.error('triggers not enqueued (the sweep will):', e));
  if (ctx) ctx.waitUntil(done);
}

/** Claimed rows older than this and still not enqueued are the sweep's. */
export const SWEEP_AFTER_MS = 60_000;

/** The sweep: up to 1,000 triggers claimed over a minute ago and never enqueued. */
export async function sweepOutbox(env: Pick<Env, 'DB' | 'TRIGGERS'>, now = Date.now()) {
  if (!env.TRIGGERS) return 0;
  const { results } = await env.DB.prepare(
    `SELECT id FROM triggers WHERE enqueued_at IS NULL AND claimed_at < ?1 ORDER BY claimed_at LIMIT 1000`,
  )
    .bind(now - SWEEP_AFTER_MS)
    .all<{ id: number }>();
  return enqueueTriggers(env, results.map((r) => r.id), now);
}
