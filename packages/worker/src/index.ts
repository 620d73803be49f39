// The shopbeacon Worker.
import { Hono } from 'hono';
import { drainUnread } from './body';
import { executionCtx } from './context';
import { HTTPException } from 'hono/http-exception';
import type { AppEnv, Env } from './env';
import { ProblemError, problemResponse } from './problem';
import { recordRejection } from './rejections';
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
    if (err instanceof ProblemError) {
      const site = c.get('site');
      if (site) recordRejection(executionCtx(c), c.env.DB, site.id, { method: c.req.method, route: c.req.path, problem: err.problem, sent: c.get('sent') ?? '' });
      return problemResponse(err.problem);
    }
    if (err instanceof HTTPException) return err.getResponse();
    console.error(`${c.req.method} ${c.req.path}:`, err);
    return Response.json({ ok: false, error: { code: 'internal', message: 'Internal error; it has been logged.', fields: [] } }, { status: 500 });
  });
  return app;
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
