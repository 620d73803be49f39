// The verify views: orders (names of states, validated per the site's setting, source, filter),
// events and rejected requests, their JSON for the live refresh, and escaping of shop data.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { ordersPerHour } from '../src/dashboard/data';
import { loggedIn } from './dashboard-client';
import { newSite, post, put, SELF, seedOrder } from './helpers';

type Json = Record<string, any>;
const XSS = '<img src=x onerror=alert(1)>';

const order = (id: string, state: number, email: string, extra: Json = {}) => ({
  data: { customer_email: email, order_idorder: id, order_state: state, order_amount: 12.5, order_crea_dt: '2026-11-25 10:00:00', ...extra },
});

describe('verify order upload', () => {
  it("shows each order's lines, pick-up place, store and its currency; filters by store", async () => {
    const site = await newSite();
    await put(site, '/api/settings', {
      stores: [
        { id: 'fr', name: 'Boutique FR', currency: 'EUR' },
        { id: 'pl', name: 'Sklep PL', currency: 'PLN' },
      ],
    });
    const items = Array.from({ length: 7 }, (_, i) => ({ sku: `SKU-${i}`, name: `Thing ${i}`, quantity: i + 1 }));
    await post(site, '/api/updateOrder', order('M-1', 20, 'fr@shop.test', { store: 'fr', items, order_pickup_location: 'Relais Colis 42' }));
    await post(site, '/api/updateOrder', order('M-2', 20, 'pl@shop.test', { store: 'pl' }));
    const client = await loggedIn(site);
    const html = await (await client.get('/dashboard/orders')).text();
    const rows = html.split('<tr>').slice(2);
    expect(rows[0]).toContain('<td data-label="Order id" class="c-id">M-2\nSklep PL</td>');
    expect(rows[0]).toContain('<td data-label="Amount, lines" class="c-amount">12.50 PLN</td>');
    expect(rows[1]).toContain(
      '<td data-label="Amount, lines" class="c-amount">12.50 EUR\n1× SKU-0 Thing 0\n2× SKU-1 Thing 1\n3× SKU-2 Thing 2\n4× SKU-3 Thing 3\n5× SKU-4 Thing 4\n… 2 more\nPick-up: Relais Colis 42</td>',
    );
    expect(html).toContain('<option value="fr">Boutique FR (fr, EUR)</option>');
    const fr = await (await client.get('/dashboard/orders?store=fr')).text();
    expect(fr).toContain('<option value="fr" selected="">Boutique FR (fr, EUR)</option>');
    expect(fr).toContain('data-live="/dashboard/views/orders.json?store=fr"');
    expect(fr).toContain('>M-1\nBoutique FR</td>');
    expect(fr).not.toContain('>M-2\n');
    const live = (await (await client.get('/dashboard/views/orders.json?store=pl')).json()) as Json;
    expect(live.rows.map((r: string[]) => r[0])).toEqual(['M-2\nSklep PL']);
    // An unknown store shows them all.
    expect(((await (await client.get('/dashboard/views/orders.json?store=de')).json()) as Json).rows).toHaveLength(2);
    // Events: a Store column, and the same filter.
    const ev = (id: string, store?: string) => ({ id: `dashstore${id}0000000000`, type: 'page', ts: Date.now(), sbt: 'DaShStOrEvIsItOr0001', data: { url: 'https://shop.test/' }, ...(store ? { store } : {}) });
    await SELF.fetch('https://tracker.test/collect', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ key: site.publicKey, events: [ev('a', 'fr'), ev('b', 'pl'), ev('c')] }) });
    const events = await (await client.get('/dashboard/events?store=pl')).text();
    expect(events).toContain('<th scope="col">Store</th>');
    expect(events.match(/<td data-label="Store" class="c-store" data-v="[a-z]*">/g)).toEqual(['<td data-label="Store" class="c-store" data-v="pl">']);
  });

  it('lists orders newest first with state names, validated per the setting, customer, tags, source and times', async () => {
    const site = await newSite();
    await post(site, '/api/updateOrder', seedOrder());
    await post(site, '/api/updateOrder', order('B-2', 20, 'ann@shop.test', { add_order_tag: ['vip', 'gift'] }), 'json');
    const client = await loggedIn(site);
    const res = await client.get('/dashboard/orders');
    expect(res.status).toBe(200);
    const html = await res.text();
    const rows = html.split('<tr>').slice(2); // after the header row
    expect(rows[0]).toContain('<td data-label="Order id" class="c-id">B-2</td>');
    expect(rows[0]).toContain('<td data-label="State" class="c-state" data-v="paid">paid</td>');
    expect(rows[0]).toContain('<td data-label="Validated" class="c-validated" data-v="yes">yes</td>');
    expect(rows[0]).toContain('<td data-label="Tags" class="c-tags">vip, gift</td>');
    expect(rows[0]).toContain('<td data-label="Source" class="c-source" data-v="API">API</td>');
    expect(rows[0]).toContain('<td data-label="Amount, lines" class="c-amount">12.50</td>');
    expect(rows[0]).toContain('<td data-label="Order date" class="c-date">2026-11-25\n10:00:00 UTC</td>');
    expect(rows[0]).toMatch(/<td data-label="Received" class="c-received">\d{4}-\d\d-\d\d\n\d\d:\d\d:\d\d UTC<\/td>/);
    expect(rows[1]).toContain('>0000001</td>');
    expect(rows[1]).toContain('data-v="taken">taken</td>');
    expect(rows[1]).toContain('data-v="no">no</td>'); // taken (10) is not validated while validation is at "paid"
    expect(rows[1]).toContain('<td data-label="Customer" class="c-customer">John Doe\njohn@doe.com\n12345xxx6789</td>');
    // Validation from "taken" (10): the taken order counts.
    await put(site, '/api/settings', { order_validation_state: 'taken' });
    const json = (await (await client.get('/dashboard/views/orders.json')).json()) as Json;
    expect(json.rows[1][4]).toBe('yes');
  });

  it('filters by order id or email, on the page (?q=) and in its JSON', async () => {
    const site = await newSite();
    await post(site, '/api/updateOrder', order('FIND-ME-1', 20, 'zoe@shop.test'), 'json');
    await post(site, '/api/updateOrder', order('OTHER-2', 20, 'max@shop.test'), 'json');
    const client = await loggedIn(site);
    const byId = await (await client.get('/dashboard/orders?q=find-me')).text();
    expect(byId).toContain('FIND-ME-1');
    expect(byId).not.toContain('OTHER-2');
    expect(byId).toContain('value="find-me"');
    const byEmail = (await (await client.get('/dashboard/views/orders.json?q=MAX@shop')).json()) as Json;
    expect(byEmail.rows.map((r: string[]) => r[0])).toEqual(['OTHER-2']);
    expect(byEmail.columns[0]).toEqual({ key: 'id', label: 'Order id' });
  });

  it('the JSON is the same rows the page shows, and only the session site\'s', async () => {
    const site = await newSite();
    const other = await newSite();
    await post(other, '/api/updateOrder', order('NOT-MINE', 20, 'x@shop.test'), 'json');
    await post(site, '/api/updateOrder', order('MINE', 20, 'y@shop.test'), 'json');
    const json = (await (await (await loggedIn(site)).get('/dashboard/views/orders.json')).json()) as Json;
    expect(json.rows.map((r: string[]) => r[0])).toEqual(['MINE']);
  });

  it('escapes every string from a shop or a visitor: an XSS customer renders as text', async () => {
    const site = await newSite();
    const res = await post(
      site,
      '/api/updateOrder',
      order(XSS, 20, 'xss@shop.test', { customer_name: XSS, external_id: XSS, add_order_tag: [XSS], custom_fields: { 7: XSS } }),
      'json',
    );
    expect(res.status).toBe(200);
    // …and the same in a refused request (its excerpt) and an event.
    await post(site, '/api/updateOrder', order('bad', 20, 'xss@shop.test', { customer_firstname: XSS, order_amount: 'x' }), 'json');
    await SELF.fetch('https://tracker.test/collect', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ key: site.publicKey, events: [{ id: 'xss0000000000001', type: 'page', ts: Date.now(), sbt: 'AbCdEfGhIjKlMnOpQrStUv', data: { title: XSS, url: 'https://shop.test/?q=<script>' } }] }),
    });
    const client = await loggedIn(site);
    for (const path of ['/dashboard/orders', '/dashboard/rejections', '/dashboard/events']) {
      let html = '';
      for (let i = 0; i < 50 && !html.includes('&lt;img'); i++) html = await (await client.get(path)).text(); // the log is written after the answer
      expect(html, path).toContain('&lt;img src=x onerror=alert(1)&gt;');
      expect(html, path).not.toMatch(/<img/i);
      expect(html, path).not.toContain('<script>');
    }
  });
});

