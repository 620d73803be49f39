// Order lines and the pick-up place, the automatic tags, and stores (multistore), through the
// server API (both body shapes) and the browser tracker.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { RECENT_EVENTS_SQL, RECENT_STORE_EVENTS_SQL } from '../src/events';
import { RECENT_ORDERS_SQL, RECENT_STORE_ORDERS_SQL } from '../src/orders';
import { get, newSite, post, put, SELF, type TestSite } from './helpers';

type Json = Record<string, any>;
const json = async (res: Response) => (await res.json()) as Json;

let n = 0;
const SBT = 'LiNeStAgSvIsItOr000001';
const event = (type: string, data: Json, extra: Json = {}) => ({ id: `lines${String(++n).padStart(12, '0')}`, type, ts: 1_764_000_000_000 + n, sbt: SBT, data, ...extra });
const beacon = (site: TestSite, ...events: Json[]) =>
  SELF.fetch('https://tracker.test/collect', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ key: site.publicKey, events }) });

const order = (id: string, extra: Json = {}) => ({
  data: { customer_email: 'buyer@shop.test', order_idorder: id, order_state: 20, order_amount: 49.8, order_crea_dt: '2026-11-30 10:00:00', ...extra },
});
const ITEMS = [
  { sku: 'TS-1', name: 'T-shirt', category: 'Men/Tops/T-shirts/Cotton', quantity: 2, unit_price: 19.9 },
  { product_id: 'p-9', name: 'Cap', category: 'Accessories', unit_price: 10 },
];

const lines = async (site: TestSite, idorder: string) =>
  (
    await env.DB.prepare('SELECT l.* FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.site_id = ? AND o.idorder = ? ORDER BY line')
      .bind(site.siteId, idorder)
      .all<Json>()
  ).results;
const profile = async (site: TestSite, email: string) =>
  (await env.DB.prepare('SELECT * FROM profiles WHERE site_id = ? AND email = ?').bind(site.siteId, email).first<Json>())!;
const tagsOf = async (site: TestSite, email: string) => JSON.parse((await profile(site, email)).tags) as string[];
const recent = async (site: TestSite, query = '') => (await json(await get(site, `/api/orders/recent${query}`))).orders as Json[];

describe('order lines and the pick-up place', () => {
  for (const type of ['form', 'json'] as const) {
    it(`are stored as lines from a ${type === 'form' ? 'PHP (http_build_query)' : 'JSON'} body, answered and listed`, async () => {
      const site = await newSite();
      const res = await post(site, '/api/updateOrder', order(`L-${type}`, { items: ITEMS, order_pickup_location: 'Paczkomat KRA01M' }), type);
      expect(res.status).toBe(200);
      const body = await json(res);
      const expected = [
        { sku: 'TS-1', name: 'T-shirt', category: 'Men/Tops/T-shirts/Cotton', quantity: 2, unit_price: 19.9 },
        { product_id: 'p-9', name: 'Cap', category: 'Accessories', quantity: 1, unit_price: 10 },
      ];
      expect(body.order).toMatchObject({ items: expected, order_pickup_location: 'Paczkomat KRA01M', store: null, currency: null });
      expect(await lines(site, `L-${type}`)).toMatchObject([
        { line: 0, sku: 'TS-1', product_id: null, quantity: 2, unit_price: 19.9 },
        { line: 1, sku: null, product_id: 'p-9', quantity: 1 },
      ]);
      const [listed] = await recent(site);
      expect(listed).toEqual(body.order);
    });
  }

  it('are replaced whole when items are sent again, and kept when they are not', async () => {
    const site = await newSite();
    await post(site, '/api/updateOrder', order('L-2', { items: ITEMS }));
    const kept = await json(await post(site, '/api/updateOrder', order('L-2', { order_state: 50 })));
    expect(kept.order.items).toHaveLength(2);
    expect(await lines(site, 'L-2')).toHaveLength(2);
    const replaced = await json(await post(site, '/api/updateOrder', order('L-2', { items: [{ sku: 'TS-2', quantity: 3 }] }), 'json'));
    expect(replaced.order.items).toEqual([{ sku: 'TS-2', quantity: 3 }]);
    expect(await lines(site, 'L-2')).toMatchObject([{ line: 0, sku: 'TS-2', quantity: 3 }]);
  });

  it('a body without items works as before; bad lines are named and nothing is written', async () => {
    const site = await newSite();
    const plain = await json(await post(site, '/api/updateOrder', order('L-3')));
    expect(plain.order).toMatchObject({ items: [], order_pickup_location: null });
    const res = await post(site, '/api/updateOrder', order('L-4', { items: [{ sku: 'A', quantity: 0 }], order_pickup_location: 'x'.repeat(256) }));
    expect(res.status).toBe(400);
    const fields = (await json(res)).error.fields.map((f: Json) => f.field);
    expect(fields).toEqual(expect.arrayContaining(['data[items][0][quantity]', 'data[order_pickup_location]']));
    expect(await env.DB.prepare("SELECT count(*) AS n FROM orders WHERE site_id = ? AND idorder = 'L-4'").bind(site.siteId).first('n')).toBe(0);
  });

  it('the browser stores its own order lines, never those of an order the server wrote', async () => {
    const site = await newSite();
    await put(site, '/api/settings', { get_mode: true });
    const browser = order('L-5').data;
    expect((await beacon(site, event('order', { ...browser, items: ITEMS }))).status).toBe(204);
    expect(await lines(site, 'L-5')).toHaveLength(2);
    await post(site, '/api/updateOrder', order('L-6', { items: ITEMS }));
    const res = await beacon(site, event('order', { ...order('L-6').data, items: [{ sku: 'FORGED', quantity: 99 }] }));
    expect(res.status).toBe(204); // kept as the server sent it (and logged as server_order_kept)
    expect((await lines(site, 'L-6')).map((l) => l.sku)).toEqual(['TS-1', null]);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM rejections WHERE site_id = ? AND code = 'server_order_kept'").bind(site.siteId).first('n')).toBe(1);
  });
});

