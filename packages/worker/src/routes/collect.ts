// /collect: where the browser SDK sends events, with the site's public key only.
import { LIMITS } from '@shopbeacon/protocol';
import { Hono, type Context } from 'hono';
import { cors } from 'hono/cors';
import { getCookie, setCookie } from 'hono/cookie';
import { siteByPublicKey } from '../auth';
import { limitBody, parseForm } from '../body';
import { checkBatch, checkQuery, collect, type CollectInput, cookieDomain } from '../collect';
import type { AppEnv } from '../env';
import { executionCtx } from '../context';
import { type Problem, ProblemError, problemBody, problemResponse } from '../problem';
import { recordRejection, type Rejection } from '../rejections';

export const collectRoutes = new Hono<AppEnv>();

// 1×1 transparent GIF: what a GET-mode pixel answers.
const GIF = Uint8Array.from(atob('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7'), (ch) => ch.charCodeAt(0));

/**
 * The page's origin and host: the Origin header, or the Referer's for GET pixels (which send no
 * Origin). Null when neither names an http(s) origin ("null", about:blank, garbage).
 */
function pageOrigin(c: Context): { origin: string; host: string } | null {
  for (const header of [c.req.header('origin'), c.req.header('referer')]) {
    try {
      const url = new URL(header ?? '');
      if (url.protocol === 'https:' || url.protocol === 'http:') return { origin: url.origin, host: url.hostname };
    } catch {}
    if (header) return null; // an Origin that is not one: do not fall back to the Referer
  }
  return null;
}

const corsHeaders = (origin: string | null): Record<string, string> =>
  origin ? { 'Access-Control-Allow-Origin': origin, 'Access-Control-Allow-Credentials': 'true', Vary: 'Origin' } : {};

function allowCors(c: Context, origin: string | null) {
  for (const [name, value] of Object.entries(corsHeaders(origin))) c.header(name, value, { append: name === 'Vary' });
}

const refuse = (status: 400 | 401 | 403, code: string, message: string, field: string, reason: string) =>
  new ProblemError({ status, code, message, fields: [{ field, reason }] });

async function handle(c: Context<AppEnv>, read: () => Promise<CollectInput>, answer: () => Response) {
  const page = pageOrigin(c);
  const origin = page?.origin ?? null;
  let siteId: number | undefined;
  const log = (problem: Rejection['problem']) =>
    siteId !== undefined &&
    recordRejection(executionCtx(c), c.env.DB, siteId, { method: c.req.method, route: c.req.path, problem, sent: c.req.method === 'GET' ? new URL(c.req.url).search.slice(1) : (c.get('sent') ?? '') });
  try {
    const input = await read();
    const key = typeof input.key === 'string' ? input.key : '';
    if (key.startsWith('sk_'))
      throw refuse(400, 'private_key_in_browser', 'This is a private key: it must never leave your server. Rotate it now (npm run site -- rotate --public-key …) and put the public key (pk_…) in the snippet.', 'key', 'is a private key');
    const site = await siteByPublicKey(c.env.DB, key);
    if (!site) throw refuse(401, 'unknown_public_key', 'No site has this public key: copy it from your tracker settings.', 'key', 'is not the public key of a site');
    siteId = site.id;
    const allowed = site.settings.allowed_origins;
    if (allowed.length && origin && !allowed.includes(origin))
      throw refuse(403, 'origin_not_allowed', `${origin} is not in this site's allowed_origins.`, 'origin', `must be one of: ${allowed.join(', ')}`);
    const { refused, duplicates, serverOrders } = await collect(c.env.DB, site, input);
    allowCors(c, origin);
    if (duplicates.length) log({ status: 204, code: 'duplicate_dropped', message: `${duplicates.length} event(s) already received were dropped (a retry).`, fields: duplicates });
    if (serverOrders.length)
      log({ status: 204, code: 'server_order_kept', message: 'The browser sent orders the shop\'s server had sent: they were kept as the server sent them.', fields: serverOrders });
    // Safari caps cookies written by script at 7 days; one set by the shop's own site (same-site,
    // and since Safari 16.4 from the shop's own IP addresses) lives on. So the sbt the page sent
    // as a cookie is set again: refreshed, never created (the page writes it only with the
    // visitor's consent), once per visit (sbv, a session cookie), and only when an event of this
    // visitor was taken.
    const sbt = getCookie(c, 'sbt');
    const self = new URL(c.req.url);
    const domain =
      page && sbt && !getCookie(c, 'sbv') && input.events.some((ev) => !ev.errors && ev.sbt === sbt) ? cookieDomain(page.host, self.hostname) : null;
    if (domain !== null) {
      const attributes = { path: '/', sameSite: 'Lax', secure: self.protocol === 'https:', ...(domain ? { domain } : {}) } as const;
      setCookie(c, 'sbt', sbt!, { ...attributes, maxAge: LIMITS.sbtDays * 24 * 3600 });
      setCookie(c, 'sbv', '1', attributes);
    }
    if (refused) {
      log(refused);
      return c.json(problemBody(refused), refused.status); // with the CORS headers and the cookie set above
    }
    return answer();
  } catch (e) {
    if (!(e instanceof ProblemError)) throw e;
    log(e.problem);
    // Errors about the request itself are readable by the page that sent it.
    return problemResponse(e.problem, corsHeaders(origin));
  }
}

// A preflight happens only for non-simple requests (JSON from fetch); beacons are text/plain.
collectRoutes.options('/collect', cors({ origin: (o) => o || '*', allowMethods: ['GET', 'POST'], maxAge: 86400, credentials: true }));

collectRoutes.post('/collect', limitBody(), (c) =>
  handle(
    c,
    async () => {
      const text = new TextDecoder().decode(await c.req.arrayBuffer());
      c.set('sent', text);
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw refuse(400, 'invalid_body', 'The body is not valid JSON.', 'body', 'is not valid JSON');
      }
      return checkBatch(body, c.req.query('key'));
    },
    () => c.body(null, 204),
  ),
);

collectRoutes.get('/collect', (c) =>
  handle(
    c,
    async () => checkQuery(parseForm(new URL(c.req.url).search.slice(1))),
    () => c.body(GIF, 200, { 'Content-Type': 'image/gif', 'Cache-Control': 'no-store' }),
  ),
);
