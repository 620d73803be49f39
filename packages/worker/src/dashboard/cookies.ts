import type { Context } from 'hono';

/** The attributes of the dashboard's cookies: one path, HttpOnly, SameSite=Strict, Secure on https (not over `wrangler dev`'s http). */
export const cookieAttributes = (c: Context, path: string) => ({
  path,
  httpOnly: true,
  sameSite: 'Strict' as const,
  secure: new URL(c.req.url).protocol === 'https:',
});