describe('automatic tags', () => {
  it('registration: an account made by updateCustomer (with an external_id or action=account), the browser, not by an order', async () => {
    const site = await newSite();
    await put(site, '/api/settings', { get_mode: true });
    await post(site, '/api/updateCustomer', { data: { customer_email: 'a@shop.test', external_id: 'C-1', add_tag: ['vip'] } });
    expect(await tagsOf(site, 'a@shop.test')).toEqual(['vip', 'registration']);
    await post(site, '/api/updateCustomer', { data: { customer_email: 'b@shop.test', action: 'account' } });
    expect(await tagsOf(site, 'b@shop.test')).toEqual(['registration']);
    await post(site, '/api/updateOrder', order('T-1', { customer_email: 'c@shop.test', external_id: 'C-3' }));
    expect(await tagsOf(site, 'c@shop.test')).toEqual([]);
    // A later account for a customer known from an order: tagged then, once.
    await post(site, '/api/updateCustomer', { data: { customer_email: 'c@shop.test', external_id: 'C-3' } });
    expect(await tagsOf(site, 'c@shop.test')).toEqual(['registration']);
    const p = await profile(site, 'c@shop.test');
    await post(site, '/api/updateCustomer', { data: { customer_email: 'c@shop.test', external_id: 'C-3', del_tag: ['registration'] } });
    await post(site, '/api/updateCustomer', { data: { customer_email: 'c@shop.test', external_id: 'C-3' } });
    expect(await tagsOf(site, 'c@shop.test')).toEqual([]); // removed by the shop: not given again
    expect((await profile(site, 'c@shop.test')).version).toBe(p.version + 1);
    await beacon(site, event('account', { customer_email: 'd@shop.test' }));
    expect(await tagsOf(site, 'd@shop.test')).toEqual(['registration']);
  });

  it('newsletter: an email opt-in without an account; an account made by the same call gives registration only', async () => {
    const site = await newSite();
    await put(site, '/api/settings', { get_mode: true });
    await post(site, '/api/updateCustomer', { data: { customer_email: 'n@shop.test', customer_isoptin: 1 } });
    expect(await tagsOf(site, 'n@shop.test')).toEqual(['newsletter']);
    expect((await profile(site, 'n@shop.test')).version).toBe(1); // in the insert itself
    await post(site, '/api/updateCustomer', { data: { customer_email: 'r@shop.test', external_id: 'C-9', customer_isoptin: 1 } });
    expect(await tagsOf(site, 'r@shop.test')).toEqual(['registration']);
    // The browser's opt-in on a profile that had none.
    await post(site, '/api/updateOrder', order('T-2', { customer_email: 'o@shop.test' }));
    await beacon(site, event('optin', { customer_email: 'o@shop.test', customer_isoptin: 1 }));
    expect(await tagsOf(site, 'o@shop.test')).toEqual(['newsletter']);
    // An opt-in repeated, or of someone with an account: nothing more.
    await post(site, '/api/updateCustomer', { data: { customer_email: 'r@shop.test', customer_isoptin: 0 } });
    await post(site, '/api/updateCustomer', { data: { customer_email: 'r@shop.test', customer_isoptin: 1 } });
    expect(await tagsOf(site, 'r@shop.test')).toEqual(['registration']);
  });

  it("categories: each line's path gives three levels of tags, and profile.updated fires for the tags", async () => {
    const site = await newSite();
    await post(site, '/api/updateOrder', order('T-3', { customer_email: 'k@shop.test', items: ITEMS, add_tag: ['first'] }));
    expect(await tagsOf(site, 'k@shop.test')).toEqual(['first', 'Men', 'Tops', 'T-shirts', 'Accessories']);
    const triggers = await env.DB.prepare("SELECT data FROM triggers WHERE site_id = ? AND type = 'profile.updated'").bind(site.siteId).all<{ data: string }>();
    const tagChanges = triggers.results.map((t) => JSON.parse(t.data)).filter((d) => d.field === 'tags');
    expect(tagChanges).toHaveLength(1);
    expect(tagChanges[0]).toMatchObject({ old: ['first'], new: ['first', 'Men', 'Tops', 'T-shirts', 'Accessories'], added: ['Men', 'Tops', 'T-shirts', 'Accessories'] });
  });

  it('each can be renamed or turned off in the settings', async () => {
    const site = await newSite();
    const s = await json(await put(site, '/api/settings', { auto_tags: { registration: 'rejestracja', newsletter: '', categories: false } }));
    expect(s.settings.auto_tags).toEqual({ registration: 'rejestracja', newsletter: null, categories: false });
    await post(site, '/api/updateCustomer', { data: { customer_email: 'x@shop.test', external_id: 'X-1' } });
    await post(site, '/api/updateCustomer', { data: { customer_email: 'y@shop.test', customer_isoptin: 1 } });
    await post(site, '/api/updateOrder', order('T-4', { customer_email: 'y@shop.test', items: ITEMS }));
    expect(await tagsOf(site, 'x@shop.test')).toEqual(['rejestracja']);
    expect(await tagsOf(site, 'y@shop.test')).toEqual([]);
    const bad = await put(site, '/api/settings', { auto_tags: { registration: 'x'.repeat(101), categories: 'yes', other: 1 } });
    expect(bad.status).toBe(400);
    expect((await json(bad)).error.fields.map((f: Json) => f.field)).toEqual(['auto_tags.registration', 'auto_tags.categories', 'auto_tags.other']);
  });
});

