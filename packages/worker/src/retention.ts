// How long tracker events, triggers and deliveries are kept. A Cron Trigger every minute
// (wrangler.toml) deletes the events received more than EVENTS_RETENTION_DAYS ago (395 by
// default: 13 months, as long as the sbt cookie lives), the triggers and their deliveries older
// than TRIGGERS_RETENTION_DAYS (30, as long as Stripe keeps its events), and the carts no clock
// can still be running for. Without it these tables only grow, and D1's Free plan stops at 500 MB.
// Profiles, orders and the rejected-requests log are not touched.
//
// One run shares D1's 50 queries per invocation (Free plan) with the outbox's sweep:
//   events: 1 read + 29 DELETEs of 70,000 rows      30
//   triggers and deliveries: 1 read + 2 × 2 DELETEs  5
//   carts: 1 DELETE                                  1
//   the sweep (outbox.ts): 2 reads + 10 updates      12   → 48 of 50.
// Events must keep up with what the Worker takes in: 29 × 70,000 = 2,030,000 a run, 1,440 runs a
// day: 2.9 billion a day, 33,800 events a second, more than one D1 database can take in through
// /collect (its writes are serialized; SQLite deletes such ranges at about 1.3 million rows a
// second, so a full run holds the database about 1.6 s). A run with nothing to delete costs one
// indexed read per table.
import { allDbs } from './tenancy';
import type { Env } from './env';

import { MAX_ABANDONED_CART_MINUTES } from './settings';

export const DEFAULT_RETENTION_DAYS = 395;
export const DEFAULT_TRIGGERS_RETENTION_DAYS = 30;
const DAY_MS = 86_400_000;
/** A cart is kept a week past its last update: far past the longest clock (a day), queue delays included. */
export const CART_KEEP_MS = 7 * DAY_MS + MAX_ABANDONED_CART_MINUTES * 60_000;

/**
 * A retention setting as a whole number of days (1 to 3650), the default when unset, or null
 * when it is set to anything else: a mistyped setting must not delete what it did not mean to.
 */
export function daysOf(v: string | undefined, fallback: number): number | null {
  if (v === undefined || v === '') return fallback;
  const days = Number(v);
  return Number.isInteger(days) && days >= 1 && days <= 3650 ? days : null;
}

/** EVENTS_RETENTION_DAYS (see daysOf). */
export const retentionDays = (env: Pick<Env, 'EVENTS_RETENTION_DAYS'>) => daysOf(env.EVENTS_RETENTION_DAYS, DEFAULT_RETENTION_DAYS);

export interface PruneLimits {
  /** Rows one DELETE removes. */
  rows: number;
  /** Statements one run may use: D1 counts them against its queries per invocation (50 on the Free plan). */
  statements: number;
}

export const PRUNE_LIMITS: PruneLimits = { rows: 70_000, statements: 30 };
/** Triggers and deliveries: 1 read and 2 rounds of 2 DELETEs (deliveries, then their triggers). */
export const TRIGGER_PRUNE_LIMITS: PruneLimits = { rows: 50_000, statements: 5 };
export const CART_PRUNE_ROWS = 50_000;

/**
 * Deletes the events received before now − days, oldest first, in DELETEs of `rows` rows, within
 * `statements` statements; what is left goes on the next run. Row ids follow the order events
 * were received (only /collect writes them, received_at being its clock), so the first event
 * still to keep bounds the ones to delete, and each DELETE is a range of the primary key: no
 * index on received_at is needed, and the scan for the bound reads only rows about to go.
 * Answers how many were deleted, and whether older ones remain.
 */
export async function pruneEvents(db: D1Database, now: number, days: number, limits = PRUNE_LIMITS) {
  const cutoff = now - days * DAY_MS;
  const kept = await db.prepare('SELECT id FROM events WHERE received_at >= ? ORDER BY id LIMIT 1').bind(cutoff).first<{ id: number }>();
  const bound = kept?.id ?? Number.MAX_SAFE_INTEGER; // none to keep: all of them go
  let deleted = 0;
  for (let used = 1; used < limits.statements; used++) {
    const { meta } = await db
      .prepare('DELETE FROM events WHERE id IN (SELECT id FROM events WHERE id < ? ORDER BY id LIMIT ?)')
      .bind(bound, limits.rows)
      .run();
    deleted += meta.changes;
    if (meta.changes < limits.rows) return { deleted, more: false, cutoff };
  }
  return { deleted, more: true, cutoff };
}

