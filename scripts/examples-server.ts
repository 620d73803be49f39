// Serves examples/ as a shop would: the shop theme and the SPA storefront, with {{TRACKER}} and
// {{PUBLIC_KEY}} filled in, and /npm/ mapping the SPA's bare imports (`shopbeacon`, `js-cookie`)
// to the built package, as a bundler would. Used by `npm start` and by the e2e tests.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css', '.png': 'image/png' };

const MOUNTS: [prefix: string, path: string][] = [
  ['/npm/shopbeacon/', join(root, 'packages/sdk/dist/')],
  ['/npm/js-cookie/index.mjs', join(root, 'node_modules/js-cookie/dist/js.cookie.mjs')],
  ['/', join(root, 'examples/')],
];

export function serveExamples(opts: { tracker: string; publicKey: string; port: number; host?: string }): Promise<Server> {
  const server = createServer((req, res) => {
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', 'http://shop').pathname);
    } catch {
      return res.writeHead(400).end('bad path');
    }
    if (path === '/') return res.writeHead(302, { location: '/shop-theme/index.html' }).end();
    // The SPA's routes (/spa-storefront/product/…) all load its one page.
    if (path.startsWith('/spa-storefront/') && !extname(path)) path = '/spa-storefront/index.html';
    const [prefix, dir] = MOUNTS.find(([p]) => path.startsWith(p))!;
    const file = prefix.endsWith('/') ? normalize(join(dir, path.slice(prefix.length))) : dir;
    const inside = file === resolve(dir) || file.startsWith(resolve(dir) + sep);
    if (!inside || !existsSync(file) || !statSync(file).isFile()) return res.writeHead(404).end('not found');
    const type = TYPES[extname(file)] ?? 'application/octet-stream';
    let body: Buffer | string = readFileSync(file);
    if (/html|javascript/.test(type)) body = body.toString('utf8').replaceAll('{{TRACKER}}', opts.tracker).replaceAll('{{PUBLIC_KEY}}', opts.publicKey);
    res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
  });
  return new Promise((ok) => server.listen(opts.port, opts.host ?? '127.0.0.1', () => ok(server)));
}
