// The seed's PHP client (examples/php/update-order.php, seed 003 "1. Code à utiliser") against
// the real `npm run dev`: what it posts (http_build_query, CURLAUTH_ANY) is what the Worker
// stores. Needs php with its curl extension; without php the tests are skipped, except in CI
// (CI=true) where they fail.
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { basicAuth, root, runSite, type SiteKeys, siteJson } from './global-setup';

const php = (() => {
  const version = spawnSync('php', ['-r', 'echo PHP_VERSION;'], { encoding: 'utf8' });
  if (version.status !== 0) return { present: false, curl: false };
  const curl = spawnSync('php', ['-r', 'echo function_exists("curl_init") ? "yes" : "no";'], { encoding: 'utf8' });
  return { present: true, curl: curl.stdout === 'yes' };
})();
const inCI = process.env.CI === 'true';
const skip = !php.present && !inCI;
const title = 'PHP client of seed 003 (examples/php/update-order.php)';

if (skip) console.warn(`[e2e] SKIPPED ${title}: php is not on PATH (apt-get install php-cli php-curl). With CI=true these tests fail instead.`);

interface Answer {
  code: number | null;
  status: number;
  body: any;
  output: string;
}

/** Runs a PHP example with the site's keys; its stdout is "HTTP <status>" then the JSON body. */
function runPhp(script: string, keys: { publicKey: string; privateKey: string }, env: Record<string, string> = {}, args: string[] = []): Answer {
  const r = spawnSync('php', [script, ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 30_000,
    env: {
      ...process.env,
      SHOPBEACON_URL: inject('baseUrl'),
      SHOPBEACON_PUBLIC_KEY: keys.publicKey,
      SHOPBEACON_PRIVATE_KEY: keys.privateKey,
      ...env,
    },
  });
  const output = `exit ${r.status}\n${r.stdout}\n${r.stderr}`;
  const [first = '', ...rest] = (r.stdout ?? '').split('\n');
  const status = Number(/^HTTP (\d{3})$/.exec(first)?.[1] ?? 0);
  let body: any = null;
  try {
    body = JSON.parse(rest.join('\n'));
  } catch {
    // left null; the assertions show the output
  }
  return { code: r.status, status, body, output };
}

async function recentOrders(keys: SiteKeys) {
  const res = await fetch(`${inject('baseUrl')}/api/orders/recent`, { headers: { authorization: basicAuth(keys.publicKey, keys.privateKey) } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { orders: Record<string, unknown>[] }).orders;
}

describe.skipIf(skip)(title, () => {
  let site: SiteKeys;

  beforeAll(() => {
    expect(php.present, 'php is not installed, and CI=true requires it: apt-get install php-cli php-curl').toBe(true);
    expect(php.curl, 'php has no curl extension: apt-get install php-curl').toBe(true);
    site = siteJson(runSite(['create', '--name', 'PHP e2e shop', '--json'], inject('stateDir')));
  });

  it('creates order 0000001 with every field of the seed', async () => {
    const run = runPhp('examples/php/update-order.php', site);
    expect(run.code, run.output).toBe(0);
    expect(run.status, run.output).toBe(200);
    expect(run.body, run.output).toMatchObject({ ok: true, created: true, order: { order_idorder: '0000001' } });
    // The profile fields the seed sends, as the answer shows them.
    expect(run.body.profile).toMatchObject({
      customer_email: 'john@doe.com',
      external_id: '12345xxx6789',
      customer_name: 'Doe',
      customer_firstname: 'John',
      customer_isoptin: 1,
      customer_address2: 'bâtiment A',
      customer_country: 'FR',
      customer_lang: 'fr_FR',
      tags: ['tag1', 'tag2'],
      custom_fields: { 327: 'value' },
      source: 'api',
    });

    const orders = (await recentOrders(site)).filter((o) => o.order_idorder === '0000001');
    expect(orders).toHaveLength(1);
    expect(orders[0]).toMatchObject({
      order_idorder: '0000001',
      order_state: 10,
      order_amount: 158.31,
      order_crea_dt: '2014-06-21 14:31:08',
      order_start_service: '2019-06-05',
      order_end_service: '2019-06-14',
      order_tags: ['order_tag1', 'order_tag2'],
      product_attributes: [
        ['size:xl', 'type:shirt'],
        ['size:s', 'color:blue'],
      ],
      validated: false, // state 10, and by default an order is validated once paid (20)
      source: 'api',
      customer_email: 'john@doe.com',
      external_id: '12345xxx6789',
      customer_cookie: null,
    });
  });

  it('updates the same order when run again: still one order 0000001, created: false', async () => {
    const [before] = (await recentOrders(site)).filter((o) => o.order_idorder === '0000001');
    expect(before, 'the previous test creates order 0000001').toBeDefined();

    const run = runPhp('examples/php/update-order.php', site);
    expect(run.code, run.output).toBe(0);
    expect(run.body, run.output).toMatchObject({ ok: true, created: false, order: { order_idorder: '0000001' } });

    const orders = (await recentOrders(site)).filter((o) => o.order_idorder === '0000001');
    expect(orders).toHaveLength(1);
    expect(orders[0]).toMatchObject({
      order_state: 10,
      order_amount: 158.31,
      order_tags: ['order_tag1', 'order_tag2'], // merged, not doubled
      product_attributes: before.product_attributes,
      received_at: before.received_at,
    });
    expect(Date.parse(orders[0].updated_at as string)).toBeGreaterThanOrEqual(Date.parse(before.updated_at as string));
  });

  it('gets 401 with a wrong private key, exits non-zero, and nothing is written', async () => {
    const wrong = { publicKey: site.publicKey, privateKey: `sk_${'x'.repeat(43)}` };
    const run = runPhp('examples/php/update-order.php', wrong, { SHOPBEACON_ORDER_ID: 'e2e-wrong-key' });
    expect(run.code, run.output).not.toBe(0);
    expect(run.status, run.output).toBe(401);
    expect(run.body, run.output).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    expect((await recentOrders(site)).some((o) => o.order_idorder === 'e2e-wrong-key')).toBe(false);
  });

  it('gets 401 with an unknown public key, exits non-zero', () => {
    const unknown = { publicKey: `pk_${'A'.repeat(22)}`, privateKey: site.privateKey };
    const run = runPhp('examples/php/update-order.php', unknown, { SHOPBEACON_ORDER_ID: 'e2e-unknown-key' });
    expect(run.code, run.output).not.toBe(0);
    expect(run.status, run.output).toBe(401);
  });

  it('the newsletter handler (examples/php/update-customer.php) opts a profile in', () => {
    const run = runPhp('examples/php/update-customer.php', site, {}, ['jane@doe.com']);
    expect(run.code, run.output).toBe(0);
    expect(run.body, run.output).toMatchObject({
      ok: true,
      created: true,
      profile: { customer_email: 'jane@doe.com', customer_isoptin: 1, source: 'api' },
    });
    const refused = runPhp('examples/php/update-customer.php', site, {}, ['not-an-address']);
    expect(refused.code, refused.output).not.toBe(0);
    expect(refused.status, refused.output).toBe(400);
  });
});
