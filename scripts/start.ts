#!/usr/bin/env node
// npm start: the whole product on this machine. Builds the SDK, runs the Worker with its local
// D1 (npm run dev), makes sure a demo site exists (GET mode on, the demo shop's origin allowed,
// a few orders so the dashboard is not empty), and serves the example shop and SPA storefront.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
// @ts-expect-error: plain .mjs helpers shared with scripts/dev.mjs
import { persistArgs, root, wranglerSync } from './wrangler.mjs';
import { INSERT_SITE, inlineParams, insertSiteParams, issueKeys } from '../packages/worker/src/sites';
import { serveExamples } from './examples-server';

const PORT = Number(process.env.PORT || 8787);
const SHOP_PORT = Number(process.env.SHOP_PORT || 8788);
const TRACKER = `http://127.0.0.1:${PORT}`;
const SHOP = `http://localhost:${SHOP_PORT}`; // another origin than the Worker, as in production
const DEMO = join(root, '.wrangler', 'demo-site.json');

interface Demo {
  siteId: number;
  publicKey: string;
  privateKey: string;
}

function run(cmd: string, args: string[]) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

run('npm', ['run', '--silent', 'build']);
const dev = spawn(process.execPath, [join(root, 'scripts/dev.mjs')], { cwd: root, stdio: 'inherit', env: { ...process.env, PORT: String(PORT) } });
const stop = () => {
  dev.kill('SIGTERM');
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
dev.on('exit', (code) => process.exit(code ?? 1));

async function waitForWorker() {
  for (let i = 0; i < 240; i++) {
    try {
      if ((await fetch(`${TRACKER}/`)).ok) return;
    } catch {}
    await sleep(250);
  }
  throw new Error(`the Worker did not answer on ${TRACKER}`);
}

const auth = (d: Demo) => ({ authorization: `Basic ${btoa(`${d.publicKey}:${d.privateKey}`)}` });

/** The demo site of an earlier start, if its keys still open it; else a new one. */
async function demoSite(): Promise<Demo> {
  if (existsSync(DEMO)) {
    const saved = JSON.parse(readFileSync(DEMO, 'utf8')) as Demo;
    if ((await fetch(`${TRACKER}/api/settings`, { headers: auth(saved) })).ok) return saved;
  }
  const keys = await issueKeys();
  const out = wranglerSync(['d1', 'execute', 'shopbeacon', '--local', ...persistArgs(), '--json', '--command', inlineParams(INSERT_SITE, insertSiteParams('Acme Outfitters (demo)', keys, Date.now()))], { quiet: true });
  const demo = { siteId: Number(JSON.parse(out)[0].results[0].id), publicKey: keys.publicKey, privateKey: keys.privateKey };
  mkdirSync(join(root, '.wrangler'), { recursive: true });
  writeFileSync(DEMO, JSON.stringify(demo, null, 2));
  const settings = { get_mode: true, allowed_origins: [SHOP], custom_fields: [{ id: 327, name: 'Loyalty tier' }], gdpr: { on_order: 'purchase', email_optin: { to: 'consent', id: 'newsletter' } } };
  await fetch(`${TRACKER}/api/settings`, { method: 'PUT', headers: { ...auth(demo), 'content-type': 'application/json' }, body: JSON.stringify(settings) });
  // A few orders, as a shop backend would send them, so the views have something to show.
  const states = [20, 50, 100, 10, 0];
  for (const [i, state] of states.entries()) {
    const data = {
      customer_email: `customer${i + 1}@example.com`,
      customer_firstname: ['Jane', 'John', 'Ada', 'Alan', 'Grace'][i],
      order_idorder: `DEMO-${1001 + i}`,
      order_state: state,
      order_amount: (29.9 + i * 12.5).toFixed(2),
      order_crea_dt: new Date(Date.now() - (states.length - i) * 3600_000).toISOString().slice(0, 19).replace('T', ' '),
      add_order_tag: ['demo'],
      product_attributes: [['size:m', 'color:blue']],
    };
    await fetch(`${TRACKER}/api/updateOrder`, { method: 'POST', headers: { ...auth(demo), 'content-type': 'application/json' }, body: JSON.stringify({ data }) });
  }
  return demo;
}

await waitForWorker();
const demo = await demoSite();
await serveExamples({ tracker: TRACKER, publicKey: demo.publicKey, port: SHOP_PORT });
console.log(`
shopbeacon is running.
  Worker:          ${TRACKER}
  Example shop:    ${SHOP}/shop-theme/index.html   (script tag)
  SPA storefront:  ${SHOP}/spa-storefront/          (npm import)
  Demo site keys:  public ${demo.publicKey}
                   private ${demo.privateKey}   (kept in .wrangler/demo-site.json for the next start)
  Dashboard:       ${TRACKER}/dashboard?public_key=${demo.publicKey}   (log in with the private key above)
  Docs:            ${TRACKER}/docs
  See it arrive:   curl -u ${demo.publicKey}:${demo.privateKey} ${TRACKER}/api/orders/recent
                   curl -u ${demo.publicKey}:${demo.privateKey} ${TRACKER}/api/events/recent
`);
