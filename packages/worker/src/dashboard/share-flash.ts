// The new share link, carried from the form's POST to the page it redirects to (POST-redirect-
// GET: reloading that page asks for it again, and never re-posts the form, so it cannot create
// a second link). The link is shown once and only its hash is stored, so the token itself
// travels in a flash cookie: signed, HttpOnly, SameSite=Strict, for /dashboard/share only, and
// for 60 seconds at most. The page reads it once and clears it, and shows it only while it opens
// a link of the session's own site.
import type { Context } from 'hono';
import { deleteCookie, getSignedCookie, setSignedCookie } from 'hono/cookie';
import { cookieAttributes } from './cookies';
import type { DashEnv } from './env';
import { sessionSecret } from './secret';
import { shareAccess } from './share';

export const SHARE_FLASH_COOKIE = 'sb_share_created';
const PATH = '/dashboard/share';
const MAX_AGE_S = 60;

export async function flashCreatedLink(c: Context<DashEnv>, token: string) {
  await setSignedCookie(c, SHARE_FLASH_COOKIE, token, await sessionSecret(c.env), { ...cookieAttributes(c, PATH), maxAge: MAX_AGE_S });
}

/** The link the request's flash cookie carries, cleared as it is read; null when none (or not one of this site's that still opens). */
export async function takeCreatedLink(c: Context<DashEnv>, siteId: number): Promise<{ token: string; expiresAt: number } | null> {
  const token = await getSignedCookie(c, await sessionSecret(c.env), SHARE_FLASH_COOKIE);
  if (token === undefined) return null;
  deleteCookie(c, SHARE_FLASH_COOKIE, cookieAttributes(c, PATH));
  if (!token) return null; // a bad signature
  const access = await shareAccess(c.env, token);
  return access.status === 'open' && access.siteId === siteId ? { token, expiresAt: access.expiresAt } : null;
}
