// The public paths' rate limits (/collect, and the inbound callbacks): per site and client IP,
// and per site (Cloudflare's Rate Limiting binding: counters kept at each Cloudflare location, in
// wrangler.toml; local in wrangler dev). The public key is on every shop page: without these,
// anyone could fill a site's database, or try callback secrets by the thousand.
// Over a limit: 429 with Retry-After, logged once per window (rejections.ts coalesces repeats).
import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env';
import { ProblemError } from '../problem';

/** The periods set in wrangler.toml for each binding (the binding does not say). */
export const PERIODS = { COLLECT_PER_IP: 60, COLLECT_PER_SITE: 10 } as const;

/**
 * Throws a 429 when the request of c.var.site is over a limit. Another `route` than /collect
 * counts apart (its own keys in the same bindings), so neither can use up the other's budget.
 */
export async function enforceRateLimits(c: Context<AppEnv>, route: string) {
  const site = c.get('site');
  const ip = c.req.header('cf-connecting-ip') ?? 'unknown';
  const scope = route === '/collect' ? '' : `${route} `;
  const checks = [
    ['COLLECT_PER_IP', `${scope}${site.id} ${ip}`, 'this visitor address'],
    ['COLLECT_PER_SITE', `${scope}${site.id}`, 'this site'],
  ] as const;
  for (const [binding, key, who] of checks) {
    const limiter = c.env[binding];
    if (limiter && !(await limiter.limit({ key })).success)
      throw new ProblemError({
        status: 429,
        code: 'rate_limited',
        message: `Too many requests from ${who} to ${route}: try again in ${PERIODS[binding]} s.`,
        fields: [{ field: binding === 'COLLECT_PER_IP' ? 'client' : 'key', reason: `over the rate limit of ${who}` }],
        retryAfter: PERIODS[binding],
      });
  }
}

export const rateLimit = (): MiddlewareHandler<AppEnv> => async (c, next) => {
  await enforceRateLimits(c, '/collect');
  await next();
};
