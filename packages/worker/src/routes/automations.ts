// Automations on the server API (Basic auth, mounted under /api): the triggers, the manual
// trigger, webhook endpoints and their deliveries.
import { Hono } from 'hono';
import { recentDeliveries, sendAgain } from '../automations/deliveries';
import { enqueueAfter } from '../automations/outbox';
import { localAllowed } from '../automations/targets';
import { checkManual, fireManual, recentTriggers } from '../automations/triggers';
import { checkWebhook, createWebhook, deleteWebhook, listWebhooks, rotateWebhookSecret } from '../automations/webhooks';
import { limitBody, readBody } from '../body';
import { executionCtx } from '../context';
import type { AppEnv } from '../env';

export const automationRoutes = new Hono<AppEnv>();

automationRoutes.get('/triggers/recent', async (c) => c.json({ triggers: await recentTriggers(c.var.db, c.get('site').id) }));

automationRoutes.post('/triggers/:identifier', limitBody(), async (c) => {
  const manual = checkManual(c.req.param('identifier'), await readBody(c));
  const { trigger, enqueue } = await fireManual(c.var.db, c.get('site').id, manual);
  enqueueAfter(executionCtx(c), c.env, enqueue, c.var.site);
  return c.json({ ok: true, trigger }, 201);
});

automationRoutes.get('/webhooks', async (c) => c.json({ webhooks: await listWebhooks(c.var.db, c.get('site').id) }));

automationRoutes.post('/webhooks', limitBody(), async (c) => {
  const input = checkWebhook(await readBody(c), localAllowed(c.env));
  return c.json(await createWebhook(c.var.db, c.get('site').id, input), 201);
});

automationRoutes.delete('/webhooks/:id', async (c) => {
  await deleteWebhook(c.var.db, c.get('site').id, c.req.param('id'));
  return c.body(null, 204);
});

automationRoutes.post('/webhooks/:id/rotate', async (c) => c.json(await rotateWebhookSecret(c.var.db, c.get('site').id, c.req.param('id'))));

automationRoutes.get('/deliveries/recent', async (c) => c.json({ deliveries: await recentDeliveries(c.var.db, c.get('site').id) }));

automationRoutes.post('/deliveries/:id/retry', async (c) => {
  await sendAgain(c.env, c.get('site'), c.req.param('id'));
  return c.json({ ok: true }, 202);
});
