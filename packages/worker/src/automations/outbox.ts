// The transactional outbox. Trigger rows are written by SQLite triggers (migration 0007) in the
// statements that make each change; the batch's last statement claims the rows it made, and
// answers those some endpoint of the site subscribes to. After the batch commits (after the
// answer, in waitUntil) they go on the TRIGGERS queue: a send and nothing else, no write, so a
// change costs its request no round trip to D1 more than the change itself. The consumer marks a
// trigger handled (enqueued_at) when it fans it out. The sweep (the Cron Trigger, every minute)
// sends again, and marks, what was claimed over a minute ago and is not marked: a send that failed
// or an isolate that died, nothing committed is left undelivered; or a trigger still waiting in a
// queue over a minute behind, which is then fanned out twice, to the same deliveries (fan-outs
// are idempotent: one delivery row per trigger and endpoint). A trigger no endpoint wants is marked done at once, except a
// cart.updated with items while the site has abandoned carts on: its message also starts the
// cart's clock (carts.ts).
import type { Env } from '../env';
import { sql, type Stmt } from '../sql';
import { allDbs } from '../tenancy';
import { CALLBACK_WANTED } from './callbacks';

/**
 * Where a message's row is: `s`, its site, and `db`, the database that held the row when the
 * message was sent (tenancy.ts; both absent in messages sent before there were several databases:
 * the control database). A site moved since then has the row in its new database, under the id
 * the move gave it (tenancy.ts movedRow).
 */
export interface RowPlace {
  s?: number;
  db?: string;
}

export type OutboxMessage =
  | ({ t: 'trigger'; id: number; type?: string } & RowPlace)
  | ({ t: 'delivery'; id: number } & RowPlace)
  /** A cart's check, due at `due` (ms): has it been abandoned? `id` is its cart.updated trigger. */
  | { t: 'cart'; id: number; site: number; due: number; db?: string };

/** The site a message's rows belong to, and the binding of their database. */
export interface Place {
  id: number;
  db: string;
}

/** Wants: an endpoint of the trigger's site subscribed to its type, or to everything; or an opt-in callback of the site. */
export const WANTED = `(EXISTS (SELECT 1 FROM webhooks w, json_each(w.events) e WHERE w.site_id = triggers.site_id AND e.value IN ('*', triggers.type)) OR ${CALLBACK_WANTED})`;

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

const triggerMessage = (site: Place) => ({ id, type }: Enqueued): OutboxMessage => ({ t: 'trigger', id, type, s: site.id, db: site.db });
const deliveryMessage = (site: Place) => (id: number): OutboxMessage => ({ t: 'delivery', id, s: site.id, db: site.db });

/** Sends messages to the queue, 100 at a time (sendBatch's most). Without the binding, they wait for it. */
async function sendMessages(env: Pick<Env, 'TRIGGERS'>, bodies: OutboxMessage[]) {
  if (!env.TRIGGERS) return 0;
  for (let i = 0; i < bodies.length; i += 100) await env.TRIGGERS.sendBatch(bodies.slice(i, i + 100).map((body) => ({ body, contentType: 'json' as const })));
  return bodies.length;
}

/** Sends triggers to the queue, without marking them: their fan-out does (deliver.ts). */
export const sendTriggers = (env: Pick<Env, 'TRIGGERS'>, triggers: Enqueued[], site: Place) => sendMessages(env, triggers.map(triggerMessage(site)));

/** Sends deliveries to the queue without a write: their rows say when already (the fan-out's insert). */
export const sendDeliveries = (env: Pick<Env, 'TRIGGERS'>, ids: number[], site: Place) => sendMessages(env, ids.map(deliveryMessage(site)));

/**
 * The sweep's send: the rows `ids` of `table`, 100 at a time, each part marked enqueued once the
 * queue has it. What fails stays unmarked, for the next sweep.
 */
async function sendAndMark(env: Pick<Env, 'TRIGGERS'>, db: D1Database, table: 'triggers' | 'deliveries', ids: number[], bodies: OutboxMessage[], now: number) {
  for (let i = 0; i < ids.length; i += 100) {
    await sendMessages(env, bodies.slice(i, i + 100));
    await db.prepare(`UPDATE ${table} SET enqueued_at = ?1 WHERE id IN (SELECT value FROM json_each(?2))`)
      .bind(now, JSON.stringify(ids.slice(i, i + 100)))
      .run();
  }
  return ids.length;
}

/** Enqueues after the answer, within the invocation; a failure is left to the sweep. */
export function enqueueAfter(ctx: { waitUntil(p: Promise<unknown>): void } | undefined, env: Pick<Env, 'TRIGGERS'>, triggers: Enqueued[], site: Place) {
  if (!triggers.length) return;
  const done = sendTriggers(env, triggers, site).catch((e) => console.error('triggers not enqueued (the sweep will):', e));
  if (ctx) ctx.waitUntil(done);
}

/** Claimed rows older than this and still not enqueued are the sweep's. */
export const SWEEP_AFTER_MS = 60_000;

/**
 * Deliveries sent this long ago and never attempted are sent again by the sweep: their send was
 * lost (the fan-out's retries ran out), or they wait in a queue an hour behind (then a receiver
 * drops the repeat by its webhook-id).
 */
export const DELIVERY_SWEEP_AFTER_MS = 3_600_000;

/** Rows one sweep sends at most, of each table: 5 sendBatch calls, within a run's statements. */
export const SWEEP_LIMIT = 500;

/**
 * The sweep, in every database of the Worker (tenancy.ts): triggers claimed over a minute ago and
 * not handled, then deliveries sent over an hour ago and never attempted (their send was lost).
 * Answers how many it sent.
 */
export async function sweepOutbox(env: Env, now = Date.now()) {
  if (!env.TRIGGERS) return 0;
  let sent = 0;
  for (const { name, db } of allDbs(env)) {
    const [triggers, deliveries] = await db.batch([
      db.prepare(`SELECT id, type, site_id FROM triggers WHERE enqueued_at IS NULL AND claimed_at < ?1 ORDER BY claimed_at LIMIT ${SWEEP_LIMIT}`).bind(now - SWEEP_AFTER_MS),
      db.prepare(`SELECT id, site_id FROM deliveries WHERE attempts = 0 AND status = 'pending' AND enqueued_at < ?1 ORDER BY enqueued_at LIMIT ${SWEEP_LIMIT}`).bind(now - DELIVERY_SWEEP_AFTER_MS),
    ]);
    const t = triggers.results as (Enqueued & { site_id: number })[];
    const d = deliveries.results as { id: number; site_id: number }[];
    sent += await sendAndMark(env, db, 'triggers', t.map((r) => r.id), t.map((r) => triggerMessage({ id: r.site_id, db: name })(r)), now);
    sent += await sendAndMark(env, db, 'deliveries', d.map((r) => r.id), d.map((r) => deliveryMessage({ id: r.site_id, db: name })(r.id)), now);
  }
  return sent;
}
