// The new share link, carried from the form's POST to the page it redirects to in a flash cookie
// (flash.ts). The link is shown once and only its hash is stored, so the token itself travels in
// the cookie, for /dashboard/share only. The page shows it only while it opens a link of the
// session's own site.
import type { Context } from 'hono';
import type { DashEnv } from './env';
import { type Flash, setFlash, takeFlash } from './flash';
import { shareAccess } from './share';

export const SHARE_FLASH_COOKIE = 'sb_share_created';
const FLASH: Flash = { cookie: SHARE_FLASH_COOKIE, path: '/dashboard/share' };

export const flashCreatedLink = (c: Context<DashEnv>, token: string) => setFlash(c, FLASH, token);

/** The link the request's flash cookie carries, cleared as it is read; null when none (or not one of this site's that still opens). */
export async function takeCreatedLink(c: Context<DashEnv>, siteId: number): Promise<{ token: string; expiresAt: number } | null> {
  const token = await takeFlash(c, FLASH);
  if (!token) return null;
  const access = await shareAccess(c.env, token);
  return access.status === 'open' && access.siteId === siteId ? { token, expiresAt: access.expiresAt } : null;
}
