// The browser tracker is anyone holding the site's public key (every shop page carries it). With
// GET mode on it may send accounts, orders and opt-ins, but it never takes over, cancels or
// rewrites what the shop's server wrote: automations would broadcast the forgery.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { get, newSite, post, put, SELF, type TestSite } from './helpers';

type Json = Record<string, any>;
const json = async (res: Response) => (await res.json()) as Json;

let n = 0;
const SBT = 'TrUsTvIsItOrCoOkIe0001';
const event = (type: string, data: Json, sbt = SBT) => ({ id: `trust${String(++n).padStart(12, '0')}`, type, ts: 1_764_000_000_000 + n, sbt, data });
const beacon = (site: TestSite, ...events: Json[]) =>
  SELF.fetch('https://tracker.test/collect', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ key: site.publicKey, events }) });

async function getModeSite(settings: Json = {}) {
  const site = await newSite();
  await put(site, '/api/settings', { get_mode: true, ...settings });
  return site;
}

const profiles = async (site: TestSite) =>
  (await env.DB.prepare('SELECT * FROM profiles WHERE site_id = ? ORDER BY id').bind(site.siteId).all<Json>()).results;
const order = (idorder: string, extra: Json = {}) => ({ order_idorder: idorder, order_state: 20, order_amount: 10, order_crea_dt: '2026-11-25 10:00:00', ...extra });

describe('identity: the browser never links an email and an external_id', () => {
  it("an account event naming a known email with another external_id attaches nothing; the shop's own call then works", async () => {
    const site = await getModeSite();
    await post(site, '/api/updateCustomer', { data: { customer_email: 'victim@shop.test', customer_name: 'Doe' } });
    expect((await beacon(site, event('account', { customer_email: 'victim@shop.test', external_id: 'evil' }))).status).toBe(204);
    const [p] = await profiles(site);
    expect(p).toMatchObject({ email: 'victim@shop.test', external_id: null, name: 'Doe' });
    const res = await post(site, '/api/updateOrder', { data: { customer_email: 'victim@shop.test', external_id: 'C-123', ...order('O-1') } });
    expect(res.status).toBe(200);
    expect((await json(res)).order).toMatchObject({ order_idorder: 'O-1', customer_email: 'victim@shop.test', external_id: 'C-123' });
    expect(await profiles(site)).toHaveLength(1);
  });

  it('the server re-links an email the browser linked to a made-up external_id, on a profile the browser created', async () => {
    const site = await getModeSite();
    await beacon(site, event('account', { customer_email: 'new@shop.test', external_id: 'evil', customer_name: 'Forged' }));
    expect(await profiles(site)).toMatchObject([{ email: 'new@shop.test', external_id: 'evil', email_source: 'tracker', external_id_source: 'tracker', server_written: 0 }]);
    const res = await post(site, '/api/updateOrder', { data: { customer_email: 'new@shop.test', external_id: 'C-9', customer_name: 'Real', ...order('O-2') } });
    expect(res.status).toBe(200);
    expect(await profiles(site)).toMatchObject([{ email: 'new@shop.test', external_id: 'C-9', name: 'Real', email_source: 'api', external_id_source: 'api', server_written: 1 }]);
  });

  it('the server takes back an external_id the browser put on a profile of its own', async () => {
    const site = await getModeSite();
    await post(site, '/api/updateCustomer', { data: { customer_email: 'a@shop.test' } });
    await beacon(site, event('account', { external_id: 'C-7', customer_name: 'Forged' }, 'OtherVisitorCookie0001'));
    const res = await post(site, '/api/updateOrder', { data: { customer_email: 'a@shop.test', external_id: 'C-7', ...order('O-3') } });
    expect(res.status).toBe(200);
    const rows = await profiles(site);
    expect(rows.find((p) => p.external_id === 'C-7')).toMatchObject({ email: 'a@shop.test', server_written: 1 });
    expect(rows.find((p) => p.cookie === 'OtherVisitorCookie0001')).toMatchObject({ email: null, external_id: null, name: 'Forged' });
  });

  it('the server takes an email off a profile the browser made for it under another external_id, even against one of its own', async () => {
    const site = await getModeSite();
    await post(site, '/api/updateCustomer', { data: { external_id: 'C-1', customer_name: 'Real' } });
    await beacon(site, event('account', { customer_email: 'x@shop.test', customer_name: 'Forged' }));
    const res = await post(site, '/api/updateOrder', { data: { customer_email: 'x@shop.test', external_id: 'C-1', ...order('O-4') } });
    expect(res.status).toBe(200);
    expect((await json(res)).profile).toMatchObject({ customer_email: 'x@shop.test', external_id: 'C-1', customer_name: 'Real' });
    expect((await profiles(site)).filter((p) => p.email === 'x@shop.test')).toHaveLength(1);
  });

  it('two server-made identities still conflict: 409, nothing written', async () => {
    const site = await getModeSite();
    await post(site, '/api/updateCustomer', { data: { customer_email: 'a@shop.test', external_id: 'A' } });
    await post(site, '/api/updateCustomer', { data: { customer_email: 'b@shop.test', external_id: 'B' } });
    const res = await post(site, '/api/updateOrder', { data: { customer_email: 'b@shop.test', external_id: 'A', ...order('O-5') } });
    expect(res.status).toBe(409);
    expect((await json(await get(site, '/api/orders/recent'))).orders).toEqual([]);
  });

  it('the browser cannot tell a known email from an unknown one: the same answer, and nothing linked', async () => {
    const site = await getModeSite();
    await post(site, '/api/updateCustomer', { data: { customer_email: 'a@shop.test', external_id: 'A' } });
    await post(site, '/api/updateCustomer', { data: { customer_email: 'b@shop.test', external_id: 'B' } });
    const known = await beacon(site, event('account', { customer_email: 'b@shop.test', external_id: 'A' }), event('page', {}));
    const unknown = await beacon(site, event('account', { customer_email: 'nobody@shop.test', external_id: 'Z' }), event('page', {}));
    expect([known.status, await known.text()]).toEqual([unknown.status, await unknown.text()]);
    expect(known.status).toBe(204);
    expect((await profiles(site)).map((p) => [p.email, p.external_id])).toEqual([
      ['a@shop.test', 'A'],
      ['b@shop.test', 'B'],
      ['nobody@shop.test', 'Z'],
    ]);
  });
});

