// The server API (/api/*), called by shop backends with their site keys. Thin: parse, check,
// call the function that does the work, map its result to HTTP.
import { type Context, Hono } from 'hono';
import { checkUpdate, type UpdateInput } from '@shopbeacon/protocol';
import { enqueueAfter } from '../automations/outbox';
import { automationRoutes } from './automations';
import { requireSiteKeys } from '../auth';
import { executionCtx } from '../context';
import { limitBody, readBody } from '../body';
import type { AppEnv } from '../env';
import { updateCustomer, updateOrder } from '../ingest';
import { checkImportBatch, finishImport, IMPORT_BODY_BYTES, type ImportKind, importBatch, recentImports } from '../import';
import { recentEvents } from '../events';
import { recentOrdersJson } from '../orders';
import { recentRejections } from '../rejections';
import { invalidFields } from '../problem';
import { storeOf, updateSettings } from '../settings';

export const api = new Hono<AppEnv>();

api.use('*', requireSiteKeys());
api.route('/', automationRoutes);

api.post('/updateOrder', limitBody(), async (c) => {
  const { values, errors } = checkUpdate(await readBody(c), 'order');
  if (errors.length) throw invalidFields(errors);
  const { triggers, ...result } = await updateOrder(c.var.db, c.get('site'), values as Required<UpdateInput>, 'api');
  enqueueAfter(executionCtx(c), c.env, triggers, c.var.site);
  return c.json({ ok: true, ...result });
});

api.post('/updateCustomer', limitBody(), async (c) => {
  const { values, errors } = checkUpdate(await readBody(c), 'customer');
  if (errors.length) throw invalidFields(errors);
  const { triggers, ...result } = await updateCustomer(c.var.db, c.get('site'), values.profile, 'api');
  enqueueAfter(executionCtx(c), c.env, triggers, c.var.site);
  return c.json({ ok: true, ...result });
});

/** ?store=fr: one of the site's stores, or a 400 naming it. */
function storeQuery(c: Context<AppEnv>): string | undefined {
  const store = c.req.query('store');
  if (store === undefined) return undefined;
  const settings = c.get('site').settings;
  if (!storeOf(settings, store))
    throw invalidFields([{ field: 'store', reason: settings.stores.length ? `is not a store of this site (its stores: ${settings.stores.map((s) => s.id).join(', ')})` : 'this site declares no stores' }]);
  return store;
}

// Historical imports (import.ts), written by `npm run import`: JSON, up to 1,000 rows a request.
api.post('/import/:kind{customers|orders}', limitBody(IMPORT_BODY_BYTES), async (c) => {
  const kind = c.req.param('kind') as ImportKind;
  const { batch, errors } = checkImportBatch(await readBody(c));
  if (errors.length) throw invalidFields(errors);
  const site = c.get('site');
  if (batch.done) {
    if (batch.rows.length) throw invalidFields([{ field: 'rows', reason: 'must be empty in the last request (done: true)' }]);
    await finishImport(c.var.db, site.id, batch, kind);
    return c.json({ ok: true, import: batch.import, done: true, taken: 0, kept: 0, rejected: [] });
  }
  const { triggers, ...result } = await importBatch(c.var.db, site, kind, batch);
  enqueueAfter(executionCtx(c), c.env, triggers, c.var.site);
  return c.json({ ok: true, import: batch.import, batch: batch.batch, ...result });
});

api.get('/imports', async (c) => c.json({ imports: await recentImports(c.var.db, c.get('site').id) }));

api.get('/orders/recent', async (c) => {
  const site = c.get('site');
  // Passed through as SQLite wrote it: no parse and re-encode of 200 orders.
  return c.body(`{"orders":${await recentOrdersJson(c.var.db, site.id, site.settings, storeQuery(c))}}`, 200, { 'Content-Type': 'application/json' });
});

api.get('/events/recent', async (c) => c.json({ events: await recentEvents(c.var.db, c.get('site').id, storeQuery(c)) }));

api.get('/rejections/recent', async (c) => {
  const channel = c.req.query('channel');
  if (channel !== undefined && channel !== 'server' && channel !== 'public')
    throw invalidFields([{ field: 'channel', reason: 'must be server (requests your private key opened) or public (sent with the public key only)' }]);
  return c.json({ rejections: await recentRejections(c.var.db, c.get('site').id, channel) });
});

api.get('/settings', (c) => c.json({ settings: c.get('site').settings }));

api.put('/settings', limitBody(), async (c) =>
  c.json({ settings: await updateSettings(c.env, c.get('site'), await readBody(c), c.env.WEBHOOKS_ALLOW_LOCAL === '1') }),
);
