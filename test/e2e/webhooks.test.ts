// Webhooks end to end against `npm run dev` (wrangler's local Queues): a receiver on this machine,
// verifying with the standardwebhooks package unchanged, gets order.created then
// order.state_changed for an order the seed's PHP client creates and updates, each once, and a
// delivery again, with the same webhook-id, after it answered 500 the first time.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { basicAuth, root, runSite, type SiteKeys, siteJson } from './global-setup';
import { Receiver } from './receiver';

type Json = Record<string, any>;

const hasPhp = spawnSync('php', ['-r', 'echo function_exists("curl_init") ? "yes" : "no";'], { encoding: 'utf8' }).stdout === 'yes';
const skip = !hasPhp && process.env.CI !== 'true';

describe.skipIf(skip)('webhooks from npm run dev to a local receiver', () => {
  let site: SiteKeys;
  let receiver: Receiver;
  let url = '';

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

  beforeAll(async () => {
    site = siteJson(runSite(['create', '--name', 'Webhooks e2e shop', '--json'], inject('stateDir')));
    receiver = await Receiver.start();
    url = receiver.url('/hooks');
    const made = await api('/api/webhooks', { method: 'POST', body: JSON.stringify({ url, events: ['order.created', 'order.state_changed'] }) });
    expect(made.status).toBe(201);
    receiver.secret = ((await made.json()) as Json).secret;
  });

  afterAll(() => receiver.close());

  it('order.created, then order.state_changed, each delivered once, signed', async () => {
    php('10');
    await receiver.until('order.created', () => receiver.received.some((r) => r.payload.type === 'order.created'));
    php('10'); // a repeat: changes nothing, fires nothing
    php('20');
    await receiver.until('order.state_changed', () => receiver.received.some((r) => r.payload.type === 'order.state_changed'));
    await new Promise((r) => setTimeout(r, 1500)); // room for any duplicate to arrive
    expect(receiver.received.map((r) => r.payload.type)).toEqual(['order.created', 'order.state_changed']);
    expect(new Set(receiver.received.map((r) => r.id)).size).toBe(2);
    expect(receiver.received[1].payload.data).toMatchObject({ old: 10, new: 20, order: { order_idorder: 'WH-1', order_state: 20 }, profile: { customer_email: 'john@doe.com' } });
  });

  it('a delivery answered 500 comes again with the same webhook-id', async () => {
    receiver.failNext = true;
    php('50');
    await receiver.until('the retry', () => receiver.received.filter((r) => r.payload.data?.new === 50).length >= 2);
    const tries = receiver.received.filter((r) => r.payload.data?.new === 50);
    expect(tries.map((r) => r.status)).toEqual([500, 200]);
    expect(tries[0].id).toBe(tries[1].id);
    const deliveries = ((await (await api('/api/deliveries/recent')).json()) as Json).deliveries as Json[];
    expect(deliveries.find((d) => d.webhook_id === tries[0].id)).toMatchObject({ status: 'delivered', attempts: 2, last_status: 200, endpoint: { url } });
  });
});
