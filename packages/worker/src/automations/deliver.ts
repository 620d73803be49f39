// The TRIGGERS queue's consumer. A trigger message fans out into one delivery per subscribed
// endpoint (each its own message, so a failing endpoint is retried alone); a delivery message
// posts the signed webhook. A non-2xx answer, a timeout (10 s) or a network error is retried
// with a growing delay, 8 attempts over about 22 hours; then the message goes to the dead-letter
// queue, whose consumer records the delivery as failed. Every message of a batch is handled at
// once, so one slow endpoint (or site) holds up no other. A cart.updated trigger also starts its
// cart's clock, and a cart message is that clock running out (carts.ts).
// An opt-in callback (callbacks.ts) is delivered the same way; only what it posts differs.
import type { Env } from '../env';
import { type CallbackKind, callbackForm, callbackWants } from './callbacks';
import { checkCart, startClock } from './carts';
import { binding, CONTROL_DB, fenced, movedRow, switchedFrom } from '../tenancy';
import { type OutboxMessage, type Place, sendDeliveries } from './outbox';
import { signedHeaders } from './signature';

/** Seconds before the next attempt, after attempt 1, 2, …, 7 (the 8th fails to the dead-letter queue). */
export const RETRY_DELAYS_S = [60, 300, 1_800, 3_600, 7_200, 21_600, 43_200];
export const DELIVERY_TIMEOUT_MS = 10_000;

export const delayAfter = (attempt: number) => RETRY_DELAYS_S[Math.min(attempt, RETRY_DELAYS_S.length) - 1];

interface TriggerRow {
  uid: string;
  type: string;
  identifier: string | null;
  at: number;
  data: string;
}

/** A trigger as the API lists it and a webhook carries it. */
export function triggerJson(t: TriggerRow) {
  return { id: t.uid, type: t.type, ...(t.identifier ? { identifier: t.identifier } : {}), at: new Date(t.at).toISOString(), ...(JSON.parse(t.data) as Record<string, unknown>) };
}

/** A delivery's webhook-id: the same on every attempt, so a receiver can drop a repeat. */
export const webhookId = (triggerUid: string, webhookId: number) => `${triggerUid}_w${webhookId}`;

/**
 * One delivery per endpoint subscribed to the trigger's type (or opt-in callback that wants it),
 * then onto the queue: this trigger's rows never attempted (the new ones; on a retry of the
 * message, also those an earlier try wrote and may have failed to send: a receiver drops a repeat
 * by its webhook-id). One batch and the send: the rows are marked sent in their insert, so no
 * write follows the send (the sweep resends what stays unattempted, outbox.ts).
 */
async function fanOut(env: Env, db: D1Database, triggerId: number, site: Place, now: number): Promise<Outcome> {
  const [, unsent, handled] = await db.batch([
    db.prepare(
      `INSERT INTO deliveries (site_id, trigger_id, webhook_id, created_at, enqueued_at)
       SELECT t.site_id, t.id, w.id, ?2, ?2 FROM triggers t JOIN webhooks w ON w.site_id = t.site_id
       WHERE t.id = ?1 AND (EXISTS (SELECT 1 FROM json_each(w.events) e WHERE e.value IN ('*', t.type)) OR ${callbackWants('w', 't')})
       ON CONFLICT (trigger_id, webhook_id) DO NOTHING`,
    ).bind(triggerId, now),
    db.prepare(`SELECT id FROM deliveries WHERE trigger_id = ? AND attempts = 0 AND status = 'pending'`).bind(triggerId),
    // Handled: the sweep leaves it be (outbox.ts).
    db.prepare('UPDATE triggers SET enqueued_at = coalesce(enqueued_at, ?2) WHERE id = ?1').bind(triggerId, now),
  ]);
  if (!handled.meta.changes) return 'missing';
  await sendDeliveries(env, (unsent.results as { id: number }[]).map((r) => r.id), site);
  return 'done';
}

type DeliveryRow = TriggerRow & { status: string; webhook_id: number; kind: 'webhook' | CallbackKind; url: string; secret: string };

/** What a delivery posts: the signed Standard Webhook, or an opt-in callback's form. */
async function request(row: DeliveryRow, now: number): Promise<{ headers: Record<string, string>; body: string }> {
  if (row.kind !== 'webhook')
    return { headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'shopbeacon-callbacks/1' }, body: callbackForm(row.kind, row, row.secret) };
  const body = JSON.stringify({ type: row.type, timestamp: new Date(row.at).toISOString(), data: triggerJson(row) });
  const headers = await signedHeaders(row.secret, webhookId(row.uid, row.webhook_id), Math.floor(now / 1000), body);
  return { headers: { ...headers, 'content-type': 'application/json', 'user-agent': 'shopbeacon-webhooks/1' }, body };
}

