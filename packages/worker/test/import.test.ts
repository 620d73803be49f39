// Historical imports: POST /api/import/customers and /api/import/orders (what `npm run import`
// sends), checked row by row as the API checks a call, written in a few statements, counted once.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import app from '../src/index';
import { countingDb } from './counting-db';
import { loggedIn } from './dashboard-client';
import { get, newSite, post, put, type TestSite } from './helpers';

type Json = Record<string, any>;
const json = async (res: Response) => (await res.json()) as Json;

let n = 0;
const batch = (rows: Json[], extra: Json = {}) => ({ import: `imp_test${String(++n).padStart(8, '0')}`, file: 'history.csv', batch: 0, first_row: 1, rows: rows.map((data) => ({ data })), ...extra });
const send = (site: TestSite, kind: 'customers' | 'orders', body: Json) => post(site, `/api/import/${kind}`, body, 'json');

const orderRow = (i: number, extra: Json = {}) => ({
  customer_email: `c${i % 5}@shop.test`,
  customer_name: `Name ${i % 5}`,
  order_idorder: `H-${i}`,
  order_state: 100,
  order_amount: 10 + i,
  order_crea_dt: `2024-0${1 + (i % 9)}-1${i % 10} 08:30:00`,
  items: [{ sku: `S-${i}`, name: 'Thing', category: `Home/Kitchen/Knives`, quantity: 1, unit_price: 10 + i }],
  ...extra,
});

const all = async (sqlText: string, ...params: unknown[]) => (await env.DB.prepare(sqlText).bind(...params).all<Json>()).results;
const snapshot = async (site: TestSite) => ({
  profiles: await all('SELECT * FROM profiles WHERE site_id = ? ORDER BY id', site.siteId),
  orders: await all('SELECT * FROM orders WHERE site_id = ? ORDER BY id', site.siteId),
  lines: await all('SELECT l.* FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.site_id = ? ORDER BY l.order_id, l.line', site.siteId),
  triggers: await all('SELECT type, data FROM triggers WHERE site_id = ? ORDER BY id', site.siteId),
});

