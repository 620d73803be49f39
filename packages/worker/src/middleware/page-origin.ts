// The page a /collect request comes from, and CORS on every answer to it (errors included: a
// page whose batch is refused, even a 413, must be able to read why and drop it, not retry it).
import type { MiddlewareHandler } from 'hono';
import type { AppEnv, PageOrigin } from '../env';

/**
 * The page's origin and host: the Origin header, or the Referer's for GET pixels (which send no
 * Origin). Null when neither names an http(s) origin ("null" from a sandboxed iframe,
 * about:blank, a no-referrer pixel, garbage).
 */
export function readPageOrigin(origin: string | undefined, referer: string | undefined): PageOrigin | null {
  for (const header of [origin, referer]) {
    try {
      const url = new URL(header ?? '');
      if (url.protocol === 'https:' || url.protocol === 'http:') return { origin: url.origin, host: url.hostname };
    } catch {}
    if (header) return null; // an Origin that is not one: do not fall back to the Referer
  }
  return null;
}

export const corsHeaders = (origin: string | null): Record<string, string> =>
  origin ? { 'Access-Control-Allow-Origin': origin, 'Access-Control-Allow-Credentials': 'true', Vary: 'Origin' } : {};

export const pageOrigin = (): MiddlewareHandler<AppEnv> => async (c, next) => {
  const page = readPageOrigin(c.req.header('origin'), c.req.header('referer'));
  c.set('page', page);
  await next();
  for (const [name, value] of Object.entries(corsHeaders(page?.origin ?? null))) c.header(name, value, { append: name === 'Vary' });
};
