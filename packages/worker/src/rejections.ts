// The rejected-requests log: every refusal the Worker can tie to a site is kept (the last 200
// per site), with its reasons and an excerpt of what was sent. No peer tells a merchant why an
// order did not arrive; this does.
import type { FieldError } from '@shopbeacon/protocol';
import { sha256Hex } from './keys';
import type { Problem } from './problem';

export const REJECTIONS_KEPT = 200;
const EXCERPT_CHARS = 2000;

/**
 * Where a refusal came from: a request the site's private key opened ('server'), or one sent with
 * the public key only ('public': the browser's /collect, a wrong private key), which anyone can
 * send. Each keeps its own last 200, so a flood of the second never pushes out the first.
 */
export type Channel = 'server' | 'public';

export interface Rejection {
  method: string;
  route: string;
  /** A refusal, or (status 204) something dropped from an accepted request, like a retried event. */
  problem: Omit<Problem, 'status'> & { status: number };
  /** What was sent: the body, or the query string of a GET. */
  sent: string;
  /** Default: 'public' for /collect and /callback/*, 'server' for the rest. */
  channel?: Channel;
}

const channelOf = (r: Rejection): Channel => r.channel ?? (r.route === '/collect' || r.route.startsWith('/callback/') ? 'public' : 'server');

/**
 * What was sent, cut to 2,000 characters, with keys, secrets and visitor cookies replaced:
 * private and public keys wherever they appear, customer_cookie, sbt, secret and callback_secret
 * values in forms, queries and JSON.
 */
export function redact(sent: string): string {
  // Redacted before it is cut, so no key is cut into a visible prefix.
  return sent
    .replace(/(sk|pk)_[A-Za-z0-9_-]{16,}/g, '$1_[redacted]') // no \b: "%20sk_…" in a form has none
    .replace(/((?:customer_cookie|sbt|secret)(?:%5D|\])?=)[^&]*/gi, '$1[redacted]')
    // A value of any type: a secret sent as a number is still the secret.
    .replace(/("(?:customer_cookie|sbt|secret|callback_secret)"\s*:\s*)(?:"(?:[^"\\]|\\.)*"|[^\s,}\]]+)/g, '$1"[redacted]"')
    .slice(0, EXCERPT_CHARS);
}

/** What makes two refusals the same: route, status, code and every field's reason. */
const fingerprint = (r: Rejection) => sha256Hex(JSON.stringify([r.method, r.route, r.problem.status, r.problem.code, r.problem.fields ?? []]));

/**
 * The insert (or, for a refusal seen before, its count and last time) and its channel's cap, for
 * one db.batch. `count` is how many times it was refused since it was last written.
 */
export async function rejectionStatements(db: D1Database, siteId: number, r: Rejection, now = Date.now(), count = 1, print?: string) {
  const channel = channelOf(r);
  return [
    db
      .prepare(
        `INSERT INTO rejections (site_id, at, first_at, method, route, status, code, message, fields, excerpt, fingerprint, channel, count)
         VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
         ON CONFLICT (site_id, fingerprint) DO UPDATE SET
           at = excluded.at, count = count + excluded.count, message = excluded.message, excerpt = excluded.excerpt`,
      )
      .bind(siteId, now, r.method, r.route, r.problem.status, r.problem.code, r.problem.message, JSON.stringify(r.problem.fields ?? []), redact(r.sent), print ?? (await fingerprint(r)), channel, count),
    db
      .prepare(
        `DELETE FROM rejections WHERE site_id = ?1 AND channel = ?2 AND id IN (
           SELECT id FROM rejections WHERE site_id = ?1 AND channel = ?2 ORDER BY at DESC, id DESC LIMIT -1 OFFSET ${REJECTIONS_KEPT})`,
      )
      .bind(siteId, channel),
  ];
}

/**
 * The same refusal repeated (a replayed request, a backend with an old key, a flood over the
 * rate limit) is written at most once per window and isolate: the repeats are counted here and
 * added by one write when the window ends, so they cost no D1 write each.
 */
export const coalescing = { windowMs: 10_000 };
const repeats = new Map<string, { until: number; pending: number; last: Rejection; flushing: boolean }>();

async function write(db: D1Database, siteId: number, r: Rejection, now: number, count: number, print: string) {
  await db.batch(await rejectionStatements(db, siteId, r, now, count, print));
}

/**
 * Records a rejection without holding up the answer (after it, within the same invocation). A
 * repeat within the window is counted; the first repeat's invocation writes the count when the
 * window ends (workerd lets no request wait on another's promise, so only that one waits).
 */
export function recordRejection(ctx: { waitUntil(p: Promise<unknown>): void } | undefined, db: D1Database, siteId: number, r: Rejection, now = Date.now()) {
  const done = (async () => {
    const print = await fingerprint(r);
    const key = `${siteId} ${print}`;
    const seen = repeats.get(key);
    if (seen && now < seen.until) {
      seen.pending++;
      seen.last = r;
      if (seen.flushing) return;
      seen.flushing = true;
      await new Promise((resolve) => setTimeout(resolve, seen.until - now));
      const count = seen.pending;
      repeats.set(key, { until: Date.now() + coalescing.windowMs, pending: 0, last: seen.last, flushing: false });
      return write(db, siteId, seen.last, Date.now(), count, print);
    }
    if (repeats.size >= 10_000) repeats.clear(); // bounded: a flood of distinct refusals
    repeats.set(key, { until: now + coalescing.windowMs, pending: 0, last: r, flushing: false });
    return write(db, siteId, r, now, 1, print);
  })().catch((e) => console.error('could not record a rejection:', e));
  if (ctx) ctx.waitUntil(done);
}

// Served by rejections_site_channel_recent (site_id, channel, at [, rowid]): no sort step.
export const RECENT_REJECTIONS_SQL = `
  SELECT at, first_at, count, method, route, status, code, message, fields, excerpt, channel FROM rejections
  WHERE site_id = ? AND channel = ? ORDER BY at DESC, id DESC LIMIT ${REJECTIONS_KEPT}`;

type RejectionRow = { at: number; first_at: number | null; count: number; method: string; route: string; status: number; code: string; message: string; fields: string; excerpt: string; channel: Channel };

/** The last 200 of each channel (or of one), newest first. */
export async function recentRejections(db: D1Database, siteId: number, only?: Channel) {
  const channels: Channel[] = only ? [only] : ['server', 'public'];
  const lists = await db.batch<RejectionRow>(channels.map((ch) => db.prepare(RECENT_REJECTIONS_SQL).bind(siteId, ch)));
  // Two lists each in order, merged: the index serves each, no sort of the whole in SQL.
  const rows = lists.flatMap((l) => l.results).sort((a, b) => b.at - a.at);
  return rows.map((r) => ({
    ...r,
    at: new Date(r.at).toISOString(),
    first_at: new Date(r.first_at ?? r.at).toISOString(),
    fields: JSON.parse(r.fields) as FieldError[],
  }));
}
