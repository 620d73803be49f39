// /collect's rate limits: per site and client IP, and per site (Cloudflare's Rate Limiting
// binding: counters kept at each Cloudflare location, in wrangler.toml; local in wrangler dev).
// The public key is on every shop page: without these, anyone could fill a site's database.
// Over a limit: 429 with Retry-After, logged once per window (rejections.ts coalesces repeats).
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env';
import { ProblemError } from '../problem';

/** The periods set in wrangler.toml for each binding (the binding does not say). */
export const PERIODS = { COLLECT_PER_IP: 60, COLLECT_PER_SITE: 10 } as const;

export const rateLimit = (): MiddlewareHandler<AppEnv> => async (c, next) => {
  const site = c.get('site');
  const ip = c.req.header('cf-connecting-ip') ?? 'unknown';
  const checks = [
    ['COLLECT_PER_IP', `${site.id} ${ip}`, 'this visitor address'],
    ['COLLECT_PER_SITE', String(site.id), 'this site'],
  ] as const;
  for (const [binding, key, who] of checks) {
    const limiter = c.env[binding];
    if (limiter && !(await limiter.limit({ key })).success)
      throw new ProblemError({
        status: 429,
        code: 'rate_limited',
        message: `Too many requests from ${who} to /collect: try again in ${PERIODS[binding]} s.`,
        fields: [{ field: binding === 'COLLECT_PER_IP' ? 'client' : 'key', reason: `over the rate limit of ${who}` }],
        retryAfter: PERIODS[binding],
      });
  }
  await next();
};
