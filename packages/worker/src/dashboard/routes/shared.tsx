// /share/<token>: what a share link opens, read-only, and the JSON its views poll. The token is
// the only credential: checked (hash, expiry, revocation) on every request, page or JSON.
import { siteDb } from '../../tenancy';
import { type Context, Hono } from 'hono';
import { ordersPerHour, siteOf, type View, VIEWS, viewTable } from '../data';
import { docLinks } from '../docs';
import type { DashEnv } from '../env';
import { PageError } from '../page-error';
import { SharedPage } from '../pages/shared';
import { page } from '../render';
import { shareAccess } from '../share';

export const sharedRoutes = new Hono<DashEnv>();

const GONE = 'This link was revoked or has expired. Ask the shop for a new one.';
const UNKNOWN = 'No such link. Check that it was copied whole.';

async function open(c: Context<DashEnv>) {
  const access = await shareAccess(c.env, c.req.param('token') ?? '');
  if (access.status === 'open') return access;
  throw access.status === 'gone' ? new PageError(410, 'Link no longer valid', GONE) : new PageError(404, 'Link not found', UNKNOWN);
}

sharedRoutes.get('/share/:token', async (c) => {
  const access = await open(c);
  const q = c.req.query('q') ?? '';
  const site = await siteOf(c.env.DB, access.publicKey);
  const db = siteDb(c.env, site);
  const [[orders, events, rejections], hours] = await Promise.all([Promise.all(VIEWS.map((v) => viewTable(db, site, v, v === 'orders' ? q : ''))), ordersPerHour(db, site.id)]);
  return page(
    c,
    <SharedPage
      base={`/share/${c.req.param('token')}`}
      siteName={access.siteName}
      publicKey={access.publicKey}
      origin={new URL(c.req.url).origin}
      expiresAt={access.expiresAt}
      docs={docLinks(c.env, new URL(c.req.url).origin)}
      customFields={site.settings.custom_fields}
      orders={orders}
      hours={hours}
      events={events}
      rejections={rejections}
      q={q}
    />,
  );
});

sharedRoutes.get('/share/:token/views/:file{(?:orders|events|rejections)\\.json}', async (c) => {
  const access = await shareAccess(c.env, c.req.param('token'));
  if (access.status !== 'open') return c.json({ error: access.status === 'gone' ? GONE : UNKNOWN }, access.status === 'gone' ? 410 : 404);
  const view = c.req.param('file').slice(0, -'.json'.length) as View;
  return c.json(await viewTable(siteDb(c.env, access), await siteOf(c.env.DB, access.publicKey), view, c.req.query('q') ?? ''));
});
