// The rejected-requests log: every refusal the Worker can tie to a site is kept (the last 200
// per site), with its reasons and an excerpt of what was sent. No peer tells a merchant why an
// order did not arrive; this does.
import type { FieldError } from '@shopbeacon/protocol';
import type { Problem } from './problem';

export const REJECTIONS_KEPT = 200;
const EXCERPT_CHARS = 2000;

export interface Rejection {
  method: string;
  route: string;
  /** A refusal, or (status 204) something dropped from an accepted request, like a retried event. */
  problem: Omit<Problem, 'status'> & { status: number };
  /** What was sent: the body, or the query string of a GET. */
  sent: string;
}

/**
 * What was sent, cut to 2,000 characters, with keys and visitor cookies replaced: private and
 * public keys wherever they appear, customer_cookie and sbt values in forms, queries and JSON.
 */
export function redact(sent: string): string {
  // Redacted before it is cut, so no key is cut into a visible prefix.
  return sent
    .replace(/(sk|pk)_[A-Za-z0-9_-]{16,}/g, '$1_[redacted]') // no \b: "%20sk_…" in a form has none
    .replace(/((?:customer_cookie|sbt)(?:%5D|\])?=)[^&]*/gi, '$1[redacted]')
    .replace(/("(?:customer_cookie|sbt)"\s*:\s*)"(?:[^"\\]|\\.)*"/g, '$1"[redacted]"')
    .slice(0, EXCERPT_CHARS);
}

/** The insert and the cap, for one db.batch. */
export function rejectionStatements(db: D1Database, siteId: number, r: Rejection, now = Date.now()) {
  return [
    db
      .prepare('INSERT INTO rejections (site_id, at, method, route, status, code, message, fields, excerpt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .bind(siteId, now, r.method, r.route, r.problem.status, r.problem.code, r.problem.message, JSON.stringify(r.problem.fields ?? []), redact(r.sent)),
    db
      .prepare(
        `DELETE FROM rejections WHERE site_id = ?1 AND id <= (
           SELECT id FROM rejections WHERE site_id = ?1 ORDER BY id DESC LIMIT 1 OFFSET ${REJECTIONS_KEPT})`,
      )
      .bind(siteId),
  ];
}

/** Records a rejection without holding up the answer (after it, within the same invocation). */
export function recordRejection(ctx: { waitUntil(p: Promise<unknown>): void } | undefined, db: D1Database, siteId: number, r: Rejection) {
  const write = db.batch(rejectionStatements(db, siteId, r)).catch((e) => console.error('could not record a rejection:', e));
  if (ctx) ctx.waitUntil(write);
}

export const RECENT_REJECTIONS_SQL = `
  SELECT at, method, route, status, code, message, fields, excerpt FROM rejections
  WHERE site_id = ? ORDER BY id DESC LIMIT ${REJECTIONS_KEPT}`;

export async function recentRejections(db: D1Database, siteId: number) {
  const { results } = await db
    .prepare(RECENT_REJECTIONS_SQL)
    .bind(siteId)
    .all<{ at: number; method: string; route: string; status: number; code: string; message: string; fields: string; excerpt: string }>();
  return results.map((r) => ({ ...r, at: new Date(r.at).toISOString(), fields: JSON.parse(r.fields) as FieldError[] }));
}
