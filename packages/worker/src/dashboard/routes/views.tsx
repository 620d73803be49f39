// The verify views of a logged-in merchant, and the JSON their script polls.
import { siteDb } from '../../tenancy';
import { Hono } from 'hono';
import { ordersPerHour, siteOf, VIEWS, type View, viewTable } from '../data';
import type { DashEnv } from '../env';
import { EventsPage, OrdersPage, RejectionsPage } from '../pages/views';
import { page } from '../render';
import { navFor, requireSession } from '../session-guard';
import type { Site } from '../../env';
import { storeOf } from '../../settings';

export const viewRoutes = new Hono<DashEnv>();

const table = async (c: { env: DashEnv['Bindings']; get(k: 'session'): DashEnv['Variables']['session'] }, view: View, q = '', store?: string) =>
  viewTable(siteDb(c.env, c.get('session')), await siteOf(c.env.DB, c.get('session').publicKey), view, q, store);

/** ?store=fr, when it is one of the site's stores (else every store is shown). */
const storeParam = (site: Site, store: string | undefined) => storeOf(site.settings, store)?.id;

viewRoutes.get('/dashboard/orders', requireSession('page'), async (c) => {
  const q = c.req.query('q') ?? '';
  const site = await siteOf(c.env.DB, c.get('session').publicKey);
  const store = storeParam(site, c.req.query('store'));
  const [rows, hours] = await Promise.all([viewTable(siteDb(c.env, site), site, 'orders', q, store), ordersPerHour(siteDb(c.env, site), site.id)]);
  return page(c, <OrdersPage nav={navFor(c, 'orders')} table={rows} q={q} hours={hours} stores={site.settings.stores} store={store} />);
});

viewRoutes.get('/dashboard/events', requireSession('page'), async (c) => {
  const site = await siteOf(c.env.DB, c.get('session').publicKey);
  const store = storeParam(site, c.req.query('store'));
  return page(c, <EventsPage nav={navFor(c, 'events')} table={await viewTable(siteDb(c.env, site), site, 'events', '', store)} stores={site.settings.stores} store={store} />);
});

viewRoutes.get('/dashboard/rejections', requireSession('page'), async (c) =>
  page(c, <RejectionsPage nav={navFor(c, 'rejections')} table={await table(c, 'rejections')} />),
);

viewRoutes.get('/dashboard/views/:file{(?:orders|events|rejections)\\.json}', requireSession('json'), async (c) => {
  const view = c.req.param('file').slice(0, -'.json'.length) as View;
  if (!VIEWS.includes(view)) return c.notFound();
  return c.json(await table(c, view, c.req.query('q') ?? '', c.req.query('store')));
});
