// One-time values carried from a form's POST to the page it redirects to (POST-redirect-GET:
// reloading that page asks for it again and never re-posts the form, so it cannot make a second
// one). The value travels in a flash cookie: signed, HttpOnly, SameSite=Strict, for that page's
// path only, and for 60 seconds at most; the page reads it once and clears it. What the value
// may show is for each caller to check (share-flash.ts, webhook-flash.ts).
import type { Context } from 'hono';
import { deleteCookie, getSignedCookie, setSignedCookie } from 'hono/cookie';
import { cookieAttributes } from './cookies';
import type { DashEnv } from './env';
import { sessionSecret } from './secret';

const MAX_AGE_S = 60;

export interface Flash {
  cookie: string;
  path: string;
}

export async function setFlash(c: Context<DashEnv>, flash: Flash, value: string) {
  await setSignedCookie(c, flash.cookie, value, await sessionSecret(c.env), { ...cookieAttributes(c, flash.path), maxAge: MAX_AGE_S });
}

/** The request's flash value, cleared as it is read; null when there is none or its signature is bad. */
export async function takeFlash(c: Context<DashEnv>, flash: Flash): Promise<string | null> {
  const value = await getSignedCookie(c, await sessionSecret(c.env), flash.cookie);
  if (value === undefined) return null;
  deleteCookie(c, flash.cookie, cookieAttributes(c, flash.path));
  return value || null; // false: a bad signature
}
