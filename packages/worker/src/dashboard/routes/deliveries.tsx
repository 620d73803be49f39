// The site's deliveries and "Send again", through the same functions as /api/deliveries
// (automations/deliveries.ts).
import { siteDb } from '../../tenancy';
import { Hono } from 'hono';
import { recentDeliveries, sendAgain } from '../../automations/deliveries';
import { listWebhooks } from '../../automations/webhooks';
import type { DashEnv } from '../env';
import { readForm } from '../forms';
import { asPage, PageError } from '../page-error';
import { DeliveriesPage } from '../pages/deliveries';
import { page } from '../render';
import { navFor, requireSession } from '../session-guard';

export const deliveryRoutes = new Hono<DashEnv>();

deliveryRoutes.get('/dashboard/deliveries', requireSession('page'), async (c) => {
  const s = c.get('session');
  const deliveries = await recentDeliveries(siteDb(c.env, s), s.siteId);
  // A delivery goes with its endpoint: an empty list says whether to add one first.
  const hasEndpoints = deliveries.length > 0 || (await listWebhooks(siteDb(c.env, s), s.siteId)).length > 0;
  return page(c, <DeliveriesPage nav={navFor(c, 'deliveries')} csrf={s.csrf} deliveries={deliveries} hasEndpoints={hasEndpoints} sent={c.req.query('sent') === '1'} />);
});

deliveryRoutes.post('/dashboard/deliveries/:id{[0-9]{1,15}}/send-again', requireSession('page'), async (c) => {
  await readForm(c);
  const missing = new PageError(404, 'No such delivery', 'This site has no such delivery: its endpoint may have been removed, with its deliveries.');
  await asPage(sendAgain(c.env, { id: c.get('session').siteId, db: c.get('session').db }, c.req.param('id')), missing);
  return c.redirect('/dashboard/deliveries?sent=1', 303);
});