describe('stores', () => {
  const STORES = [
    { id: 'fr', name: 'Boutique FR', currency: 'EUR' },
    { id: 'pl', name: 'Sklep PL', currency: 'PLN' },
  ];
  const multistore = async () => {
    const site = await newSite();
    await put(site, '/api/settings', { stores: STORES, get_mode: true });
    return site;
  };

  it('are declared in the settings, checked', async () => {
    const site = await newSite();
    const bad = await put(site, '/api/settings', { stores: [{ id: 'FR', name: '', currency: 'EURO' }, { id: 'pl', name: 'PL', currency: 'XYZ' }, { id: 'pl', name: 'again', currency: 'PLN' }] });
    expect(bad.status).toBe(400);
    expect((await json(bad)).error.fields.map((f: Json) => f.field)).toEqual(['stores[0].id', 'stores[0].name', 'stores[0].currency', 'stores[1].currency', 'stores[2].id']);
    expect((await json(await get(site, '/api/settings'))).settings.stores).toEqual([]);
    expect((await json(await put(site, '/api/settings', { stores: STORES }))).settings.stores).toEqual(STORES);
  });

  it("an order names one of the site's stores and has its currency; an unknown or missing store is a 400 naming data[store]", async () => {
    const site = await multistore();
    const ok = await json(await post(site, '/api/updateOrder', order('S-1', { store: 'pl' })));
    expect(ok.order).toMatchObject({ store: 'pl', currency: 'PLN' });
    for (const [extra, reason] of [
      [{ store: 'de' }, 'is not a store of this site (its stores: fr, pl)'],
      [{}, 'is required: this site has several stores (fr, pl)'],
    ] as const) {
      const res = await post(site, '/api/updateOrder', order('S-2', extra));
      expect(res.status).toBe(400);
      expect((await json(res)).error.fields).toEqual([{ field: 'data[store]', reason }]);
    }
    expect(await env.DB.prepare("SELECT count(*) AS n FROM orders WHERE site_id = ? AND idorder = 'S-2'").bind(site.siteId).first('n')).toBe(0);
  });

  it('a site without stores works as before and refuses a store', async () => {
    const site = await newSite();
    expect((await post(site, '/api/updateOrder', order('S-3'))).status).toBe(200);
    const res = await post(site, '/api/updateOrder', order('S-4', { store: 'fr' }));
    expect(res.status).toBe(400);
    expect((await json(res)).error.fields[0].field).toBe('data[store]');
    expect((await get(site, '/api/orders/recent?store=fr')).status).toBe(400);
  });

  it('browser events carry their store; an order must name one; the lists filter by store', async () => {
    const site = await multistore();
    const res = await beacon(
      site,
      event('page', { url: 'https://shop.test/fr/' }, { store: 'fr' }),
      event('page', { url: 'https://shop.test/' }),
      event('order', order('S-5').data, { store: 'fr' }),
      event('order', order('S-6').data),
      event('page', { url: 'https://shop.test/de/' }, { store: 'de' }),
      event('order', { ...order('S-7').data, store: 'fr' }, { store: 'fr' }),
    );
    expect(res.status).toBe(400);
    expect((await json(res)).error.fields).toEqual([
      { field: 'events[3].store', reason: 'is required: this site has several stores (fr, pl)' },
      { field: 'events[4].store', reason: 'is not a store of this site (its stores: fr, pl)' },
      { field: 'events[5].data[store]', reason: "unknown field: a browser event's store is the event's own (events[5].store)" },
    ]);
    await post(site, '/api/updateOrder', order('S-8', { store: 'pl' }));
    expect((await recent(site, '?store=fr')).map((o) => [o.order_idorder, o.store, o.currency])).toEqual([['S-5', 'fr', 'EUR']]);
    expect((await recent(site, '?store=pl')).map((o) => o.order_idorder)).toEqual(['S-8']);
    expect((await recent(site)).map((o) => o.order_idorder)).toEqual(['S-8', 'S-5']);
    const events = (await json(await get(site, '/api/events/recent?store=fr'))).events as Json[];
    expect(events.map((e) => [e.type, e.store])).toEqual([
      ['order', 'fr'],
      ['page', 'fr'],
    ]);
    expect((await json(await get(site, '/api/events/recent'))).events).toHaveLength(3);
    const bad = await get(site, '/api/events/recent?store=de');
    expect(bad.status).toBe(400);
    expect((await json(bad)).error.fields).toEqual([{ field: 'store', reason: 'is not a store of this site (its stores: fr, pl)' }]);
  });

  it('GET mode takes &store=', async () => {
    const site = await multistore();
    const q = new URLSearchParams({ key: site.publicKey, type: 'page', id: 'lines-get-000000001', ts: '1764000000000', sbt: SBT, store: 'pl', 'data[url]': 'https://shop.test/pl/' });
    expect((await SELF.fetch(`https://tracker.test/collect?${q}`)).status).toBe(200);
    expect(await env.DB.prepare("SELECT store FROM events WHERE site_id = ? AND event_id = 'lines-get-000000001'").bind(site.siteId).first('store')).toBe('pl');
  });

  it("a store's orders and events are served by their index, with no sort step", async () => {
    const plan = async (sqlText: string, ...params: unknown[]) =>
      (await env.DB.prepare(`EXPLAIN QUERY PLAN ${sqlText}`).bind(...params).all<{ detail: string }>()).results.map((r) => r.detail);
    const orders = await plan(RECENT_STORE_ORDERS_SQL, 1, 20, '[]', 'fr');
    expect(orders.join('\n')).not.toMatch(/TEMP B-TREE/);
    expect(orders).toContain('SEARCH o USING INDEX orders_site_store_recent (site_id=? AND store=?)');
    const events = await plan(RECENT_STORE_EVENTS_SQL, 1, 'fr');
    expect(events.join('\n')).not.toMatch(/TEMP B-TREE/);
    expect(events).toContain('SEARCH events USING INDEX events_site_store_recent (site_id=? AND store=?)');
    // The site-wide lists keep theirs.
    expect((await plan(RECENT_ORDERS_SQL, 1, 20, '[]')).join('\n')).toContain('orders_site_recent');
    expect((await plan(RECENT_EVENTS_SQL, 1)).join('\n')).toContain('events_site_recent');
  });
});
