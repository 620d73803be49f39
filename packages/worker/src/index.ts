// The shopbeacon Worker.
import { Hono, type MiddlewareHandler } from 'hono';
import { drainUnread } from './body';
import { executionCtx } from './context';
import { HTTPException } from 'hono/http-exception';
import type { AppEnv, Env } from './env';
import { ProblemError, problemResponse } from './problem';
import { recordRejection } from './rejections';
import { forgetSiteId } from './site-cache';
import { fenced, siteDb, switchedFrom } from './tenancy';
import { runRetention } from './retention';
import { handleQueue } from './automations/deliver';
import { type CollectMessage, EVENTS_DLQ, EVENTS_QUEUE, handleCollectQueue } from './collect-queue';
import { type OutboxMessage, sweepOutbox } from './automations/outbox';
import { api } from './routes/api';
import { callbackRoutes } from './routes/callbacks';
import { collectRoutes } from './routes/collect';
import { docsRoutes } from './routes/docs';
import { sdkRoutes } from './routes/sdk';
import { dashboardRoutes } from './dashboard/app';

export function createApp() {
  const app = new Hono<AppEnv>();
  app.use(drainUnread);
  app.use(redoFenced(app));
  app.get('/', (c) =>
    c.json({ name: 'shopbeacon', api: ['/api/updateOrder', '/api/updateCustomer', '/api/orders/recent', '/api/events/recent', '/api/rejections/recent', '/api/settings', '/api/triggers/recent', '/api/triggers/:identifier', '/api/webhooks', '/api/deliveries/recent'], tracker: ['/collect', '/sdk.js'], callbacks: ['/callback/optin', '/callback/optout'], dashboard: '/dashboard', docs: '/docs' }),
  );
  app.route('/api', api);
  app.route('/', collectRoutes);
  app.route('/', callbackRoutes);
  app.route('/', sdkRoutes);
  app.route('/', docsRoutes);
  app.route('/', dashboardRoutes); // /dashboard/* and /share/*
  app.notFound((c) =>
    problemResponse({ status: 404, code: 'not_found', message: `No route ${c.req.method} ${new URL(c.req.url).pathname}.` }),
  );
  app.onError((err, c) => {
    // A write a move's fence refused: redoFenced answers the request again once the site has moved.
    if (fenced(err)) return problemResponse({ status: 503, code: 'site_moving', message: 'This site is being moved to another database; try again in a few seconds.', retryAfter: 5 });
    if (err instanceof ProblemError) {
      const site = c.get('site');
      if (site) recordRejection(executionCtx(c), siteDb(c.env, site), site.id, { method: c.req.method, route: c.req.path, problem: err.problem, sent: c.get('sent') ?? '' });
      return problemResponse(err.problem);
    }
    if (err instanceof HTTPException) return err.getResponse();
    console.error(`${c.req.method} ${c.req.path}:`, err);
    return Response.json({ ok: false, error: { code: 'internal', message: 'Internal error; it has been logged.', fields: [] } }, { status: 500 });
  });
  return app;
}

/**
 * A request whose write a move's fence refused (tenancy.ts) is answered again from the start once
 * the move has switched its site, so it reads the site's row again and writes where the data now
 * is. The refused batch wrote nothing. Its body is the one the request read (Hono keeps it); a
 * body read as a form (the dashboard's) is not rebuilt, and is answered 503 with Retry-After.
 */
function redoFenced(app: Hono<AppEnv>): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    const f = fenced(c.error);
    if (!f) return;
    const raw = c.req.raw;
    const cache = c.req.bodyCache;
    const body = raw.method === 'GET' || raw.method === 'HEAD' ? null : (cache.arrayBuffer ?? cache.text);
    if (body === undefined) return;
    try {
      await switchedFrom(c.env, f.site, f.from);
    } catch (e) {
      if (e instanceof ProblemError) c.res = problemResponse(e.problem);
      return;
    }
    forgetSiteId(f.site);
    c.res = await app.fetch(new Request(raw.url, { method: raw.method, headers: raw.headers, body: body as BodyInit | null }), c.env, executionCtx(c) as ExecutionContext);
  };
}

const app = createApp();

export default {
  fetch: app.fetch,
  // The Cron Trigger of wrangler.toml, every minute: events older than the retention go, and
  // triggers committed but never enqueued are (the outbox's sweep).
  scheduled: (_controller, env, ctx) => ctx.waitUntil(Promise.all([runRetention(env), sweepOutbox(env).catch((e) => console.error('outbox sweep:', e))])),
  // The queued /collect's two queues (collect-queue.ts); the automations' others (deliver.ts).
  queue: (batch, env) =>
    batch.queue === EVENTS_QUEUE || batch.queue === EVENTS_DLQ
      ? handleCollectQueue(batch as MessageBatch<CollectMessage>, env)
      : handleQueue(batch as MessageBatch<OutboxMessage>, env),
} satisfies ExportedHandler<Env>;
