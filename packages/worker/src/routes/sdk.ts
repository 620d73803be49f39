// /sdk.js: the script-tag build of the browser SDK, from the Worker's static assets.
// `/sdk.js` (what the snippet names) is cached a day and revalidated with its ETag; the hashed
// `/sdk.<hash>.js` never changes, so it is cached for a year. `/sdk.debug.js`, the same tracker
// checking every value in the browser (for integrating), is cached as /sdk.js. Any page may load
// them (CORS, CORP).
import { Hono } from 'hono';
import type { AppEnv } from '../env';
import { problemResponse } from '../problem';

export const sdkRoutes = new Hono<AppEnv>();

let manifest: Promise<{ hash: string }> | undefined;
const sdkHash = (assets: Fetcher, url: string) =>
  (manifest ??= assets.fetch(new URL('/manifest.json', url)).then((r) => {
    if (!r.ok) throw new Error(`manifest.json: HTTP ${r.status} (run npm run build)`);
    return r.json() as Promise<{ hash: string }>;
  })).catch((e) => {
    manifest = undefined; // not cached: the next request tries again
    throw e;
  });

const DAY = 86_400;

sdkRoutes.get('/:file{sdk(?:\\.debug|\\.[0-9a-f]{8})?\\.js}', async (c) => {
  const file = c.req.param('file');
  const hashed = file !== 'sdk.js' && file !== 'sdk.debug.js';
  if (hashed && file !== `sdk.${(await sdkHash(c.env.ASSETS, c.req.url)).hash}.js`)
    return problemResponse({ status: 404, code: 'not_found', message: 'No such version of the SDK: load /sdk.js.' });
  const path = hashed ? '/sdk.js' : `/${file}`;
  const asset = await c.env.ASSETS.fetch(new URL(path, c.req.url), { headers: { 'if-none-match': c.req.header('if-none-match') ?? '' } });
  if (asset.status !== 200 && asset.status !== 304) throw new Error(`${path}: HTTP ${asset.status} from the assets (run npm run build)`);
  const res = new Response(asset.body, asset);
  res.headers.set('Content-Type', 'text/javascript; charset=utf-8');
  res.headers.set('Cache-Control', hashed ? `public, max-age=${365 * DAY}, immutable` : `public, max-age=${DAY}, stale-while-revalidate=${7 * DAY}`);
  res.headers.set('Access-Control-Allow-Origin', '*');
  res.headers.set('Cross-Origin-Resource-Policy', 'cross-origin');
  res.headers.set('X-Content-Type-Options', 'nosniff');
  return res;
});
