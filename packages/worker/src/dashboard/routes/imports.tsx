// The Imports page and the JSON its table polls, through the same function as GET /api/imports.
import { siteDb } from '../../tenancy';
import { Hono } from 'hono';
import { recentImports } from '../../import';
import type { DashEnv } from '../env';
import { ImportsPage, importsTable } from '../pages/imports';
import { page } from '../render';
import { navFor, requireSession } from '../session-guard';

export const importRoutes = new Hono<DashEnv>();

const table = async (c: { env: DashEnv['Bindings']; get(k: 'session'): DashEnv['Variables']['session'] }) => importsTable(await recentImports(siteDb(c.env, c.get('session')), c.get('session').siteId));

importRoutes.get('/dashboard/imports', requireSession('page'), async (c) =>
  page(c, <ImportsPage nav={navFor(c, 'imports')} table={await table(c)} origin={new URL(c.req.url).origin} />),
);

importRoutes.get('/dashboard/imports.json', requireSession('json'), async (c) => c.json(await table(c)));