describe('POST /api/import/customers', () => {
  it('takes the good rows, names the bad ones by row number, field and reason, and writes profiles with source import', async () => {
    const site = await newSite();
    const res = await send(site, 'customers', {
      ...batch([
        { customer_email: 'ann@shop.test', external_id: 'A-1', customer_firstname: 'Ann', add_tag: ['vip'] },
        { customer_email: 'not an email' },
        { customer_email: 'bob@shop.test', customer_isoptin: 1 },
        { customer_name: 'nobody' },
        { customer_email: 'ann2@shop.test', external_id: 'A-1' },
      ]),
      first_row: 41,
    });
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body).toMatchObject({ ok: true, taken: 3, counted: true });
    expect(body.rejected).toEqual([
      { row: 42, field: 'data[customer_email]', reason: expect.stringContaining('email') },
      { row: 44, field: 'data[customer_email]', reason: 'customer_email or external_id is required' },
    ]);
    const profiles = await all('SELECT email, external_id, firstname, tags, source, has_account, server_written, version FROM profiles WHERE site_id = ? ORDER BY id', site.siteId);
    // Rows 41 and 45 are one customer: the later email wins, as a later API call would.
    expect(profiles).toEqual([
      { email: 'ann2@shop.test', external_id: 'A-1', firstname: 'Ann', tags: '["vip","registration"]', source: 'import', has_account: 1, server_written: 1, version: 1 },
      { email: 'bob@shop.test', external_id: null, firstname: null, tags: '["newsletter"]', source: 'import', has_account: 0, server_written: 1, version: 1 },
    ]);
    const created = (await all("SELECT data FROM triggers WHERE site_id = ? AND type = 'profile.created'", site.siteId)).map((t) => JSON.parse(t.data).source);
    expect(created).toEqual(['import', 'import']);
    const imports = (await json(await get(site, '/api/imports'))).imports;
    expect(imports).toMatchObject([{ kind: 'customers', file: 'history.csv', taken: 3, rejected: 2, batches: 1, status: 'running' }]);
  });

  it('a batch sent again writes nothing new and is not counted twice; done marks the import done', async () => {
    const site = await newSite();
    const body = batch([{ customer_email: 'a@shop.test', customer_name: 'A' }, { customer_email: 'b@shop.test' }]);
    await send(site, 'customers', body);
    const before = await snapshot(site);
    const again = await json(await send(site, 'customers', body));
    expect(again).toMatchObject({ taken: 2, counted: false, rejected: [] });
    expect(await snapshot(site)).toEqual(before);
    await send(site, 'customers', { ...body, batch: 1, first_row: 3, rows: [{ data: { customer_email: 'c@shop.test' } }] });
    const done = await send(site, 'customers', { ...body, batch: 2, first_row: 4, rows: [], done: true });
    expect(done.status).toBe(200);
    expect((await json(await get(site, '/api/imports'))).imports).toMatchObject([{ import: body.import, taken: 3, rejected: 0, batches: 2, status: 'done' }]);
  });

  it('never overrides what the live API wrote: on its profiles it fills only what is empty', async () => {
    const site = await newSite();
    await post(site, '/api/updateCustomer', { data: { customer_email: 'live@shop.test', customer_name: 'Live', customer_isoptin: 0 } });
    const res = await json(await send(site, 'customers', batch([{ customer_email: 'live@shop.test', customer_name: 'Old', customer_city: 'Lyon', customer_isoptin: 1 }])));
    expect(res.taken).toBe(1);
    const [p] = await all('SELECT name, city, isoptin, source FROM profiles WHERE site_id = ?', site.siteId);
    expect(p).toEqual({ name: 'Live', city: 'Lyon', isoptin: 0, source: 'api' });
  });

  it('refuses an envelope that is not one, naming each field; nothing is written', async () => {
    const site = await newSite();
    const res = await send(site, 'customers', { import: 'nope', file: '', batch: -1, first_row: 0, rows: Array(1001).fill({}), extra: 1 });
    expect(res.status).toBe(400);
    expect((await json(res)).error.fields.map((f: Json) => f.field)).toEqual(['extra', 'import', 'file', 'batch', 'first_row', 'rows']);
    expect((await post(site, '/api/import/products', batch([]), 'json')).status).toBe(404);
  });
});

describe('the dashboard Imports page', () => {
  it("shows each import's progress as the Worker took it, live", async () => {
    const site = await newSite();
    const client = await loggedIn(site);
    expect(await (await client.get('/dashboard/imports')).text()).toContain('No import yet.');
    const body = batch([{ customer_email: 'a@shop.test' }, { customer_email: 'bad' }]);
    await send(site, 'customers', body);
    const html = await (await client.get('/dashboard/imports')).text();
    expect(html).toContain(`<td data-label="File" class="c-file">history.csv\n${body.import}</td>`);
    expect(html).toContain('<td data-label="Status" class="c-status" data-v="running">running</td>');
    expect(html).toContain('<td data-label="Rows taken" class="c-taken">1</td>');
    expect(html).toContain('<td data-label="Rejected" class="c-rejected">1</td>');
    await send(site, 'customers', { ...body, batch: 1, first_row: 3, rows: [], done: true });
    const live = (await (await client.get('/dashboard/imports.json')).json()) as Json;
    expect(live.rows[0][2]).toBe('done');
    // Another site's imports are not shown.
    const other = await loggedIn(await newSite());
    expect(((await (await other.get('/dashboard/imports.json')).json()) as Json).rows).toEqual([]);
  });
});

