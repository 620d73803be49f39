import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { get, newSite, phpQuery, post, seedOrder, SELF, type TestSite } from './helpers';

type Json = Record<string, any>;
const json = async (res: Response) => (await res.json()) as Json;

const rows = async (siteId: number) => {
  const orders = await env.DB.prepare('SELECT * FROM orders WHERE site_id = ?').bind(siteId).all<Json>();
  const profiles = await env.DB.prepare('SELECT * FROM profiles WHERE site_id = ?').bind(siteId).all<Json>();
  return { orders: orders.results, profiles: profiles.results };
};

const minimalOrder = (id: string, extra: Json = {}) => ({
  data: { customer_email: 'jane@shop.test', order_idorder: id, order_state: 20, order_amount: '10.50', order_crea_dt: '2026-01-02 03:04:05', ...extra },
});

describe('POST /api/updateOrder', () => {
  it('takes the seed’s PHP body (http_build_query) and stores every field', async () => {
    const site = await newSite();
    const res = await post(site, '/api/updateOrder', seedOrder());
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body).toMatchObject({
      ok: true,
      created: true,
      order: {
        order_idorder: '0000001',
        order_state: 10,
        order_state_name: 'taken',
        order_amount: 158.31,
        order_crea_dt: '2014-06-21 14:31:08',
        order_start_service: '2019-06-05',
        order_end_service: '2019-06-14',
        order_tags: ['tag_commande_1', 'tag_commande_2'],
        product_attributes: [
          ['size:xl', 'type:shirt'],
          ['size:s', 'color:blue'],
        ],
        validated: false,
        source: 'api',
        customer_email: 'john@doe.com',
        external_id: '12345xxx6789',
        customer_cookie: 'c2J0LXRlc3QtY29va2ll',
      },
      profile: {
        customer_email: 'john@doe.com',
        external_id: '12345xxx6789',
        customer_cookie: 'c2J0LXRlc3QtY29va2ll',
        customer_name: 'Doe',
        customer_firstname: 'John',
        customer_isoptin: 1,
        customer_gender: 'male',
        customer_address: '8, rue de la place',
        customer_address2: 'bâtiment A',
        customer_address3: 'appartement 23',
        customer_cp: '76000',
        customer_city: 'Rouen',
        customer_country: 'FR',
        customer_tel: '0235000000',
        customer_mobile: '060606606',
        customer_fonction: 'developer',
        customer_company: 'SPREAD',
        customer_birthday: '1970-12-31',
        customer_lang: 'fr_FR',
        tags: ['tag1', 'tag2'],
        custom_fields: { '327': 'value' },
        source: 'api',
      },
    });
    expect(body.profile.customer_isoptin_at).toMatch(/^\d{4}-\d\d-\d\dT/);
    const { orders, profiles } = await rows(site.siteId);
    expect(orders).toHaveLength(1);
    expect(profiles).toHaveLength(1);
    expect(orders[0].profile_id).toBe(profiles[0].id);
  });

  it('takes the same { data, request } shape as JSON', async () => {
    const site = await newSite();
    const res = await post(site, '/api/updateOrder', seedOrder(), 'json');
    expect(res.status).toBe(200);
    expect((await json(res)).order).toMatchObject({ order_idorder: '0000001', order_amount: 158.31, order_tags: ['tag_commande_1', 'tag_commande_2'] });
  });

  it('creates on the first call with an order_idorder and updates on every later one, keeping the first crea_dt', async () => {
    const site = await newSite();
    const first = await json(await post(site, '/api/updateOrder', seedOrder()));
    const next = seedOrder();
    Object.assign(next.data, {
      order_state: '50',
      order_amount: '99.9',
      order_crea_dt: '2020-01-01 00:00:00',
      order_end_service: '2019-07-01',
      add_order_tag: ['shipped', 'tag_commande_1'],
      del_order_tag: ['tag_commande_2'],
      product_attributes: [['size:m']],
    });
    const second = await json(await post(site, '/api/updateOrder', next));
    expect(second.created).toBe(false);
    expect(second.order).toMatchObject({
      order_state: 50,
      order_state_name: 'sent',
      order_amount: 99.9,
      order_crea_dt: '2014-06-21 14:31:08',
      order_start_service: '2019-06-05',
      order_end_service: '2019-07-01',
      order_tags: ['tag_commande_1', 'shipped'],
      product_attributes: [['size:m']],
      validated: true,
      received_at: first.order.received_at,
    });
    expect(Date.parse(second.order.updated_at)).toBeGreaterThanOrEqual(Date.parse(first.order.updated_at));
    expect((await rows(site.siteId)).orders).toHaveLength(1);
  });

  it('keeps product attributes when they are not sent and clears them with an empty list', async () => {
    const site = await newSite();
    await post(site, '/api/updateOrder', seedOrder());
    const without = seedOrder() as Json;
    delete without.data.product_attributes;
    expect((await json(await post(site, '/api/updateOrder', without))).order.product_attributes).toHaveLength(2);
    const cleared = seedOrder() as Json;
    cleared.data.product_attributes = [];
    expect((await json(await post(site, '/api/updateOrder', cleared, 'json'))).order.product_attributes).toEqual([]);
    await post(site, '/api/updateOrder', seedOrder());
    // http_build_query drops an empty array, so a form body clears with an empty value.
    const form = phpQuery(seedOrder()).replace(/data%5Bproduct_attributes%5D[^&]*&?/g, '') + '&data%5Bproduct_attributes%5D=';
    const res = await SELF.fetch('https://tracker.test/api/updateOrder', {
      method: 'POST',
      headers: { authorization: site.auth, 'content-type': 'application/x-www-form-urlencoded' },
      body: form,
    });
    expect((await json(res)).order.product_attributes).toEqual([]);
  });

  it('accepts the order id in request[order_idorder] alone, and refuses it when it disagrees with data', async () => {
    const site = await newSite();
    const { data } = minimalOrder('A-1');
    const { order_idorder: _, ...rest } = data;
    const ok = await post(site, '/api/updateOrder', { data: rest, request: { order_idorder: 'A-1' } });
    expect((await json(ok)).order.order_idorder).toBe('A-1');
    const res = await post(site, '/api/updateOrder', { data, request: { order_idorder: 'A-2' } });
    expect(res.status).toBe(400);
    expect((await json(res)).error.fields).toEqual([
      { field: 'request[order_idorder]', reason: 'names order "A-2" but data[order_idorder] is "A-1"' },
    ]);
  });

  it('rounds JSON amounts carrying binary noise (0.1 + 0.2) to 8 decimals', async () => {
    const site = await newSite();
    const res = await post(site, '/api/updateOrder', minimalOrder('R-1', { order_amount: 0.1 + 0.2 }), 'json');
    expect((await json(res)).order.order_amount).toBe(0.3);
  });

  it('names every missing required field', async () => {
    const site = await newSite();
    const res = await post(site, '/api/updateOrder', { data: { customer_name: 'Doe' } });
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body.ok).toBe(false);
    expect(body.error.code).toBe('invalid_fields');
    expect(body.error.fields.map((f: Json) => f.field)).toEqual([
      'data[customer_email]',
      'data[order_idorder]',
      'data[order_state]',
      'data[order_amount]',
      'data[order_crea_dt]',
    ]);
  });

  it('identifies the customer by external_id alone', async () => {
    const site = await newSite();
    const { data } = minimalOrder('X-1');
    const { customer_email: _, ...rest } = data;
    const res = await post(site, '/api/updateOrder', { data: { ...rest, external_id: 'C-9' } });
    expect(res.status).toBe(200);
    expect((await json(res)).order).toMatchObject({ external_id: 'C-9', customer_email: null });
  });

  it('names an unknown field, with the field it was probably meant to be', async () => {
    const site = await newSite();
    const order = seedOrder() as Json;
    order.data.order_ammount = order.data.order_amount;
    const res = await post(site, '/api/updateOrder', order);
    expect(res.status).toBe(400);
    expect((await json(res)).error.fields).toEqual([{ field: 'data[order_ammount]', reason: 'unknown field; did you mean order_amount?' }]);
    const top = await post(site, '/api/updateOrder', { ...seedOrder(), extra: 1 });
    expect((await json(top)).error.fields[0].field).toBe('extra');
  });

  const badValues: [string, unknown, string][] = [
    ['order_state', '15', 'must be an order state: 0 cancelled, 10 taken, 20 paid, 50 sent, 100 received'],
    ['order_state', '1e1', 'must be an order state: 0 cancelled, 10 taken, 20 paid, 50 sent, 100 received'],
    ['order_amount', 'abc', 'must be a decimal number ≥ 0 with a dot, like 158.31'],
    ['order_amount', '-1', 'must be a decimal number ≥ 0 with a dot, like 158.31'],
    ['order_amount', '12,50', 'must be a decimal number ≥ 0 with a dot, like 158.31'],
    ['order_amount', '0.123456789', 'must be a decimal number ≥ 0 with a dot, like 158.31'],
    ['order_crea_dt', '2014-02-30 10:00:00', 'must be a UTC date and time, Y-m-d H:i:s, like 2014-06-21 14:31:08'],
    ['order_crea_dt', '2014-06-21T14:31:08Z', 'must be a UTC date and time, Y-m-d H:i:s, like 2014-06-21 14:31:08'],
    ['order_crea_dt', '2014-06-21 24:00:00', 'must be a UTC date and time, Y-m-d H:i:s, like 2014-06-21 14:31:08'],
    ['order_start_service', '2019-13-01', 'must be a date, Y-m-d, like 2019-06-05'],
    ['customer_birthday', '31/12/1970', 'must be a date, Y-m-d, like 2019-06-05'],
    ['customer_email', 'john.doe.com', 'must be an email address, like john@doe.com'],
    ['customer_isoptin', '2', 'must be 1 (opted in), 0 (not opted in) or -1 (unknown)'],
    ['customer_gender', 'm', 'must be one of: male, female'],
    ['customer_country', 'FRA', 'must be an ISO 3166-1 alpha-2 country code, like FR'],
    ['customer_country', 'XX', 'must be an ISO 3166-1 alpha-2 country code, like FR'],
    ['customer_lang', 'français', 'must be a language code, like fr_FR or fr'],
    ['customer_cookie', 'x', 'must be the sbt cookie value (8 to 128 characters: letters, digits, "-", "_", ".")'],
    ['customer_name', 'x'.repeat(256), 'must be at most 255 characters (got 256)'],
    ['customer_name', 'a\u0000b', 'must not contain control characters'],
  ];
  it.each(badValues)('refuses %s = %j with its reason', async (field, value, reason) => {
    const site = await newSite();
    const order = seedOrder() as Json;
    order.data[field] = value;
    const res = await post(site, '/api/updateOrder', order);
    expect(res.status).toBe(400);
    expect((await json(res)).error.fields).toEqual([{ field: `data[${field}]`, reason }]);
    expect((await rows(site.siteId)).orders).toHaveLength(0);
  });

  it('refuses nested values by their full path', async () => {
    const site = await newSite();
    const cases: [Json, string, string][] = [
      [{ custom_fields: { abc: 'x' } }, 'data[custom_fields][abc]', 'custom field ids are positive numbers, like 327'],
      [{ custom_fields: ['x'] }, 'data[custom_fields]', 'must be a map of custom field id to value, like custom_fields[327]=value'],
      [{ product_attributes: [['size:xl', 'oops']] }, 'data[product_attributes][0][1]', 'must be "key:value", like "size:xl" (got "oops")'],
      [{ add_tag: ['ok', ''] }, 'data[add_tag][1]', 'must not be empty'],
      [{ add_tag: [{ a: 1 }] }, 'data[add_tag][0]', 'must be a string'],
      [{ add_order_tag: ['x'], del_order_tag: ['x'] }, 'data[del_order_tag]', 'tag "x" is both added and removed'],
    ];
    for (const [patch, field, reason] of cases) {
      const order = seedOrder() as Json;
      Object.assign(order.data, patch);
      const res = await post(site, '/api/updateOrder', order, 'json');
      expect(res.status, field).toBe(400);
      expect((await json(res)).error.fields, field).toEqual([{ field, reason }]);
    }
  });

  it('lists every bad field of one request at once', async () => {
    const site = await newSite();
    const order = seedOrder() as Json;
    Object.assign(order.data, { order_state: '7', order_amount: 'x', customer_gender: 'x' });
    const body = await json(await post(site, '/api/updateOrder', order));
    expect(body.error.fields.map((f: Json) => f.field)).toEqual(['data[customer_gender]', 'data[order_state]', 'data[order_amount]']);
    expect(body.error.message).toBe('3 fields are invalid; see fields');
  });

  const send = (site: TestSite, body: string, type = 'application/x-www-form-urlencoded') =>
    SELF.fetch('https://tracker.test/api/updateOrder', { method: 'POST', headers: { authorization: site.auth, 'content-type': type }, body });

  it('answers 4xx, never 5xx, to broken bodies of every kind', async () => {
    const site = await newSite();
    const cases: [string, string, number, string][] = [
      ['{"data": ', 'application/json', 400, 'invalid_body'],
      ['[1,2,3]', 'application/json', 400, 'invalid_fields'],
      ['{"data": [1, 2]}', 'application/json', 400, 'invalid_fields'],
      ['{"data": "x"}', 'application/json', 400, 'invalid_fields'],
      ['null', 'application/json', 400, 'invalid_fields'],
      ['{"data": {"__proto__": {"admin": true}, "customer_email": "a@b.co"}}', 'application/json', 400, 'invalid_fields'],
      ['{"data": {"constructor": {"prototype": {}}}}', 'application/json', 400, 'invalid_fields'],
      ['data[__proto__][admin]=1&data[customer_email]=a@b.co', 'application/x-www-form-urlencoded', 400, 'invalid_body'],
      ['data%5B__proto__%5D%5Badmin%5D=1', 'application/x-www-form-urlencoded', 400, 'invalid_body'],
      ['data[product_attributes][0][1][2][3]=x', 'application/x-www-form-urlencoded', 400, 'invalid_body'],
      ['data' + '[a]'.repeat(500) + '=1', 'application/x-www-form-urlencoded', 400, 'invalid_body'],
      ['data=1&data[x]=2', 'application/x-www-form-urlencoded', 400, 'invalid_fields'],
      ['data[customer_email]=a@b.co&data[customer_email]=c@d.co', 'application/x-www-form-urlencoded', 400, 'invalid_fields'],
      ['data[customer_email]=%E9%ZZ', 'application/x-www-form-urlencoded', 400, 'invalid_fields'],
      [Array.from({ length: 3000 }, (_, i) => `a${i}=1`).join('&'), 'application/x-www-form-urlencoded', 400, 'invalid_body'],
      ['<order/>', 'application/xml', 415, 'unsupported_media_type'],
      ['', 'application/x-www-form-urlencoded', 400, 'invalid_fields'],
    ];
    for (const [body, type, status, code] of cases) {
      const res = await send(site, body, type);
      expect(res.status, body.slice(0, 60)).toBe(status);
      expect((await json(res)).error.code, body.slice(0, 60)).toBe(code);
    }
    expect((await rows(site.siteId)).profiles).toHaveLength(0);
  });

  it('refuses __proto__, constructor and prototype as any part of a form key, however encoded and whatever pairs stand beside it', async () => {
    const site = await newSite();
    const reason = 'field names must not be __proto__, constructor or prototype';
    const bodies = [
      '%5F%5Fproto%5F%5F[x]=1&a=%E9%ZZ', // a broken value beside it
      '%5F%5Fproto%5F%5F[x]=1&%ZZ=1', // a broken key beside it
      'data[%5F%5Fproto%5F%5F][x]=1&%ZZ=1',
      'data[customer_email]=a@b.co&data%5Bconstructor%5D=1&%E9=1',
      '__proto__[x]=1', // qs would drop it without a word
      'constructor[prototype]=1',
      'data[a=b][__proto__]=1', // qs cuts this key at "]=", not at the first "="
    ];
    for (const body of bodies) {
      const res = await send(site, body);
      expect(res.status, body).toBe(400);
      expect((await json(res)).error, body).toEqual({ code: 'invalid_body', message: reason, fields: [{ field: 'body', reason }] });
    }
    expect((await rows(site.siteId)).profiles).toHaveLength(0);
  });

  it('names __proto__ as an unknown field in JSON and leaves Object.prototype alone', async () => {
    const site = await newSite();
    const res = await send(site, '{"data": {"__proto__": {"polluted": true}}}', 'application/json');
    expect((await json(res)).error.fields[0]).toEqual({ field: 'data[__proto__]', reason: 'unknown field' });
    expect(({} as Json).polluted).toBeUndefined();
  });

  it('answers 413 to a body over 64 KB, with or without a content-length', async () => {
    const site = await newSite();
    const big = `data[customer_name]=${'x'.repeat(70_000)}`;
    const res = await send(site, big);
    expect(res.status).toBe(413);
    expect((await json(res)).error.code).toBe('payload_too_large');
    const stream = new Blob([big]).stream();
    const chunked = await SELF.fetch('https://tracker.test/api/updateOrder', {
      method: 'POST',
      headers: { authorization: site.auth, 'content-type': 'application/x-www-form-urlencoded' },
      body: stream,
    });
    expect(chunked.status).toBe(413);
  });

  it('writes every row of a call in one batch, or none', async () => {
    const site = await newSite();
    const { updateOrder } = await import('../src/ingest');
    const { checkUpdate } = await import('@shopbeacon/protocol');
    const { withDefaults } = await import('../src/settings');
    let batches = 0;
    let outside = 0;
    // A D1 whose batch fails at its very end, after every statement of the call has run.
    const failing = {
      prepare: (sql: string) => {
        const stmt = env.DB.prepare(sql);
        return new Proxy(stmt, {
          get(target, prop) {
            if (prop === 'run' || prop === 'first' || prop === 'all' || prop === 'raw') outside++;
            const v = Reflect.get(target, prop);
            return typeof v === 'function' ? v.bind(target) : v;
          },
        });
      },
      batch: (stmts: D1PreparedStatement[]) => {
        batches++;
        return env.DB.batch([...stmts, env.DB.prepare('INSERT INTO orders (id) VALUES (NULL)')]);
      },
    } as unknown as D1Database;
    const { values } = checkUpdate(seedOrder(), 'order');
    await expect(updateOrder(failing, { id: site.siteId, settings: withDefaults({}) }, values as any, 'api')).rejects.toThrow();
    expect(batches).toBe(1);
    expect(outside).toBe(0);
    expect(await rows(site.siteId)).toEqual({ orders: [], profiles: [] });
  });

  it('refuses, with 409 and no write, an email and an external_id that belong to two different profiles', async () => {
    const site = await newSite();
    await post(site, '/api/updateOrder', minimalOrder('1', { customer_email: 'a@shop.test', external_id: 'A' }));
    await post(site, '/api/updateOrder', minimalOrder('2', { customer_email: 'b@shop.test', external_id: 'B' }));
    const before = await rows(site.siteId);
    const res = await post(site, '/api/updateOrder', minimalOrder('3', { customer_email: 'b@shop.test', external_id: 'A', customer_name: 'X' }));
    expect(res.status).toBe(409);
    const body = await json(res);
    expect(body.error).toMatchObject({
      code: 'profile_conflict',
      fields: [{ field: 'data[customer_email]', reason: 'belongs to another profile, one with a different external_id' }],
    });
    expect(await rows(site.siteId)).toEqual(before);
  });

  it('joins a profile known by email to the external_id sent with it later', async () => {
    const site = await newSite();
    await post(site, '/api/updateCustomer', { data: { customer_email: 'Jane@Shop.test', customer_isoptin: 1 } });
    const res = await post(site, '/api/updateOrder', minimalOrder('J-1', { customer_email: 'jane@shop.test', external_id: 'J' }));
    expect((await json(res)).profile).toMatchObject({ customer_email: 'jane@shop.test', external_id: 'J', customer_isoptin: 1 });
    expect((await rows(site.siteId)).profiles).toHaveLength(1);
    // From now on the external_id alone finds the same profile.
    const { data } = minimalOrder('J-2', { external_id: 'J', customer_name: 'Doe' });
    const { customer_email: _, ...byId } = data;
    const again = await json(await post(site, '/api/updateOrder', { data: byId }));
    expect(again.profile).toMatchObject({ customer_email: 'jane@shop.test', customer_name: 'Doe' });
    expect((await rows(site.siteId)).profiles).toHaveLength(1);
  });

  it('treats empty form values as not sent (PHP forms post empty inputs)', async () => {
    const site = await newSite();
    await post(site, '/api/updateOrder', seedOrder());
    const order = seedOrder() as Json;
    Object.assign(order.data, { customer_name: '', customer_birthday: '', customer_country: '' });
    const body = await json(await post(site, '/api/updateOrder', order));
    expect(body.profile).toMatchObject({ customer_name: 'Doe', customer_birthday: '1970-12-31', customer_country: 'FR' });
  });

  it('answers JSON 404 to an unknown route', async () => {
    const site = await newSite();
    const res = await get(site, '/api/nope');
    expect(res.status).toBe(404);
    expect((await json(res)).error.code).toBe('not_found');
  });
});
