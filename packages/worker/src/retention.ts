// How long tracker events are kept. A Cron Trigger every minute (wrangler.toml) deletes the
// events received more than EVENTS_RETENTION_DAYS ago: 395 by default, 13 months, as long as the
// sbt cookie lives. Without it the events table only grows, and D1's Free plan stops at 500 MB.
// Profiles, orders and the rejected-requests log are not touched.
//
// It must keep up with what the Worker takes in: a run deletes up to 39 × 50,000 = 1,950,000
// events (within D1's 50 queries per invocation on the Free plan), 1,440 runs a day: 2.8 billion
// a day, 32,500 events a second, more than one D1 database can take in through /collect (its
// writes are serialized; SQLite deletes such ranges at about 1.3 million rows a second, so a
// full run holds the database about 1.5 s). A run with nothing to delete costs one indexed read.
import type { Env } from './env';

export const DEFAULT_RETENTION_DAYS = 395;
const DAY_MS = 86_400_000;

/**
 * EVENTS_RETENTION_DAYS as a whole number of days (1 to 3650), the default when unset, or null
 * when it is set to anything else: a mistyped setting must not delete what it did not mean to.
 */
export function retentionDays(env: Pick<Env, 'EVENTS_RETENTION_DAYS'>): number | null {
  const v = env.EVENTS_RETENTION_DAYS;
  if (v === undefined || v === '') return DEFAULT_RETENTION_DAYS;
  const days = Number(v);
  return Number.isInteger(days) && days >= 1 && days <= 3650 ? days : null;
}

export interface PruneLimits {
  /** Rows one DELETE removes. */
  rows: number;
  /** Statements one run may use: D1 counts them against its queries per invocation (50 on the Free plan). */
  statements: number;
}

export const PRUNE_LIMITS: PruneLimits = { rows: 50_000, statements: 40 };

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

/** The Cron Trigger's work. */
export async function runRetention(env: Env, now = Date.now()) {
  const days = retentionDays(env);
  if (days === null) {
    console.error(`retention: EVENTS_RETENTION_DAYS is "${env.EVENTS_RETENTION_DAYS}", not a whole number of days from 1 to 3650: nothing deleted`);
    return null;
  }
  const result = await pruneEvents(env.DB, now, days);
  console.log(
    `retention: ${result.deleted} events received before ${new Date(result.cutoff).toISOString()} deleted${result.more ? '; more remain for the next run' : ''}`,
  );
  return result;
}