describe('orders: the server owns what it wrote', () => {
  it('an order the browser created becomes the server’s once the server writes it; then the browser changes nothing of it', async () => {
    const site = await getModeSite();
    await beacon(site, event('order', { customer_email: 'w@shop.test', ...order('W-1', { order_state: 10, order_amount: 5, order_crea_dt: '2026-11-25 09:00:00' }) }));
    const res = await post(site, '/api/updateOrder', { data: { customer_email: 'w@shop.test', ...order('W-1', { order_crea_dt: '2026-11-25 08:59:00' }) } });
    expect((await json(res)).order).toMatchObject({ source: 'api', order_crea_dt: '2026-11-25 08:59:00', order_state: 20, order_amount: 10 });
    const before = await env.DB.prepare('SELECT * FROM orders WHERE site_id = ?').bind(site.siteId).first();
    const forged = { customer_email: 'w@shop.test', ...order('W-1', { order_state: 0, order_amount: 0, order_crea_dt: '2020-01-01 00:00:00', order_start_service: '2030-01-01', add_order_tag: ['x'], product_attributes: [['size:s']] }) };
    expect((await beacon(site, event('order', forged))).status).toBe(204);
    expect(await env.DB.prepare('SELECT * FROM orders WHERE site_id = ?').bind(site.siteId).first()).toEqual(before);
  });

  it('a call that changes nothing moves neither version nor updated_at, and is not "created"', async () => {
    const site = await newSite();
    const body = { data: { customer_email: 'r@shop.test', customer_name: 'R', add_tag: ['t'], custom_fields: { 5: 'v' }, customer_isoptin: 1, ...order('R-1', { add_order_tag: ['a'], product_attributes: [['k:v']] }) } };
    const first = await json(await post(site, '/api/updateOrder', body));
    expect(first.created).toBe(true);
    const rows = async () => [
      await env.DB.prepare('SELECT version, updated_at FROM orders WHERE site_id = ?').bind(site.siteId).first(),
      await env.DB.prepare('SELECT version, updated_at FROM profiles WHERE site_id = ?').bind(site.siteId).first(),
    ];
    const before = await rows();
    await new Promise((r) => setTimeout(r, 5));
    const again = await json(await post(site, '/api/updateOrder', body));
    expect(again.created).toBe(false);
    expect(await rows()).toEqual(before);
    await post(site, '/api/updateOrder', { data: { ...body.data, order_state: 50 } });
    expect((await rows())[0]).toMatchObject({ version: 2 });
    expect((await rows())[1]).toMatchObject({ version: 1 });
  });
});