describe('events and rejected requests', () => {
  it('recent events show type, sbt, time and data', async () => {
    const site = await newSite();
    await SELF.fetch('https://tracker.test/collect', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ key: site.publicKey, events: [{ id: 'evt0000000000001', type: 'page', ts: Date.now(), sbt: 'AbCdEfGhIjKlMnOpQrStUv', data: { title: 'Home' } }] }),
    });
    const client = await loggedIn(site);
    const html = await (await client.get('/dashboard/events')).text();
    expect(html).toContain('data-v="page">page</td>');
    expect(html).toContain('>AbCdEfGhIjKlMnOpQrStUv</td>');
    expect(html).toContain('&quot;title&quot;:&quot;Home&quot;');
    const json = (await (await client.get('/dashboard/views/events.json')).json()) as Json;
    expect(json.rows).toHaveLength(1);
    expect(json.columns.map((c: Json) => c.label)).toEqual(['Received', 'Type', 'sbt', 'Data']);
  });

  it('rejected requests show time, route, error code, fields with reasons and the redacted excerpt', async () => {
    const site = await newSite();
    const bad = seedOrder() as Json;
    bad.data.order_ammount = '1';
    await post(site, '/api/updateOrder', bad);
    const client = await loggedIn(site);
    let json: Json = { rows: [] };
    for (let i = 0; i < 50 && !json.rows.length; i++) json = (await (await client.get('/dashboard/views/rejections.json')).json()) as Json;
    const [row] = json.rows as string[][];
    expect(row[1]).toBe('POST /api/updateOrder');
    expect(row[2]).toBe('400 invalid_fields');
    expect(row[3]).toContain('data[order_ammount]: unknown field; did you mean order_amount?');
    expect(row[4]).toContain('customer_cookie%5D=[redacted]');
    const html = await (await client.get('/dashboard/rejections')).text();
    expect(html).toContain('data[order_ammount]: unknown field; did you mean order_amount?');
  });
});

