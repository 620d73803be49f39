// Webhooks end to end against `npm run dev` (wrangler's local Queues): a receiver on this machine,
// verifying with the standardwebhooks package unchanged, gets order.created then
// order.state_changed for an order the seed's PHP client creates and updates, each once, and a
// delivery again, with the same webhook-id, after it answered 500 the first time.
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { basicAuth, root, runSite, type SiteKeys, siteJson } from './global-setup';

type Json = Record<string, any>;
interface Received {
  id: string;
  status: number;
  payload: Json;
}

const hasPhp = spawnSync('php', ['-r', 'echo function_exists("curl_init") ? "yes" : "no";'], { encoding: 'utf8' }).stdout === 'yes';
const skip = !hasPhp && process.env.CI !== 'true';

describe.skipIf(skip)('webhooks from npm run dev to a local receiver', () => {
  let site: SiteKeys;
  let server: Server;
  let url = '';
  const received: Received[] = [];
  let secret = '';
  let failNext = false;

  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${inject('baseUrl')}${path}`, { ...init, headers: { authorization: basicAuth(site.publicKey, site.privateKey), 'content-type': 'application/json', ...init.headers } });

  const php = (state: string) => {
    const r = spawnSync('php', ['examples/php/update-order.php'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, SHOPBEACON_URL: inject('baseUrl'), SHOPBEACON_PUBLIC_KEY: site.publicKey, SHOPBEACON_PRIVATE_KEY: site.privateKey, SHOPBEACON_ORDER_ID: 'WH-1', SHOPBEACON_ORDER_STATE: state },
    });
    expect(r.stdout.split('\n')[0], r.stdout + r.stderr).toBe('HTTP 200');
  };

  async function until(what: string, done: () => boolean, ms = 20_000) {
    for (const end = Date.now() + ms; Date.now() < end; ) {
      if (done()) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${what}: not within ${ms / 1000} s; received ${JSON.stringify(received.map((r) => [r.id, r.status, r.payload.type]))}`);
  }

  beforeAll(async () => {
    site = siteJson(runSite(['create', '--name', 'Webhooks e2e shop', '--json'], inject('stateDir')));
    server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
        let payload: Json;
        try {
          payload = new Webhook(secret).verify(body, headers) as Json;
        } catch {
          res.writeHead(401).end();
          return;
        }
        const status = failNext ? 500 : 200;
        failNext = false;
        received.push({ id: headers['webhook-id'], status, payload });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
    const made = await api('/api/webhooks', { method: 'POST', body: JSON.stringify({ url, events: ['order.created', 'order.state_changed'] }) });
    expect(made.status).toBe(201);
    secret = ((await made.json()) as Json).secret;
  });

  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('order.created, then order.state_changed, each delivered once, signed', async () => {
    php('10');
    await until('order.created', () => received.some((r) => r.payload.type === 'order.created'));
    php('10'); // a repeat: changes nothing, fires nothing
    php('20');
    await until('order.state_changed', () => received.some((r) => r.payload.type === 'order.state_changed'));
    await new Promise((r) => setTimeout(r, 1500)); // room for any duplicate to arrive
    expect(received.map((r) => r.payload.type)).toEqual(['order.created', 'order.state_changed']);
    expect(new Set(received.map((r) => r.id)).size).toBe(2);
    expect(received[1].payload.data).toMatchObject({ old: 10, new: 20, order: { order_idorder: 'WH-1', order_state: 20 }, profile: { customer_email: 'john@doe.com' } });
  });

  it('a delivery answered 500 comes again with the same webhook-id', async () => {
    failNext = true;
    php('50');
    await until('the retry', () => received.filter((r) => r.payload.data?.new === 50).length >= 2);
    const tries = received.filter((r) => r.payload.data?.new === 50);
    expect(tries.map((r) => r.status)).toEqual([500, 200]);
    expect(tries[0].id).toBe(tries[1].id);
    const deliveries = ((await (await api('/api/deliveries/recent')).json()) as Json).deliveries as Json[];
    expect(deliveries.find((d) => d.webhook_id === tries[0].id)).toMatchObject({ status: 'delivered', attempts: 2, last_status: 200, endpoint: { url } });
  });
});
