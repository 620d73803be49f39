// /docs: the README, rendered at build time (rollup.config.mjs), served by the Worker itself so
// the dashboard and its share links point at documentation that exists wherever it runs.
import { Hono } from 'hono';
import type { AppEnv } from '../env';

export const docsRoutes = new Hono<AppEnv>();

docsRoutes.get('/docs', async (c) => {
  const asset = await c.env.ASSETS.fetch(new URL('/docs.html', c.req.url));
  const res = new Response(asset.body, asset);
  res.headers.set('Content-Type', 'text/html; charset=utf-8');
  res.headers.set('Cache-Control', 'public, max-age=3600');
  // No script at all; the one style block is the page's own.
  res.headers.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
  res.headers.set('X-Content-Type-Options', 'nosniff');
  return res;
});
