// A database per large merchant. The control database (binding DB) holds every site's row with
// its keys, the dashboard's sessions and share links; a site's data lives in the D1 database its
// row names (sites.db, a binding of this Worker: DB unless the site was placed elsewhere with
// `npm run site -- create --db DB_BIG` or moved with `npm run site -- move`). siteDb is the one
// place that picks it: every query of a site's data goes through what it returns.
//
// While `npm run site -- move` switches a site over, the old database refuses that site's writes
// (triggers the move makes, which RAISE the fence's message: fenceMessage below). A write refused
// so is not lost: a request is answered again from the start once the switch is made (the
// `redoFenced` middleware), since a refused batch wrote nothing (a D1 batch is one transaction);
// a queue message is tried again, on the row the move made of its row (automations/deliver.ts,
// collect-queue.ts).
import type { Env } from './env';
import { ProblemError } from './problem';

/** The binding of the control database, and of the data of every site not placed elsewhere. */
export const CONTROL_DB = 'DB';

/**
 * The name of a D1 binding of sites' data: DB, or DB_ and a name (DB_BIG, DB_EU_1, …). Only such
 * names are looked at: other bindings (a service's, a queue's) answer any method name.
 */
export const DB_BINDING = /^DB(?:_[A-Z0-9_]{1,60})?$/;

/** What a fenced write's error says (scripts/move.ts writes it into the fence triggers). */
export const fenceMessage = (siteId: number, from: string) => `shopbeacon: site ${siteId} is moving from ${from}`;
const FENCED = /shopbeacon: site (\d+) is moving from (DB(?:_[A-Z0-9_]+)?)/;

/** The site and the database of a write a move's fence refused; null for any other error. */
export function fenced(e: unknown): { site: number; from: string } | null {
  const m = e instanceof Error ? FENCED.exec(e.message) : null;
  return m && { site: Number(m[1]), from: m[2] };
}

/** How long a write refused by a move's fence waits for the switch before answering 503. */
export const FENCE_WAIT_MS = 20_000;
const FENCE_POLL_MS = 100;

const isD1 = (v: unknown): v is D1Database =>
  typeof v === 'object' && v !== null && typeof (v as D1Database).prepare === 'function' && typeof (v as D1Database).batch === 'function';

/** Every D1 binding of this Worker, the control database first: the crons run over each. */
export function allDbs(env: Env): { name: string; db: D1Database }[] {
  const names = Object.keys(env).filter((k) => DB_BINDING.test(k) && isD1((env as unknown as Record<string, unknown>)[k]));
  return [CONTROL_DB, ...names.filter((n) => n !== CONTROL_DB).sort()].map((name) => ({ name, db: binding(env, name) }));
}

/** The D1 database of a binding name; a site placed on a binding this Worker lacks is a 503. */
export function binding(env: Env, name: string): D1Database {
  const db = DB_BINDING.test(name) ? (env as unknown as Record<string, unknown>)[name] : undefined;
  if (isD1(db)) return db;
  throw new ProblemError({
    status: 503,
    code: 'database_unbound',
    message: `This site's data is on the D1 binding ${name}, which this Worker does not have: add it to wrangler.toml and deploy.`,
    retryAfter: 60,
  });
}

/** The database of a site's data: every query of it goes here. */
export const siteDb = (env: Env, site: { db: string }): D1Database => binding(env, site.db);

/** Where the site's data is now, read from the control database (not from a cache); null: no such site. */
export async function currentDb(env: Env, siteId: number): Promise<string | null> {
  const row = await env.DB.prepare('SELECT db FROM sites WHERE id = ?1').bind(siteId).first<{ db: string }>();
  return row?.db ?? null;
}

/** Waits until the site has left `from` (the move's switch); answers where it went. 503 after FENCE_WAIT_MS. */
export async function switchedFrom(env: Env, siteId: number, from: string): Promise<string> {
  const deadline = Date.now() + FENCE_WAIT_MS;
  for (;;) {
    const now = await currentDb(env, siteId);
    if (now === null) throw new ProblemError({ status: 404, code: 'not_found', message: 'No such site: it was deleted.' });
    if (now !== from) return now;
    if (Date.now() > deadline)
      throw new ProblemError({
        status: 503,
        code: 'site_moving',
        message: 'This site is being moved to another database; try again in a few seconds.',
        retryAfter: 5,
      });
    await new Promise((r) => setTimeout(r, FENCE_POLL_MS));
  }
}

/**
 * Where a queue message's row is now, when its site has moved since the message was sent: the
 * site's new database and the id the move gave the row there (move_ids). null: not moved, or the
 * row was not copied (it was deleted before the move copied it).
 */
export async function movedRow(env: Env, siteId: number, from: string, tbl: string, id: number): Promise<{ db: D1Database; name: string; id: number } | null> {
  const name = await currentDb(env, siteId);
  if (name === null || name === from) return null;
  const db = binding(env, name);
  const row = await db.prepare('SELECT new FROM move_ids WHERE site_id = ?1 AND tbl = ?2 AND old = ?3').bind(siteId, tbl, id).first<{ new: number }>();
  return row && { db, name, id: row.new };
}
