// /collect: where the browser SDK sends events, with the site's public key only. Each step is a
// middleware of its own: the page it comes from (and CORS on every answer), the body limit, the
// events as checked, the site of the key, its allowed origins, the rate limits, the refresh of
// the sbt cookie; then the handler writes. A refusal thrown on the way is answered (and logged
// for the site, once it is known) by app.onError.
import { Hono, type MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import { siteByPublicKey } from '../auth';
import { enqueueAfter } from '../automations/outbox';
import { siteDb } from '../tenancy';
import { limitBody, parseForm } from '../body';
import { checkBatch, checkQuery, refusal, taken, usageDay, writeTaken, type Written } from '../collect';
import { collectMessage } from '../collect-queue';
import type { AppEnv } from '../env';
import { executionCtx } from '../context';
import { hashKey } from '../keys';
import { allowedOrigin } from '../middleware/allowed-origin';
import { pageOrigin } from '../middleware/page-origin';
import { rateLimit } from '../middleware/rate-limit';
import { sbtRefresh } from '../middleware/sbt-refresh';
import { ProblemError, problemBody } from '../problem';
import { recordRejection, type Rejection } from '../rejections';

export const collectRoutes = new Hono<AppEnv>();

// 1×1 transparent GIF: what a GET-mode pixel answers.
const GIF = Uint8Array.from(atob('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7'), (ch) => ch.charCodeAt(0));

const refuse = (status: 400 | 401 | 403, code: string, message: string, field: string, reason: string) =>
  new ProblemError({ status, code, message, fields: [{ field, reason }] });

/** The body of a POST, checked: c.var.collect. */
const readBatch: MiddlewareHandler<AppEnv> = async (c, next) => {
  const text = new TextDecoder().decode(await c.req.arrayBuffer());
  c.set('sent', text);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw refuse(400, 'invalid_body', 'The body is not valid JSON.', 'body', 'is not valid JSON');
  }
  c.set('collect', checkBatch(body, c.req.query('key')));
  await next();
};

/** The query of a GET pixel, checked: c.var.collect. */
const readQuery: MiddlewareHandler<AppEnv> = async (c, next) => {
  const query = new URL(c.req.url).search.slice(1);
  c.set('sent', query);
  c.set('collect', checkQuery(parseForm(query)));
  await next();
};

const PRIVATE_KEY_IN_BROWSER =
  'This is a private key: it must never leave your server, and it has been seen in a browser request. Rotate it now (the dashboard\'s settings, or npm run site -- rotate --public-key …) and put the public key (pk_…) in the snippet.';

/** The site of the public key: c.var.site. A private key is refused, and its site told to rotate it. */
const collectSite: MiddlewareHandler<AppEnv> = async (c, next) => {
  const input = c.get('collect');
  const sent = [input.key, c.req.query('key')].filter((k): k is string => typeof k === 'string');
  const secret = sent.find((k) => k.startsWith('sk_'));
  if (secret) {
    const problem = refuse(400, 'private_key_in_browser', PRIVATE_KEY_IN_BROWSER, 'key', 'is a private key').problem;
    const owner = await c.env.DB.prepare('SELECT id, db FROM sites WHERE private_key_hash = ?').bind(await hashKey(secret)).first<{ id: number; db: string }>();
    if (owner) recordRejection(executionCtx(c), siteDb(c.env, owner), owner.id, { method: c.req.method, route: c.req.path, problem, sent: c.get('sent') });
    throw new ProblemError(problem);
  }
  const site = await siteByPublicKey(c.env.DB, typeof input.key === 'string' ? input.key : '');
  if (!site) throw refuse(401, 'unknown_public_key', 'No site has this public key: copy it from your tracker settings.', 'key', 'is not the public key of a site');
  c.set('site', site);
  c.set('db', siteDb(c.env, site));
  await next();
};

const secondsToUtcMidnight = (now: number) => Math.ceil((Date.parse(`${usageDay(now)}T00:00:00Z`) + 86_400_000 - now) / 1000);

/**
 * Puts the events taken on the EVENTS queue, when bound: true once it has them. A failed send (no
 * queue, or over its 128 KB a message) is false: the request writes them itself.
 */
async function enqueue(c: Parameters<MiddlewareHandler<AppEnv>>[0], now: number) {
  const queue = c.env.EVENTS;
  const message = queue && collectMessage(c.get('site').id, taken(c.get('collect'), now), c.req.method, c.get('sent'));
  if (!message) return false;
  try {
    await queue.send(message, { contentType: 'json' });
    return true;
  } catch (e) {
    console.error('/collect: not enqueued, written now:', e);
    return false;
  }
}

/**
 * Checks the events against the site and writes those taken (or, with the EVENTS queue, puts them
 * on it: collect-queue.ts writes them); answers 204 (POST) or the GIF (GET), or names the refused
 * events.
 */
const write = (answer: (c: Parameters<MiddlewareHandler<AppEnv>>[0]) => Response): MiddlewareHandler<AppEnv> => async (c) => {
  const site = c.get('site');
  const input = c.get('collect');
  const now = Date.now();
  const log = (problem: Rejection['problem']) =>
    recordRejection(executionCtx(c), c.var.db, site.id, { method: c.req.method, route: c.req.path, problem, sent: c.get('sent') });
  const refused = refusal(site, input);
  let result: Written = { duplicates: [], serverOrders: [], overQuota: false };
  if (!(await enqueue(c, now))) {
    const { written, triggers } = await writeTaken(c.var.db, site, [taken(input, now)], now);
    enqueueAfter(executionCtx(c), c.env, triggers, site);
    result = written[0];
  }
  const { duplicates, serverOrders, overQuota } = result;
  if (overQuota)
    throw new ProblemError({
      status: 429,
      code: 'daily_quota_reached',
      message: `This site's daily event quota (${site.settings.daily_event_quota} events, the daily_event_quota setting) is used up until midnight UTC.`,
      fields: [{ field: 'key', reason: 'daily event quota used up' }],
      retryAfter: secondsToUtcMidnight(now),
    });
  c.set('visitors', new Set(input.events.filter((ev) => !ev.errors).map((ev) => ev.sbt)));
  if (duplicates.length) log({ status: 204, code: 'duplicate_dropped', message: `${duplicates.length} event(s) already received were dropped (a retry).`, fields: duplicates });
  if (serverOrders.length)
    log({ status: 204, code: 'server_order_kept', message: "The browser sent orders the shop's server had sent: they were kept as the server sent them.", fields: serverOrders });
  if (refused) {
    log(refused);
    return c.json(problemBody(refused), refused.status);
  }
  return answer(c);
};

const steps = [collectSite, allowedOrigin(), rateLimit(), sbtRefresh()];

// A preflight happens only for non-simple requests (JSON from fetch); beacons are text/plain.
collectRoutes.options('/collect', cors({ origin: (o) => o || '*', allowMethods: ['GET', 'POST'], maxAge: 86400, credentials: true }));
collectRoutes.use('/collect', pageOrigin());
collectRoutes.post('/collect', limitBody(), readBatch, ...steps, write((c) => c.body(null, 204)));
collectRoutes.get('/collect', readQuery, ...steps, write((c) => c.body(GIF, 200, { 'Content-Type': 'image/gif', 'Cache-Control': 'no-store' })));