describe('POST /api/import/orders', () => {
  it('writes orders as history: their own dates, no order trigger, lines and category tags; customers grouped', async () => {
    const site = await newSite();
    const rows = Array.from({ length: 12 }, (_, i) => orderRow(i));
    rows.push(orderRow(3, { order_state: 0, order_amount: 1 })); // H-3 again: the later row wins
    const res = await json(await send(site, 'orders', batch(rows)));
    expect(res).toMatchObject({ taken: 13, rejected: [] });
    const orders = await all('SELECT idorder, state, amount, crea_dt, source, received_at, updated_at, version FROM orders WHERE site_id = ? ORDER BY idorder', site.siteId);
    expect(orders).toHaveLength(12);
    const h3 = orders.find((o) => o.idorder === 'H-3')!;
    expect(h3).toMatchObject({ state: 0, amount: 1, crea_dt: '2024-04-13 08:30:00', source: 'import', version: 1, received_at: Date.parse('2024-04-13T08:30:00Z') });
    expect(h3.updated_at).toBe(h3.received_at);
    expect(await all('SELECT count(*) AS n FROM profiles WHERE site_id = ?', site.siteId)).toEqual([{ n: 5 }]);
    expect((await all('SELECT count(*) AS n FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE o.site_id = ?', site.siteId))[0].n).toBe(12);
    const types = (await all('SELECT DISTINCT type FROM triggers WHERE site_id = ?', site.siteId)).map((t) => t.type);
    expect(types).toEqual(['profile.created']);
    const [c0] = await all("SELECT tags FROM profiles WHERE site_id = ? AND email = 'c0@shop.test'", site.siteId);
    expect(JSON.parse(c0.tags)).toEqual(['Home', 'Kitchen', 'Knives']);
    // Verify orders keeps live orders on top: imported ones sort by their own date.
    await post(site, '/api/updateOrder', { data: { customer_email: 'live@shop.test', order_idorder: 'LIVE-1', order_state: 20, order_amount: 5, order_crea_dt: '2026-12-01 10:00:00' } });
    expect((await json(await get(site, '/api/orders/recent'))).orders[0]).toMatchObject({ order_idorder: 'LIVE-1' });
  });

  it('the same import twice changes nothing and doubles nothing', async () => {
    const site = await newSite();
    const rows = Array.from({ length: 20 }, (_, i) => orderRow(i));
    await send(site, 'orders', batch(rows));
    const before = await snapshot(site);
    const again = await json(await send(site, 'orders', batch(rows)));
    expect(again).toMatchObject({ taken: 20, rejected: [], counted: true });
    expect(await snapshot(site)).toEqual(before);
  });

  it('keeps an order the live API wrote, takes over one the browser made, refuses a bad row alone', async () => {
    const site = await newSite();
    await put(site, '/api/settings', { get_mode: true });
    await post(site, '/api/updateOrder', { data: { customer_email: 'c1@shop.test', order_idorder: 'H-1', order_state: 20, order_amount: 99, order_crea_dt: '2026-12-01 10:00:00' } });
    const beacon = { key: site.publicKey, events: [{ id: 'importbrowserorder0001', type: 'order', ts: Date.now(), sbt: 'ImPoRtViSiToR000001', data: orderRow(2, { order_state: 10 }) }] };
    await app.fetch(new Request('https://tracker.test/collect', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify(beacon) }), env, { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext);
    const orderTriggers = async () => (await all("SELECT count(*) AS n FROM triggers WHERE site_id = ? AND type LIKE 'order.%'", site.siteId))[0].n;
    expect(await orderTriggers()).toBe(2); // the API's order.created and the browser's
    const res = await json(await send(site, 'orders', batch([orderRow(1), orderRow(2), orderRow(3, { order_state: 7 })])));
    expect(res).toMatchObject({ taken: 2, kept: 1 });
    expect(res.rejected).toEqual([{ row: 3, field: 'data[order_state]', reason: expect.any(String) }]);
    const orders = await all('SELECT idorder, state, amount, source FROM orders WHERE site_id = ? ORDER BY idorder', site.siteId);
    expect(orders).toEqual([
      { idorder: 'H-1', state: 20, amount: 99, source: 'api' },
      { idorder: 'H-2', state: 100, amount: 12, source: 'import' },
    ]);
    expect(await orderTriggers()).toBe(2); // the import's take-over of H-2 (state 10 → 100) fired nothing
  });

  it("needs a store of the site's once it declares stores", async () => {
    const site = await newSite();
    await put(site, '/api/settings', { stores: [{ id: 'fr', name: 'FR', currency: 'EUR' }] });
    const res = await json(await send(site, 'orders', batch([orderRow(1, { store: 'fr' }), orderRow(2), orderRow(3, { store: 'de' })])));
    expect(res.taken).toBe(1);
    expect(res.rejected.map((r: Json) => [r.row, r.field])).toEqual([
      [2, 'data[store]'],
      [3, 'data[store]'],
    ]);
  });

  it("a batch of 1,000 orders of 250 customers with lines stays within D1's 50 queries per invocation", async () => {
    const site = await newSite();
    const rows = Array.from({ length: 1000 }, (_, i) => ({ ...orderRow(i), customer_email: `q${i % 250}@shop.test`, items: [orderRow(i).items[0], { sku: 'X', category: 'A/B' }] }));
    const { db, count } = countingDb(env.DB);
    const req = new Request('https://tracker.test/api/import/orders', { method: 'POST', headers: { authorization: site.auth, 'content-type': 'application/json' }, body: JSON.stringify(batch(rows)) });
    const res = await app.fetch(req, { ...env, DB: db }, { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext);
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ taken: 1000, rejected: [] });
    const queries = count();
    console.log(`an import batch of 1,000 orders: ${queries} D1 queries (Free plan: 50)`);
    expect(queries).toBeLessThanOrEqual(50);
    expect((await all('SELECT count(*) AS n FROM orders WHERE site_id = ?', site.siteId))[0].n).toBe(1000);
  });
});

