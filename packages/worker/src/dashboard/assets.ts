// /dashboard/assets/*: the stylesheet and script of every dashboard and share page. Their URLs
// carry a version (a hash of their text), so they can be cached for a day and still change
// with each deployment.
import { Hono } from 'hono';
import { DASHBOARD_CSS } from './assets/style';
import { DASHBOARD_JS } from './assets/script';

/** FNV-1a of the assets' text: a cache-busting version, computed once per isolate. */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16);
}

export const ASSET_VERSION = fnv1a(DASHBOARD_CSS + DASHBOARD_JS);

// A Map, not an object literal: a lookup by the URL's name must not find Object.prototype's
// members (/dashboard/assets/constructor, __proto__, toString).
const FILES = new Map<string, [string, string]>([
  ['dashboard.css', ['text/css; charset=utf-8', DASHBOARD_CSS]],
  ['dashboard.js', ['text/javascript; charset=utf-8', DASHBOARD_JS]],
]);

export const assetRoutes = new Hono();

assetRoutes.get('/dashboard/assets/:file', (c) => {
  const file = FILES.get(c.req.param('file'));
  if (!file) return c.notFound();
  return c.body(file[1], 200, { 'Content-Type': file[0], 'Cache-Control': 'public, max-age=86400', 'X-Content-Type-Options': 'nosniff' });
});