describe('orders per hour, the last 48 hours (Verify orders)', () => {
  it('counts each hour’s orders of this site, the current hour last, and says it in words too', async () => {
    const [site, other] = [await newSite(), await newSite()];
    const now = Date.now();
    const HOUR = 3_600_000;
    for (const [s, id] of [[site, 'H-1'], [site, 'H-2'], [other, 'X-1']] as const) await post(s, '/api/updateOrder', order(id, 20, 'h@shop.test'), 'json');
    // Received now, and two older orders of this site: 3 hours ago, and 3 days ago (outside the chart).
    for (const [id, ago] of [['H-1', 0], ['H-2', 0], ['H-3', 3 * HOUR], ['H-4', 72 * HOUR]] as const) {
      if (ago) await post(site, '/api/updateOrder', order(id, 20, 'h@shop.test'), 'json');
      await env.DB.prepare('UPDATE orders SET received_at = ?1, updated_at = ?1 WHERE site_id = ?2 AND idorder = ?3').bind(now - ago, site.siteId, id).run();
    }
    const hours = await ordersPerHour(env.DB, site.siteId, now);
    expect(hours.counts).toHaveLength(48);
    expect(hours.counts.at(-1)).toBe(2);
    expect(hours.counts.at(-4)).toBe(1);
    expect(hours.counts.reduce((a, b) => a + b, 0)).toBe(3);
    const html = await (await (await loggedIn(site)).get('/dashboard/orders')).text();
    expect(html).toMatch(/<figcaption id="orders-chart-caption">Orders received per hour\. 3 orders received in the last 48 hours; the latest in the hour from [\d-]+ [\d:]+ UTC \(this hour\); at most 2 in one hour\.<\/figcaption>/);
    expect(html.match(/<rect /g)).toHaveLength(48);
    expect(html).toMatch(/<title>[\d-]+ [\d:]+ UTC: 2 orders<\/title>/);
    const empty = await (await (await loggedIn(await newSite())).get('/dashboard/orders')).text();
    expect(empty).toContain('No order received in the last 48 hours.');
  });
});
