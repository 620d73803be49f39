// A site's allowed_origins: when it names any, /collect takes events only from a page it names.
// A request that names no page at all (Origin "null" from a sandboxed iframe, a pixel under a
// no-referrer policy, a script that sends neither header) is refused too: anyone can send one.
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env';
import { ProblemError } from '../problem';

export const allowedOrigin = (): MiddlewareHandler<AppEnv> => async (c, next) => {
  const allowed = c.get('site').settings.allowed_origins;
  const page = c.get('page');
  if (allowed.length && !page)
    throw new ProblemError({
      status: 403,
      code: 'origin_not_allowed',
      message:
        'The request names no page (no Origin or Referer header: a no-referrer policy, a sandboxed iframe, or not a browser), and this site takes events only from its allowed_origins.',
      fields: [{ field: 'origin', reason: `is missing; must be one of: ${allowed.join(', ')}` }],
    });
  if (allowed.length && !allowed.includes(page!.origin))
    throw new ProblemError({
      status: 403,
      code: 'origin_not_allowed',
      message: `${page!.origin} is not in this site's allowed_origins.`,
      fields: [{ field: 'origin', reason: `must be one of: ${allowed.join(', ')}` }],
    });
  await next();
};
