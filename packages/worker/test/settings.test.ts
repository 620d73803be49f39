import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { get, newSite, post, put, SELF } from './helpers';

type Json = Record<string, any>;
const json = async (res: Response) => (await res.json()) as Json;

const order = (id: string, state: number, extra: Json = {}) => ({
  data: { customer_email: 'buyer@shop.test', order_idorder: id, order_state: state, order_amount: 5, order_crea_dt: '2026-01-01 10:00:00', ...extra },
});

describe('GET and PUT /api/settings', () => {
  it('starts from the defaults', async () => {
    const site = await newSite();
    expect(await json(await get(site, '/api/settings'))).toEqual({
      settings: {
        get_mode: false,
        order_validation_state: 'paid',
        gdpr: { on_order: null, on_account: null, email_optin: null, sms_optin: null },
        custom_fields: [],
        allowed_origins: [],
        daily_event_quota: 1_000_000,
        abandoned_cart_minutes: 60,
        optin_callback_url: null,
        optout_callback_url: null,
        callback_secret: null,
        stores: [],
        auto_tags: { registration: 'registration', newsletter: 'newsletter', categories: true },
      },
    });
  });

  it('updates only what is sent, and reads back what was written', async () => {
    const site = await newSite();
    await put(site, '/api/settings', { get_mode: true, gdpr: { on_order: 'purchase' } });
    const res = await json(await put(site, '/api/settings', { gdpr: { on_account: 'contract' }, allowed_origins: ['https://Shop.example/', 'http://localhost:3000'], daily_event_quota: 50_000 }));
    const expected = {
      get_mode: true,
      order_validation_state: 'paid',
      gdpr: { on_order: 'purchase', on_account: 'contract', email_optin: null, sms_optin: null },
      custom_fields: [],
      allowed_origins: ['https://shop.example', 'http://localhost:3000'],
      daily_event_quota: 50_000,
      abandoned_cart_minutes: 60,
      optin_callback_url: null,
      optout_callback_url: null,
      callback_secret: null,
      stores: [],
      auto_tags: { registration: 'registration', newsletter: 'newsletter', categories: true },
    };
    expect(res.settings).toEqual(expected);
    expect((await json(await get(site, '/api/settings'))).settings).toEqual(expected);
    const off = await json(await put(site, '/api/settings', { gdpr: { on_order: null }, allowed_origins: [] }));
    expect(off.settings.gdpr.on_order).toBeNull();
    expect(off.settings.gdpr.on_account).toBe('contract');
    expect(off.settings.allowed_origins).toEqual([]);
    const reset = await json(await put(site, '/api/settings', { daily_event_quota: null }));
    expect(reset.settings.daily_event_quota).toBe(1_000_000);
    expect((await put(site, '/api/settings', { daily_event_quota: 0 })).status).toBe(400);
  });

  it('refuses bad settings by field, and changes nothing', async () => {
    const site = await newSite();
    const res = await put(site, '/api/settings', {
      get_mode: 'yes',
      order_validation_state: 'shipped',
      gdpr: { on_order: 'has space', email_optin: { to: 'somewhere', id: 'x' }, colour: 1 },
      custom_fields: [{ id: 0, name: '' }, { id: 5, name: 'Size' }, { id: 5, name: 'Again' }],
      allowed_origins: ['https://shop.example/path', 'javascript:alert(1)'],
      theme: 'dark',
    });
    expect(res.status).toBe(400);
    expect((await json(res)).error.fields.map((f: Json) => f.field)).toEqual([
      'get_mode',
      'order_validation_state',
      'gdpr.on_order',
      'gdpr.email_optin.to',
      'gdpr.colour',
      'custom_fields[0].id',
      'custom_fields[0].name',
      'custom_fields[2].id',
      'allowed_origins[0]',
      'allowed_origins[1]',
      'theme',
    ]);
    expect((await json(await get(site, '/api/settings'))).settings.get_mode).toBe(false);
    for (const body of ['[]', '"x"', '{', '']) {
      const raw = await fetchRaw(site.auth, body);
      expect(raw.status, body).toBe(400);
    }
  });

  it('order_validation_state decides which orders are validated; cancelled never is', async () => {
    const site = await newSite();
    for (const [id, state] of [['c', 0], ['t', 10], ['p', 20], ['s', 50], ['r', 100]] as const) await post(site, '/api/updateOrder', order(id, state));
    const validated = async () =>
      Object.fromEntries(((await json(await get(site, '/api/orders/recent'))).orders as Json[]).map((o) => [o.order_idorder, o.validated]));
    expect(await validated()).toEqual({ c: false, t: false, p: true, s: true, r: true });
    expect((await json(await put(site, '/api/settings', { order_validation_state: 'taken' }))).settings.order_validation_state).toBe('taken');
    expect(await validated()).toEqual({ c: false, t: true, p: true, s: true, r: true });
    // State 10's name, "taken", is the one the orders show.
    const taken = ((await json(await get(site, '/api/orders/recent'))).orders as Json[]).find((o) => o.order_idorder === 't')!;
    expect(taken.order_state_name).toBe('taken');
  });

  it('takes "registered", the first name of state 10 here, for "taken", and answers "taken"', async () => {
    const site = await newSite();
    await post(site, '/api/updateOrder', order('t', 10));
    const res = await json(await put(site, '/api/settings', { order_validation_state: 'registered' }));
    expect(res.settings.order_validation_state).toBe('taken');
    expect((await json(await get(site, '/api/settings'))).settings.order_validation_state).toBe('taken');
    expect((await json(await get(site, '/api/orders/recent'))).orders[0].validated).toBe(true);
    expect((await json(await put(site, '/api/settings', { order_validation_state: 'paid' }))).settings.order_validation_state).toBe('paid');
    // Settings an earlier Worker stored with "registered" read as "taken", and validate from 10.
    const stored = await newSite();
    await env.DB.prepare(`UPDATE sites SET settings = '{"order_validation_state":"registered"}' WHERE id = ?`).bind(stored.siteId).run();
    await post(stored, '/api/updateOrder', order('t', 10));
    expect((await json(await get(stored, '/api/settings'))).settings.order_validation_state).toBe('taken');
    expect((await json(await get(stored, '/api/orders/recent'))).orders[0].validated).toBe(true);
    // Any other name is refused, and says the two.
    const bad = await json(await put(site, '/api/settings', { order_validation_state: 'Taken' }));
    expect(bad.error.fields).toEqual([{ field: 'order_validation_state', reason: 'must be "paid" (validated from state 20) or "taken" (from state 10)' }]);
  });

  it('puts the profile under the order legal basis on a new order only', async () => {
    const site = await newSite();
    await put(site, '/api/settings', { gdpr: { on_order: 'purchase' } });
    const first = await json(await post(site, '/api/updateOrder', order('o1', 10)));
    expect(first.profile.gdpr.legal_bases.purchase).toMatchObject({ status: 'accepted', source: 'api', reason: 'order' });
    const at = first.profile.gdpr.legal_bases.purchase.at;
    await new Promise((r) => setTimeout(r, 5));
    const update = await json(await post(site, '/api/updateOrder', order('o1', 20)));
    expect(update.profile.gdpr.legal_bases.purchase.at).toBe(at);
    // A profile created without an order has no basis until it orders.
    const other = await json(await post(site, '/api/updateCustomer', { data: { customer_email: 'later@shop.test' } }));
    expect(other.profile.gdpr).toEqual({});
    const ordered = await json(await post(site, '/api/updateOrder', order('o2', 10, { customer_email: 'later@shop.test' })));
    expect(ordered.profile.gdpr.legal_bases.purchase.status).toBe('accepted');
  });

  it('once custom fields are declared, refuses values for other ids', async () => {
    const site = await newSite();
    expect((await post(site, '/api/updateCustomer', { data: { customer_email: 'a@b.test', custom_fields: { 999: 'x' } } })).status).toBe(200);
    await put(site, '/api/settings', { custom_fields: [{ id: 327, name: 'Loyalty tier' }, { id: 328, name: 'Shoe size' }] });
    const res = await post(site, '/api/updateCustomer', { data: { customer_email: 'a@b.test', custom_fields: { 327: 'gold', 999: 'x' } } });
    expect(res.status).toBe(400);
    expect((await json(res)).error.fields).toEqual([
      { field: 'data[custom_fields][999]', reason: 'is not a custom field of this site (declared: 327, 328)' },
    ]);
    expect((await post(site, '/api/updateCustomer', { data: { customer_email: 'a@b.test', custom_fields: { 327: 'gold' } } })).status).toBe(200);
  });
});

function fetchRaw(auth: string, body: string) {
  return SELF.fetch('https://tracker.test/api/settings', { method: 'PUT', headers: { authorization: auth, 'content-type': 'application/json' }, body });
}