describe('profiles: on a profile the server wrote, the browser only fills what is empty', () => {
  it('never overwrites a name, an address, an opt-in, tags, custom fields or the cookie; never applies del_tag', async () => {
    const site = await getModeSite({ custom_fields: [{ id: 1, name: 'Tier' }, { id: 2, name: 'Source' }] });
    await post(site, '/api/updateCustomer', {
      data: { customer_email: 'v@shop.test', customer_cookie: 'ServerCookie00000001', customer_name: 'Doe', customer_city: 'Rouen', customer_isoptin: 1, add_tag: ['vip'], custom_fields: { 1: 'gold' } },
    });
    const before = (await profiles(site))[0];
    const res = await beacon(
      site,
      event('account', { customer_email: 'v@shop.test', customer_name: 'Evil', customer_firstname: 'Eve', customer_city: 'Nowhere', customer_isoptin: 0, add_tag: ['x'], del_tag: ['vip'], custom_fields: { 1: 'lead', 2: 'web' } }),
    );
    expect(res.status).toBe(204);
    const [p] = await profiles(site);
    expect(p).toMatchObject({ name: 'Doe', firstname: 'Eve', city: 'Rouen', isoptin: 1, isoptin_source: 'api', isoptin_at: before.isoptin_at, cookie: 'ServerCookie00000001' });
    // The server's sign-up (an email opt-in, no account) got the automatic tag newsletter.
    expect(JSON.parse(before.tags)).toEqual(['vip', 'newsletter']);
    expect(JSON.parse(p.tags)).toEqual(['vip', 'newsletter']);
    expect(JSON.parse(p.custom_fields)).toEqual({ 1: 'gold', 2: 'web' });
    expect(p.version).toBe(before.version + 1);
    // The same event again changes nothing at all.
    await beacon(site, event('account', { customer_email: 'v@shop.test', customer_name: 'Evil', customer_firstname: 'Eve' }));
    expect((await profiles(site))[0]).toEqual(p);
  });

  it("the event's sbt is the cookie: data's customer_cookie cannot name another visitor", async () => {
    const site = await getModeSite();
    const res = await beacon(site, event('account', { customer_email: 'c@shop.test', customer_cookie: 'SomeoneElse000000001' }));
    expect(res.status).toBe(400);
    expect((await json(res)).error.fields).toEqual([{ field: 'events[0].data[customer_cookie]', reason: "must be this visitor's sbt (or left out): only the shop's server may name another cookie" }]);
    expect((await beacon(site, event('account', { customer_email: 'c@shop.test', customer_cookie: SBT }))).status).toBe(204);
    expect((await profiles(site))[0]).toMatchObject({ email: 'c@shop.test', cookie: SBT });
  });

  it('browser opt-ins are recorded as the tracker’s and never revoke a consent the server recorded', async () => {
    const site = await getModeSite({ gdpr: { email_optin: { to: 'consent', id: 'newsletter' } } });
    // A visitor of the browser only: its own choices, both ways.
    await beacon(site, event('optin', { customer_email: 'b@shop.test', customer_isoptin: 1 }));
    await beacon(site, event('optin', { customer_email: 'b@shop.test', customer_isoptin: 0 }));
    const [b] = await profiles(site);
    expect(b).toMatchObject({ isoptin: 0, isoptin_source: 'tracker' });
    expect(JSON.parse(b.gdpr).consents.newsletter).toMatchObject({ status: 'refused', source: 'tracker', reason: 'email_optin' });
    // A consent the server recorded stands.
    await post(site, '/api/updateCustomer', { data: { customer_email: 's@shop.test', customer_isoptin: 1 } });
    await beacon(site, event('optin', { customer_email: 's@shop.test', customer_isoptin: 0 }));
    const s = (await profiles(site)).find((p) => p.email === 's@shop.test')!;
    expect(s).toMatchObject({ isoptin: 1, isoptin_source: 'api' });
    expect(JSON.parse(s.gdpr).consents.newsletter).toMatchObject({ status: 'accepted', source: 'api' });
  });

  it('an opt-in by cookie (no email) follows the same rules on a server profile', async () => {
    const site = await getModeSite();
    await post(site, '/api/updateCustomer', { data: { customer_email: 'm@shop.test', customer_cookie: SBT, customer_mobile: '0600000000', customer_mobile_isoptin: 1 } });
    await beacon(site, event('optin', { customer_mobile: '0700000000', customer_mobile_isoptin: 0 }));
    expect((await profiles(site))[0]).toMatchObject({ mobile: '0600000000', mobile_isoptin: 1, mobile_isoptin_source: 'api' });
  });
});