describe('imports: the cases a review found', () => {
  it("moves an order to the customer a corrected file gives it; one stored customer in two groups gets both rows' fields", async () => {
    const site = await newSite();
    await send(site, 'orders', batch([orderRow(1, { customer_email: 'a@shop.test' })]));
    await send(site, 'orders', batch([orderRow(1, { customer_email: 'b@shop.test' })]));
    const [o] = await all('SELECT p.email FROM orders o JOIN profiles p ON p.id = o.profile_id WHERE o.site_id = ?', site.siteId);
    expect(o.email).toBe('b@shop.test');
    await send(site, 'customers', batch([{ customer_email: 'x@shop.test', external_id: 'X-1' }]));
    const res = await json(await send(site, 'customers', batch([{ customer_email: 'x@shop.test', customer_name: 'Ann' }, { external_id: 'X-1', customer_city: 'Lyon' }])));
    expect(res).toMatchObject({ taken: 2, rejected: [] });
    expect(await all("SELECT name, city FROM profiles WHERE site_id = ? AND external_id = 'X-1'", site.siteId)).toEqual([{ name: 'Ann', city: 'Lyon' }]);
  });

  it('an order id sent twice: the earlier row shares the later one\'s fate', async () => {
    const site = await newSite();
    await post(site, '/api/updateCustomer', { data: { customer_email: 'b@shop.test', external_id: 'Y-1' } });
    const res = await json(await send(site, 'orders', batch([orderRow(1, { customer_email: 'a@shop.test' }), orderRow(1, { customer_email: 'b@shop.test', external_id: 'X-9' })])));
    expect(res.taken).toBe(0);
    expect(res.rejected.map((r: Json) => [r.row, r.field])).toEqual([
      [1, 'data[order_idorder]'],
      [2, 'data[external_id]'],
    ]);
    expect(await all('SELECT count(*) AS n FROM orders WHERE site_id = ?', site.siteId)).toEqual([{ n: 0 }]);
  });

  it('the live API takes an imported order back: its changes fire triggers again, and a later import keeps them', async () => {
    const site = await newSite();
    await send(site, 'orders', batch([orderRow(1, { order_state: 20 })]));
    const live = await json(await post(site, '/api/updateOrder', { data: { ...orderRow(1), order_state: 50 } }, 'json'));
    expect(live.order).toMatchObject({ source: 'api', order_state: 50, order_crea_dt: orderRow(1).order_crea_dt });
    expect((await all("SELECT type FROM triggers WHERE site_id = ? AND type LIKE 'order.%'", site.siteId)).map((t) => t.type)).toEqual(['order.state_changed']);
    const again = await json(await send(site, 'orders', batch([orderRow(1, { order_state: 20 })])));
    expect(again).toMatchObject({ taken: 1, kept: 1 });
    expect(await all('SELECT state FROM orders WHERE site_id = ?', site.siteId)).toEqual([{ state: 50 }]);
    // A profile the import made, then the live API wrote: a later import only fills it.
    await send(site, 'customers', batch([{ customer_email: 'p@shop.test', customer_name: 'Old' }]));
    await post(site, '/api/updateCustomer', { data: { customer_email: 'p@shop.test', customer_name: 'Live' } });
    await send(site, 'customers', batch([{ customer_email: 'p@shop.test', customer_name: 'Older', customer_city: 'Nice' }]));
    expect(await all("SELECT name, city FROM profiles WHERE site_id = ? AND email = 'p@shop.test'", site.siteId)).toEqual([{ name: 'Live', city: 'Nice' }]);
  });

  it('a row larger than one API call may be is refused alone; an automatic tag sent as add_tag is not doubled', async () => {
    const site = await newSite();
    const huge = Array.from({ length: 40 }, () => Array.from({ length: 10 }, (_, i) => `k${i}:${'v'.repeat(190)}`));
    const res = await json(await send(site, 'orders', batch([orderRow(1, { product_attributes: huge }), orderRow(2)])));
    expect(res).toMatchObject({ taken: 1 });
    expect(res.rejected).toEqual([{ row: 1, field: 'data', reason: 'is larger than 64 KB, the most one /api/updateOrder call takes' }]);
    await post(site, '/api/updateCustomer', { data: { customer_email: 'r@shop.test', external_id: 'R-1', add_tag: ['registration'] } });
    expect(await all("SELECT tags FROM profiles WHERE site_id = ? AND email = 'r@shop.test'", site.siteId)).toEqual([{ tags: '["registration"]' }]);
  });
});