/** Posts one delivery: done (delivered, or nothing left to deliver), retry, or missing (no such row here). */
export async function deliver(db: D1Database, deliveryId: number, now = Date.now()): Promise<Outcome> {
  const row = await db.prepare(
    `SELECT d.status, w.id AS webhook_id, w.kind, w.url, w.secret, t.uid, t.type, t.identifier, t.at, t.data
     FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id JOIN triggers t ON t.id = d.trigger_id WHERE d.id = ?`,
  )
    .bind(deliveryId)
    .first<DeliveryRow>();
  if (!row) return 'missing'; // the endpoint was removed (or the site moved: handleQueue looks)
  if (row.status === 'delivered') return 'done'; // a repeat
  const { headers, body } = await request(row, now);
  let status: number | null = null;
  let error: string | null = null;
  try {
    const res = await fetch(row.url, {
      method: 'POST',
      headers,
      body,
      redirect: 'manual', // never followed: a public host must not bounce a delivery elsewhere
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
    });
    status = res.status;
    await res.body?.cancel();
    if (status < 200 || status > 299) error = status >= 300 && status < 400 ? 'redirect not followed' : `HTTP ${status}`;
  } catch (e) {
    error = e instanceof Error && e.name === 'TimeoutError' ? `no answer within ${DELIVERY_TIMEOUT_MS / 1000} s` : `could not connect: ${String(e instanceof Error ? e.message : e).slice(0, 200)}`;
  }
  await db
    .prepare(
      `UPDATE deliveries SET attempts = attempts + 1, last_status = ?1, last_error = ?2, last_at = ?3,
         status = CASE WHEN ?2 IS NULL THEN 'delivered' ELSE 'pending' END WHERE id = ?4`,
    )
    .bind(status, error, now, deliveryId)
    .run();
  return error === null ? 'done' : 'retry';
}

/** The dead-letter queue's consumer: the delivery failed for good. */
async function markFailed(db: D1Database, deliveryId: number, now: number): Promise<Outcome> {
  const r = await db
    .prepare(`UPDATE deliveries SET status = CASE WHEN status = 'delivered' THEN status ELSE 'failed' END, last_at = coalesce(last_at, ?1) WHERE id = ?2`)
    .bind(now, deliveryId)
    .run();
  return r.meta.changes ? 'done' : 'missing';
}

/** What handling a message came to; missing: its row is not in the database the message names. */
export type Outcome = 'done' | 'retry' | 'missing';

/**
 * Handles a message on its row: in the database it names, or, when its site moved since it was
 * sent (the row is not there, or the old database's fence refused the write), on the row the
 * move made of it in the site's new database (tenancy.ts).
 */
async function onRow(env: Env, site: number | undefined, from: string, tbl: string, id: number, use: (db: D1Database, id: number, place: Place) => Promise<Outcome>): Promise<Outcome> {
  let refused = false;
  try {
    const out = await use(binding(env, from), id, { id: site ?? 0, db: from });
    if (out !== 'missing' || site === undefined) return out;
  } catch (e) {
    if (!fenced(e) || site === undefined) throw e;
    refused = true;
    await switchedFrom(env, site, from);
  }
  const moved = await movedRow(env, site, from, tbl, id);
  if (moved) return use(moved.db, moved.id, { id: site, db: moved.name });
  return refused ? 'retry' : 'missing';
}

export async function handleQueue(batch: MessageBatch<OutboxMessage>, env: Env) {
  const now = Date.now();
  // WEBHOOKS_RETRY_SECONDS (the end-to-end tests) retries at once instead of after minutes.
  const fixed = Number(env.WEBHOOKS_RETRY_SECONDS);
  const retryDelay = (attempt: number) => (Number.isInteger(fixed) && fixed >= 0 ? fixed : delayAfter(attempt));
  const dead = batch.queue.endsWith('-dlq');
  await Promise.all(
    batch.messages.map(async (m) => {
      try {
        const body = m.body;
        const from = body.db ?? CONTROL_DB;
        let out: Outcome = 'done';
        if (body.t === 'cart') out = await onRow(env, body.site, from, 'triggers', body.id, async (db, id, place) => ((await checkCart(env, db, { ...body, id, db: place.db }, now)) === 'missing' ? 'missing' : 'done'));
        else if (dead) {
          if (body.t === 'delivery') out = await onRow(env, body.s, from, 'deliveries', body.id, (db, id) => markFailed(db, id, now));
        } else if (body.t === 'trigger')
          out = await onRow(env, body.s, from, 'triggers', body.id, async (db, id, place) => {
            const fanned = await fanOut(env, db, id, place, now);
            if (fanned === 'done' && body.type === 'cart.updated') await startClock(env, db, id, place, now);
            return fanned;
          });
        else out = await onRow(env, body.s, from, 'deliveries', body.id, (db, id) => deliver(db, id, now));
        if (out === 'retry') return m.retry({ delaySeconds: retryDelay(m.attempts) });
        m.ack();
      } catch (e) {
        console.error(`queue ${batch.queue}: message ${JSON.stringify(m.body)} failed:`, e);
        m.retry({ delaySeconds: retryDelay(m.attempts) });
      }
    }),
  );
}
