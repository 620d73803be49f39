// Share links (seed 000, "Envoyez les informations d'intégration"): a read-only page with the
// docs links, the public key, the code examples and the verify views, for the developer working
// on the shop. The token is 256 random bits signed with the deployment's secret (HMAC-SHA-256),
// shown once: a forged or altered link is refused before any database read. Only the token's
// SHA-256 is stored, with an expiry and a revocation time, so a link can be ended at any moment.
import { timingSafeEqual } from 'hono/utils/buffer';
import type { Env } from '../env';
import { hashKey } from '../keys';
import { hmac, randomToken, sessionSecret } from './secret';

export const SHARE_DAYS_DEFAULT = 7;
export const SHARE_DAYS_MAX = 30;
const DAY_MS = 86_400_000;
export const SHARE_TOKEN = /^([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{43})$/;

const signature = async (env: Env, nonce: string) => hmac(await sessionSecret(env), `share:${nonce}`);

export interface ShareLink {
  id: number;
  label: string;
  created_at: number;
  expires_at: number;
}

/** Days from a form value: 1 to 30, 7 when absent or not a whole number. */
export function shareDays(v: unknown): number {
  const n = Number(v);
  return Number.isInteger(n) ? Math.min(Math.max(n, 1), SHARE_DAYS_MAX) : SHARE_DAYS_DEFAULT;
}

/** A new link to the site, its token shown this once; null when the site is gone. */
export async function createShareLink(env: Env, siteId: number, label: string, days: number, now = Date.now()) {
  const db = env.DB;
  const nonce = randomToken();
  const token = `${nonce}.${await signature(env, nonce)}`;
  const expiresAt = now + shareDays(days) * DAY_MS;
  // INSERT … SELECT: a site deleted meanwhile inserts nothing (rather than failing its foreign key).
  const row = await db
    .prepare('INSERT INTO share_links (site_id, token_hash, label, created_at, expires_at) SELECT id, ?2, ?3, ?4, ?5 FROM sites WHERE id = ?1 RETURNING id')
    .bind(siteId, await hashKey(token), label.trim().slice(0, 100) || 'Integration', now, expiresAt)
    .first<{ id: number }>();
  return row && { id: row.id, token, expiresAt };
}

/** The site's links that still open: not revoked, not expired. */
export async function activeShareLinks(db: D1Database, siteId: number, now = Date.now()): Promise<ShareLink[]> {
  const { results } = await db
    .prepare('SELECT id, label, created_at, expires_at FROM share_links WHERE site_id = ? AND revoked_at IS NULL AND expires_at > ? ORDER BY id DESC')
    .bind(siteId, now)
    .all<ShareLink>();
  return results;
}

/** Revokes one of the site's links; false when it has no such link. */
export async function revokeShareLink(db: D1Database, siteId: number, id: number, now = Date.now()) {
  const r = await db.prepare('UPDATE share_links SET revoked_at = ? WHERE id = ? AND site_id = ? AND revoked_at IS NULL').bind(now, id, siteId).run();
  return r.meta.changes > 0;
}

/**
 * Revokes every link of the site (a key rotation does, unless the merchant keeps them), as a
 * statement for the rotation's batch; its rows say which of them still opened until now.
 */
export const revokeAllShareLinks = (db: D1Database, siteId: number, now = Date.now()) =>
  db.prepare('UPDATE share_links SET revoked_at = ?1 WHERE site_id = ?2 AND revoked_at IS NULL RETURNING expires_at > ?1 AS was_open').bind(now, siteId);

export type ShareAccess =
  | { status: 'open'; siteId: number; siteName: string; publicKey: string; db: string; expiresAt: number }
  | { status: 'gone' } // revoked or expired: 410
  | { status: 'unknown' }; // never existed: 404

/** What a /share/<token> request may see. */
export async function shareAccess(env: Env, token: string, now = Date.now()): Promise<ShareAccess> {
  const parts = SHARE_TOKEN.exec(token);
  if (!parts || !(await timingSafeEqual(parts[2], await signature(env, parts[1])))) return { status: 'unknown' };
  const row = await env.DB
    .prepare(
      `SELECT l.expires_at, l.revoked_at, s.id, s.name, s.public_key, s.db FROM share_links l JOIN sites s ON s.id = l.site_id
       WHERE l.token_hash = ?`,
    )
    .bind(await hashKey(token))
    .first<{ expires_at: number; revoked_at: number | null; id: number; name: string; public_key: string; db: string }>();
  if (!row) return { status: 'unknown' };
  if (row.revoked_at !== null || row.expires_at <= now) return { status: 'gone' };
  return { status: 'open', siteId: row.id, siteName: row.name, publicKey: row.public_key, db: row.db, expiresAt: row.expires_at };
}