describe('the import statements', () => {
  it("are driven by the batch's rows, never by the site's: no scan of profiles, orders or lines", async () => {
    const imp = await import('../src/import');
    for (const [name, sqlText, params] of [
      ['INSERT_PROFILES', imp.INSERT_PROFILES, [1, '[]']],
      ['UPDATE_PROFILES', imp.UPDATE_PROFILES, [1, 1, '[]']],
      ['INSERT_ORDERS', imp.INSERT_ORDERS, [1, '[]', 1]],
      ['UPDATE_ORDERS', imp.UPDATE_ORDERS, [1, '[]']],
      ['DELETE_LINES', imp.DELETE_LINES, [1, '[]']],
      ['INSERT_LINES', imp.INSERT_LINES, [1, '[]', 1]],
      ['READ_PROFILES', imp.READ_PROFILES, [1, '[]', '[]']],
      ['READ_ORDERS', imp.READ_ORDERS, [1, '[]']],
      ['FAILED_INSERTS', imp.FAILED_INSERTS, [1, '[]', 1]],
    ] as const) {
      const plan = (await env.DB.prepare(`EXPLAIN QUERY PLAN ${sqlText}`).bind(...params).all<{ detail: string }>()).results.map((r) => r.detail);
      const bySite = plan.filter((d) => /^(SCAN (profiles|orders|order_lines|o|p)\b|SEARCH \w+ USING (COVERING )?INDEX \w+ \(site_id=\?\)$)/.test(d));
      expect(bySite, `${name}: ${plan.join(' | ')}`).toEqual([]);
    }
  });
});