/**
 * Deletes triggers older than now − days with their deliveries, oldest first: the same primary
 * key ranges as events (trigger ids follow their times), each round the deliveries of a range of
 * triggers (by their UNIQUE (trigger_id, webhook_id) index), then those triggers.
 */
export async function pruneTriggers(db: D1Database, now: number, days: number, limits = TRIGGER_PRUNE_LIMITS) {
  const cutoff = now - days * DAY_MS;
  const kept = await db.prepare('SELECT id FROM triggers WHERE at >= ? ORDER BY id LIMIT 1').bind(cutoff).first<{ id: number }>();
  const bound = kept?.id ?? Number.MAX_SAFE_INTEGER;
  const range = 'SELECT id FROM triggers WHERE id < ?1 ORDER BY id LIMIT ?2';
  let deleted = 0;
  for (let used = 1; used + 2 <= limits.statements; used += 2) {
    const [, triggers] = await db.batch([
      db.prepare(`DELETE FROM deliveries WHERE trigger_id IN (${range})`).bind(bound, limits.rows),
      db.prepare(`DELETE FROM triggers WHERE id IN (${range})`).bind(bound, limits.rows),
    ]);
    deleted += triggers.meta.changes;
    if (triggers.meta.changes < limits.rows) return { deleted, more: false, cutoff };
  }
  return { deleted, more: true, cutoff };
}

/** Deletes carts updated before now − CART_KEEP_MS (no clock can be running for them). */
export async function pruneCarts(db: D1Database, now: number, rows = CART_PRUNE_ROWS) {
  const { meta } = await db
    .prepare('DELETE FROM carts WHERE (site_id, sbt) IN (SELECT site_id, sbt FROM carts WHERE at < ? LIMIT ?)')
    .bind(now - CART_KEEP_MS, rows)
    .run();
  return meta.changes;
}

/** The Cron Trigger's work. A mistyped setting deletes nothing of its table, and logs why. */
export async function runRetention(env: Env, now = Date.now()) {
  const days = retentionDays(env);
  const triggerDays = daysOf(env.TRIGGERS_RETENTION_DAYS, DEFAULT_TRIGGERS_RETENTION_DAYS);
  const mistyped = (name: string, v: string | undefined, what: string) =>
    console.error(`retention: ${name} is "${v}", not a whole number of days from 1 to 3650: no ${what} deleted`);
  if (triggerDays === null) mistyped('TRIGGERS_RETENTION_DAYS', env.TRIGGERS_RETENTION_DAYS, 'triggers');
  else {
    for (const { name, db } of allDbs(env)) {
      const t = await pruneTriggers(db, now, triggerDays);
      const carts = await pruneCarts(db, now);
      if (t.deleted || carts) console.log(`retention (${name}): ${t.deleted} triggers (with their deliveries) and ${carts} carts deleted${t.more ? '; more remain' : ''}`);
    }
  }
  if (days === null) {
    mistyped('EVENTS_RETENTION_DAYS', env.EVENTS_RETENTION_DAYS, 'events');
    return null;
  }
  // Every database of the Worker (tenancy.ts), each within its own run of statements.
  let result: Awaited<ReturnType<typeof pruneEvents>> | null = null;
  for (const { name, db } of allDbs(env)) {
    const r = await pruneEvents(db, now, days);
    console.log(
      `retention (${name}): ${r.deleted} events received before ${new Date(r.cutoff).toISOString()} deleted${r.more ? '; more remain for the next run' : ''}`,
    );
    result = result ? { ...r, deleted: result.deleted + r.deleted, more: result.more || r.more } : r;
  }
  return result!;
}
