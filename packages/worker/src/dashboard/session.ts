// Dashboard sessions: a random id in a signed, HttpOnly, SameSite=Strict cookie (Secure on
// https) that lives 8 hours, and a row holding its hash, the site and the site's key_rotated_at.
// The row makes "Log out", a new login in the same browser and key rotation end a session on
// the server, not only in the browser that holds the cookie.
import type { Context } from 'hono';
import { deleteCookie, getSignedCookie, setSignedCookie } from 'hono/cookie';
import { cookieAttributes } from './cookies';
import type { DashEnv } from './env';
import { hashKey } from '../keys';
import { hmac, randomToken, sessionSecret } from './secret';

export const SESSION_COOKIE = 'sb_session';
export const SESSION_MS = 8 * 3600_000;
const COOKIE_PATH = '/dashboard';

export interface Session {
  /** Hash of the session id: the row's key. */
  idHash: string;
  siteId: number;
  siteName: string;
  publicKey: string;
  /** The D1 binding of the site's data (tenancy.ts: read it through siteDb). */
  db: string;
  /** The per-session token every form that changes something must carry. */
  csrf: string;
}

/** The CSRF token of a session: derived from its id, so nothing more is stored. */
export const csrfToken = (secret: string, sessionId: string) => hmac(secret, `csrf ${sessionId}`);

/**
 * Opens a session for the site, sets its cookie, and returns the session's CSRF token. A browser
 * has one session: the one its cookie named until now ends on the server too, not only by the
 * cookie being overwritten (a copy of that cookie would still open it).
 */
export async function openSession(c: Context<DashEnv>, siteId: number, now = Date.now()): Promise<string> {
  const db = c.env.DB;
  const secret = await sessionSecret(c.env);
  const previous = await getSignedCookie(c, secret, SESSION_COOKIE);
  const id = randomToken();
  await db.batch([
    db.prepare('DELETE FROM dashboard_sessions WHERE expires_at <= ?').bind(now),
    ...(previous ? [db.prepare('DELETE FROM dashboard_sessions WHERE id_hash = ?').bind(await hashKey(previous))] : []),
    db
      .prepare('INSERT INTO dashboard_sessions (id_hash, site_id, key_rotated_at, expires_at) SELECT ?1, id, key_rotated_at, ?3 FROM sites WHERE id = ?2')
      .bind(await hashKey(id), siteId, now + SESSION_MS),
  ]);
  await setSignedCookie(c, SESSION_COOKIE, id, secret, { ...cookieAttributes(c, COOKIE_PATH), maxAge: SESSION_MS / 1000 });
  return csrfToken(secret, id);
}

/** The request's session, or null: no cookie, a bad signature, expired, logged out or the key rotated since. */
export async function currentSession(c: Context<DashEnv>, now = Date.now()): Promise<Session | null> {
  const secret = await sessionSecret(c.env);
  const id = await getSignedCookie(c, secret, SESSION_COOKIE);
  if (!id) return null;
  const idHash = await hashKey(id);
  const row = await c.env.DB.prepare(
    `SELECT s.id, s.name, s.public_key, s.db FROM dashboard_sessions d
     JOIN sites s ON s.id = d.site_id AND s.key_rotated_at = d.key_rotated_at
     WHERE d.id_hash = ?1 AND d.expires_at > ?2`,
  )
    .bind(idHash, now)
    .first<{ id: number; name: string; public_key: string; db: string }>();
  if (!row) return null;
  return { idHash, siteId: row.id, siteName: row.name, publicKey: row.public_key, db: row.db, csrf: await csrfToken(secret, id) };
}

/** Ends a session: its row and its cookie. */
export async function closeSession(c: Context<DashEnv>, session: Session | null) {
  if (session) await c.env.DB.prepare('DELETE FROM dashboard_sessions WHERE id_hash = ?').bind(session.idHash).run();
  deleteCookie(c, SESSION_COOKIE, cookieAttributes(c, COOKIE_PATH));
}
