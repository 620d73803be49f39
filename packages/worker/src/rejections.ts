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

/** What makes two refusals the same: route, status, code and every field's reason. */
async function fingerprint(r: Rejection): Promise<string> {
  const key = JSON.stringify([r.method, r.route, r.problem.status, r.problem.code, r.problem.fields ?? []]);
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(key));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** The insert (or, for a refusal seen before, its count and last time) and the cap, for one db.batch. */
export async function rejectionStatements(db: D1Database, siteId: number, r: Rejection, now = Date.now()) {
  return [
    db
      .prepare(
        `INSERT INTO rejections (site_id, at, first_at, method, route, status, code, message, fields, excerpt, fingerprint)
         VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (site_id, fingerprint) DO UPDATE SET
           at = excluded.at, count = count + 1, message = excluded.message, excerpt = excluded.excerpt`,
      )
      .bind(siteId, now, r.method, r.route, r.problem.status, r.problem.code, r.problem.message, JSON.stringify(r.problem.fields ?? []), redact(r.sent), await fingerprint(r)),
    db
      .prepare(
        `DELETE FROM rejections WHERE site_id = ?1 AND id IN (
           SELECT id FROM rejections WHERE site_id = ?1 ORDER BY at DESC, id DESC LIMIT -1 OFFSET ${REJECTIONS_KEPT})`,
      )
      .bind(siteId),
  ];
}

/** Records a rejection without holding up the answer (after it, within the same invocation). */
export function recordRejection(ctx: { waitUntil(p: Promise<unknown>): void } | undefined, db: D1Database, siteId: number, r: Rejection) {
  const write = rejectionStatements(db, siteId, r)
    .then((stmts) => db.batch(stmts))
    .catch((e) => console.error('could not record a rejection:', e));
  if (ctx) ctx.waitUntil(write);
}

// Served by rejections_site_recent (site_id, at [, rowid]): no sort step.
export const RECENT_REJECTIONS_SQL = `
  SELECT at, first_at, count, method, route, status, code, message, fields, excerpt FROM rejections
  WHERE site_id = ? ORDER BY at DESC, id DESC LIMIT ${REJECTIONS_KEPT}`;

export async function recentRejections(db: D1Database, siteId: number) {
  const { results } = await db
    .prepare(RECENT_REJECTIONS_SQL)
    .bind(siteId)
    .all<{ at: number; first_at: number | null; count: number; method: string; route: string; status: number; code: string; message: string; fields: string; excerpt: string }>();
  return results.map((r) => ({
    ...r,
    at: new Date(r.at).toISOString(),
    first_at: new Date(r.first_at ?? r.at).toISOString(),
    fields: JSON.parse(r.fields) as FieldError[],
  }));
}
