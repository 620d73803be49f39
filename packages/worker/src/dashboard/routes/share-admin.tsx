// Creating, listing and revoking share links (the merchant's side).
import { type Context, Hono } from 'hono';
import { docLinks } from '../docs';
import type { DashEnv } from '../env';
import { field, readForm } from '../forms';
import { shareMailto } from '../mail';
import { noSuchSite } from '../page-error';
import { type CreatedLink, SharePage } from '../pages/share-admin';
import { page } from '../render';
import { activeShareLinks, createShareLink, revokeShareLink, shareDays } from '../share';
import { flashCreatedLink, takeCreatedLink } from '../share-flash';
import { navFor, requireSession } from '../session-guard';

export const shareAdminRoutes = new Hono<DashEnv>();

/** The link created just before this page, with its mailto: shown this once. */
async function createdLink(c: Context<DashEnv>): Promise<CreatedLink | undefined> {
  const s = c.get('session');
  const link = await takeCreatedLink(c, s.siteId);
  if (!link) return undefined;
  const origin = new URL(c.req.url).origin;
  const url = `${origin}/share/${link.token}`;
  const mailto = shareMailto({ siteName: s.siteName, url, publicKey: s.publicKey, expiresAt: link.expiresAt, docs: docLinks(c.env, origin) });
  return { url, expiresAt: link.expiresAt, mailto };
}

shareAdminRoutes.get('/dashboard/share', requireSession('page'), async (c) => {
  const s = c.get('session');
  const created = await createdLink(c);
  const links = await activeShareLinks(c.env.DB, s.siteId);
  return page(c, <SharePage nav={navFor(c, 'share')} csrf={s.csrf} links={links} created={created} revoked={c.req.query('revoked') === '1'} />);
});

shareAdminRoutes.post('/dashboard/share', requireSession('page'), async (c) => {
  const s = c.get('session');
  const form = await readForm(c);
  const link = await createShareLink(c.env, s.siteId, field(form, 'label'), shareDays(field(form, 'days') || undefined));
  if (!link) throw noSuchSite();
  await flashCreatedLink(c, link.token);
  return c.redirect('/dashboard/share', 303);
});

shareAdminRoutes.post('/dashboard/share/:id{[0-9]{1,15}}/revoke', requireSession('page'), async (c) => {
  await readForm(c);
  await revokeShareLink(c.env.DB, c.get('session').siteId, Number(c.req.param('id')));
  return c.redirect('/dashboard/share?revoked=1', 303);
});
