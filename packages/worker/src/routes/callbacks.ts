// Inbound opt-in / opt-out callbacks: POST /callback/optin and POST /callback/optout, form or
// JSON, from the shop platform (or ESP) the merchant gave these URLs and the site's
// callback_secret. No Basic auth: such senders post a form with a security parameter. In order:
// the body, the site of its public key (refusals from then on are logged for it, in the public
// channel: anyone holding the public key can send these), the rate limits (before the secret, so
// a weak one cannot be tried at speed), the secret (in constant time), the fields, the write.
import { isPlainObject } from '@shopbeacon/protocol';
import { Hono } from 'hono';
import { siteByPublicKey } from '../auth';
import { applyCallback, type CallbackStatus, checkCallback, checkCallbackSecret } from '../automations/callback-inbound';
import { enqueueAfter } from '../automations/outbox';
import { siteDb } from '../tenancy';
import { limitBody, readBody } from '../body';
import { executionCtx } from '../context';
import type { AppEnv } from '../env';
import { enforceRateLimits } from '../middleware/rate-limit';
import { ProblemError } from '../problem';

export const callbackRoutes = new Hono<AppEnv>();

callbackRoutes.post('/callback/:status{optin|optout}', limitBody(), async (c) => {
  const body = await readBody(c);
  const key = isPlainObject(body) ? body.key : undefined;
  const site = await siteByPublicKey(c.env.DB, typeof key === 'string' ? key : '');
  if (!site)
    throw new ProblemError({
      status: 401,
      code: 'unknown_public_key',
      message: 'No site has this public key: send the site’s public key (pk_…) as key.',
      fields: [{ field: 'key', reason: 'is not the public key of a site' }],
    });
  c.set('site', site);
  c.set('db', siteDb(c.env, site));
  await enforceRateLimits(c, '/callback');
  await checkCallbackSecret(site, body);
  const input = checkCallback(body, c.req.param('status') as CallbackStatus);
  const { triggers, ...result } = await applyCallback(c.var.db, site, input);
  enqueueAfter(executionCtx(c), c.env, triggers, site);
  return c.json({ ok: true, status: input.status, channel: input.channel, ...result });
});
