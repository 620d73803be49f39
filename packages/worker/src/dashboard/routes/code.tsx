import { Hono } from 'hono';
import { siteOf } from '../data';
import type { DashEnv } from '../env';
import { CodePage } from '../pages/code';
import { page } from '../render';
import { navFor, requireSession } from '../session-guard';

export const codeRoutes = new Hono<DashEnv>();

codeRoutes.get('/dashboard/code', requireSession('page'), async (c) => {
  const { publicKey } = c.get('session');
  const site = await siteOf(c.env.DB, publicKey);
  return page(c, <CodePage nav={navFor(c, 'code')} origin={new URL(c.req.url).origin} publicKey={publicKey} customFields={site.settings.custom_fields} />);
});
