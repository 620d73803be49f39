import { env } from 'cloudflare:workers';
import { checkUpdate, type UpdateInput } from '@shopbeacon/protocol';
import { describe, expect, it } from 'vitest';
import { updateOrder } from '../src/ingest';
import { RECENT_ORDERS_SQL } from '../src/orders';
import { withDefaults } from '../src/settings';
import { get, newSite, post, seedOrder, type TestSite } from './helpers';

type Json = Record<string, any>;

async function placeOrder(site: TestSite, id: string, now: number, extra: Json = {}) {
  const { values, errors } = checkUpdate(
    { data: { customer_email: `c${+id.replace(/\D/g, '') % 7}@shop.test`, order_idorder: id, order_state: 20, order_amount: 1, order_crea_dt: '2026-01-01 00:00:00', ...extra } },
    'order',
  );
  expect(errors).toEqual([]);
  return updateOrder(env.DB, { id: site.siteId, settings: withDefaults({}) }, values as Required<UpdateInput>, 'api', now);
}

describe('GET /api/orders/recent', () => {
  it('lists the 200 most recently received or updated orders, newest first', async () => {
    const site = await newSite();
    const t0 = Date.UTC(2026, 0, 1);
    for (let i = 1; i <= 205; i++) await placeOrder(site, `O-${i}`, t0 + i * 1000);
    // An update brings an old order back to the top.
    await placeOrder(site, 'O-3', t0 + 999_000, { order_state: 50, add_order_tag: ['late'] });
    const res = await get(site, '/api/orders/recent');
    expect(res.status).toBe(200);
    const { orders } = (await res.json()) as { orders: Json[] };
    expect(orders).toHaveLength(200);
    expect(orders[0]).toMatchObject({
      order_idorder: 'O-3',
      order_state: 50,
      order_state_name: 'sent',
      order_tags: ['late'],
      validated: true,
      source: 'api',
      received_at: new Date(t0 + 3000).toISOString(),
      updated_at: new Date(t0 + 999_000).toISOString(),
      customer_email: 'c3@shop.test',
      external_id: null,
      customer_cookie: null,
    });
    expect(orders.slice(1, 4).map((o) => o.order_idorder)).toEqual(['O-205', 'O-204', 'O-203']);
    expect(orders.at(-1)!.order_idorder).toBe('O-7');
    const times = orders.map((o) => Date.parse(o.updated_at));
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it('lists each order exactly as the updateOrder answer shows it', async () => {
    const site = await newSite();
    const res = await post(site, '/api/updateOrder', seedOrder());
    const { order } = (await res.json()) as { order: Json };
    await placeOrder(site, 'N-1', Date.UTC(2020, 0, 1, 0, 0, 0, 7), { order_amount: '0.1', customer_email: 'x@y.test' });
    const { orders } = (await (await get(site, '/api/orders/recent')).json()) as { orders: Json[] };
    expect(orders[0]).toStrictEqual(order);
    expect(orders[1]).toMatchObject({ order_idorder: 'N-1', order_amount: 0.1, received_at: '2020-01-01T00:00:00.007Z', order_start_service: null, order_tags: [] });
    expect(Object.keys(orders[1])).toEqual(Object.keys(order));
  });

  it('orders ties on the same millisecond by arrival', async () => {
    const site = await newSite();
    const now = Date.UTC(2026, 5, 1);
    for (const id of ['T-1', 'T-2', 'T-3']) await placeOrder(site, id, now);
    const { orders } = (await (await get(site, '/api/orders/recent')).json()) as { orders: Json[] };
    expect(orders.map((o) => o.order_idorder)).toEqual(['T-3', 'T-2', 'T-1']);
  });

  it('is served by the orders_site_recent index, with no sort step', async () => {
    const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${RECENT_ORDERS_SQL}`).bind(1, 20, '[]').all<{ detail: string }>();
    const details = plan.results.map((r: { detail: string }) => r.detail);
    expect(details.join('\n')).not.toMatch(/TEMP B-TREE/);
    expect(details).toContain('SEARCH o USING INDEX orders_site_recent (site_id=?)');
    expect(details).toContain('SEARCH p USING INTEGER PRIMARY KEY (rowid=?)');
  });
});
