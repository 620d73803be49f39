// Automations: every change the ingest path makes is a trigger row, written in the same batch as
// the change (SQLite triggers, migration 0007), listed by the API, and delivered to the site's
// webhooks through the TRIGGERS queue, signed as Standard Webhooks.
import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import worker from '../src/index';
import { delayAfter, deliver, RETRY_DELAYS_S } from '../src/automations/deliver';
import { DELIVERY_SWEEP_AFTER_MS, sweepOutbox, SWEEP_AFTER_MS } from '../src/automations/outbox';
import { endpointProblem } from '../src/automations/targets';
import { RECENT_TRIGGERS_SQL } from '../src/automations/triggers';
import { countingDb } from './counting-db';
import { get, newSite, post, put, SELF, type TestSite } from './helpers';

type Json = Record<string, any>;
const json = async (res: Response) => (await res.json()) as Json;
const triggers = async (site: TestSite) => (await json(await get(site, '/api/triggers/recent'))).triggers as Json[];
const order = (id: string, extra: Json = {}) => ({ data: { customer_email: 'auto@shop.test', order_idorder: id, order_state: 10, order_amount: 10, order_crea_dt: '2026-12-01 10:00:00', ...extra } });
const send = (site: TestSite, path: string, body: unknown, method = 'POST') =>
  SELF.fetch(`https://tracker.test${path}`, { method, headers: { authorization: site.auth, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });

afterEach(() => vi.restoreAllMocks());

describe('triggers: one per change, none for a call that changes nothing', () => {
  it('order.created, then order.state_changed and order.amount_changed with old and new; a repeat fires nothing', async () => {
    const site = await newSite();
    await post(site, '/api/updateOrder', order('A-1'), 'json');
    await post(site, '/api/updateOrder', order('A-1'), 'json'); // a retry
    await post(site, '/api/updateOrder', order('A-1', { order_state: 20, order_amount: 12.5 }), 'json');
    const list = await triggers(site);
    const byType = (type: string) => list.filter((t) => t.type === type);
    expect(byType('order.created')).toHaveLength(1);
    expect(byType('profile.created')).toMatchObject([{ source: 'api', profile: { customer_email: 'auto@shop.test' } }]);
    expect(byType('order.state_changed')).toMatchObject([{ old: 10, new: 20, order: { order_idorder: 'A-1', order_state: 20 }, profile: { customer_email: 'auto@shop.test', external_id: null } }]);
    expect(byType('order.amount_changed')).toMatchObject([{ old: 10, new: 12.5 }]);
    expect(list).toHaveLength(4);
    expect(list[0].id).toMatch(/^trg_[0-9a-f]{24}$/);
    expect(Date.parse(list[0].at)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('profile.updated: one per field that changed (five fields, five triggers), custom fields by id, tags with what was added and removed', async () => {
    const site = await newSite();
    await send(site, '/api/updateCustomer', { data: { customer_email: 'f@shop.test', customer_name: 'A', add_tag: ['t1', 't2'], custom_fields: { 7: 'x' } } });
    const before = (await triggers(site)).length;
    await send(site, '/api/updateCustomer', {
      data: { customer_email: 'f@shop.test', customer_name: 'B', customer_firstname: 'C', customer_city: 'Rouen', customer_cp: '76000', customer_lang: 'fr', add_tag: ['t3'], del_tag: ['t1'], custom_fields: { 7: 'y', 8: 'z' } },
    });
    const updated = (await triggers(site)).slice(0, (await triggers(site)).length - before);
    const fields = updated.filter((t) => t.type === 'profile.updated').map((t) => [t.field, t.old, t.new]);
    expect(fields).toEqual(
      expect.arrayContaining([
        ['customer_name', 'A', 'B'],
        ['customer_firstname', null, 'C'],
        ['customer_city', null, 'Rouen'],
        ['customer_cp', null, '76000'],
        ['customer_lang', null, 'fr'],
        ['custom_fields[7]', 'x', 'y'],
        ['custom_fields[8]', null, 'z'],
      ]),
    );
    expect(fields).toHaveLength(8);
    expect(updated.find((t) => t.field === 'tags')).toMatchObject({ old: ['t1', 't2'], new: ['t2', 't3'], added: ['t3'], removed: ['t1'] });
    // The same call again: nothing changed, nothing fired.
    const count = (await triggers(site)).length;
    await send(site, '/api/updateCustomer', { data: { customer_email: 'f@shop.test', customer_name: 'B', customer_firstname: 'C' } });
    expect(await triggers(site)).toHaveLength(count);
  });

  it('consent.updated: one per opt-in and GDPR state that changed, with old, new and who recorded it', async () => {
    const site = await newSite();
    await put(site, '/api/settings', { get_mode: true, gdpr: { email_optin: { to: 'consent', id: 'newsletter' }, on_order: 'purchase' } });
    await send(site, '/api/updateCustomer', { data: { customer_email: 'c@shop.test' } });
    await send(site, '/api/updateCustomer', { data: { customer_email: 'c@shop.test', customer_isoptin: 1 } });
    await send(site, '/api/updateCustomer', { data: { customer_email: 'c@shop.test', customer_isoptin: 1 } }); // unchanged
    await post(site, '/api/updateOrder', order('C-1', { customer_email: 'c@shop.test' }), 'json');
    const consents = (await triggers(site)).filter((t) => t.type === 'consent.updated').map((t) => [t.consent, t.kind, t.old, t.new, t.source]);
    expect(consents).toEqual([
      ['purchase', 'legal_basis', null, 'accepted', 'api'],
      ['newsletter', 'consent', null, 'accepted', 'api'],
      ['email_optin', 'optin', null, 1, 'api'],
    ]);
  });

  it('cart.updated, identifier abandoned_cart, from a browser cart event, with the visitor’s profile when known', async () => {
    const site = await newSite();
    await send(site, '/api/updateCustomer', { data: { customer_email: 'cart@shop.test', customer_cookie: 'CartVisitorCookie0001' } });
    const cart = { items: [{ product_id: 'P-1', quantity: 2, unit_price: 5 }], cart_amount: 10, currency: 'EUR', cart_recovery_url: 'https://shop.example/cart/r1' };
    const beacon = await SELF.fetch('https://tracker.test/collect', {
      method: 'POST',
      body: JSON.stringify({ key: site.publicKey, events: [{ id: 'autocart000000000001', type: 'cart', ts: Date.now(), sbt: 'CartVisitorCookie0001', data: cart }] }),
    });
    expect(beacon.status).toBe(204);
    const [t] = await triggers(site);
    expect(t).toMatchObject({ type: 'cart.updated', identifier: 'abandoned_cart', cart, profile: { customer_email: 'cart@shop.test', customer_cookie: 'CartVisitorCookie0001' } });
  });

  it('the browser’s fill of an empty field is a change too; what it may not change fires nothing', async () => {
    const site = await newSite();
    await put(site, '/api/settings', { get_mode: true });
    await send(site, '/api/updateCustomer', { data: { customer_email: 'b@shop.test', customer_name: 'Doe' } });
    const ev = (data: Json, id: string) => ({ id, type: 'account', ts: Date.now(), sbt: 'BrowserVisitor000001', data });
    await SELF.fetch('https://tracker.test/collect', { method: 'POST', body: JSON.stringify({ key: site.publicKey, events: [ev({ customer_email: 'b@shop.test', customer_name: 'Evil', customer_firstname: 'Ann' }, 'autobrowser000000001')] }) });
    const fields = (await triggers(site)).filter((t) => t.type === 'profile.updated').map((t) => t.field);
    expect(fields.sort()).toEqual(['customer_cookie', 'customer_firstname']); // never customer_name: the server's
  });

  it('lists the last 200 newest first, from an index', async () => {
    const plan = await env.DB.prepare(`EXPLAIN QUERY PLAN ${RECENT_TRIGGERS_SQL}`).bind(1).all<{ detail: string }>();
    expect(plan.results.map((r) => r.detail).join('\n')).not.toMatch(/TEMP B-TREE/);
  });

  it('a change and its triggers commit together or not at all', async () => {
    const site = await newSite();
    const { updateOrder } = await import('../src/ingest');
    const { checkUpdate } = await import('@shopbeacon/protocol');
    const { withDefaults } = await import('../src/settings');
    const failing = {
      prepare: (sql: string) => env.DB.prepare(sql),
      batch: (stmts: D1PreparedStatement[]) => env.DB.batch([...stmts, env.DB.prepare('INSERT INTO orders (id) VALUES (NULL)')]),
    } as unknown as D1Database;
    const { values } = checkUpdate(order('X-1'), 'order');
    await expect(updateOrder(failing, { id: site.siteId, settings: withDefaults({}) }, values as any, 'api')).rejects.toThrow();
    expect(await env.DB.prepare('SELECT count(*) AS n FROM triggers WHERE site_id = ?').bind(site.siteId).first()).toEqual({ n: 0 });
    expect(await env.DB.prepare('SELECT count(*) AS n FROM orders WHERE site_id = ?').bind(site.siteId).first()).toEqual({ n: 0 });
  });
});

describe('the manual trigger', () => {
  it('POST /api/triggers/:identifier fires one for the profile, with the merchant’s data', async () => {
    const site = await newSite();
    await send(site, '/api/updateCustomer', { data: { customer_email: 'm@shop.test', external_id: 'M-1' } });
    const res = await send(site, '/api/triggers/welcome.back-2', { external_id: 'M-1', data: { coupon: 'HELLO' } });
    expect(res.status).toBe(201);
    expect((await json(res)).trigger).toMatchObject({ type: 'manual', identifier: 'welcome.back-2', data: { coupon: 'HELLO' }, profile: { customer_email: 'm@shop.test', external_id: 'M-1' } });
    expect((await triggers(site))[0]).toMatchObject({ type: 'manual', identifier: 'welcome.back-2' });
  });

  it('refuses a bad identifier, a missing or doubled profile identifier, data over 8 KB, and an unknown profile', async () => {
    const site = await newSite();
    const fieldsOf = async (res: Response) => [res.status, ((await json(res)).error.fields as Json[]).map((f) => f.field)];
    expect(await fieldsOf(await send(site, '/api/triggers/Bad Name', { customer_email: 'a@b.test' }))).toEqual([400, ['identifier']]);
    expect(await fieldsOf(await send(site, `/api/triggers/${'x'.repeat(65)}`, { customer_email: 'a@b.test' }))).toEqual([400, ['identifier']]);
    expect(await fieldsOf(await send(site, '/api/triggers/ok', {}))).toEqual([400, ['customer_email']]);
    expect(await fieldsOf(await send(site, '/api/triggers/ok', { customer_email: 'a@b.test', external_id: 'X' }))).toEqual([400, ['customer_email']]);
    expect(await fieldsOf(await send(site, '/api/triggers/ok', { customer_email: 'a@b.test', data: { x: 'y'.repeat(8200) } }))).toEqual([400, ['data']]);
    expect(await fieldsOf(await send(site, '/api/triggers/ok', { customer_email: 'nobody@b.test' }))).toEqual([404, ['customer_email']]);
  });
});

describe('webhooks', () => {
  it('registers an endpoint and shows its secret once; lists without secrets; rotates; removes', async () => {
    const site = await newSite();
    const made = await send(site, '/api/webhooks', { url: 'https://hooks.shop-esp.com/sb', events: ['order.created', 'consent.updated'] });
    expect(made.status).toBe(201);
    const hook = await json(made);
    expect(hook).toMatchObject({ url: 'https://hooks.shop-esp.com/sb', events: ['order.created', 'consent.updated'] });
    expect(hook.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const list = (await json(await get(site, '/api/webhooks'))).webhooks;
    expect(list).toEqual([{ id: hook.id, url: hook.url, events: hook.events, created_at: hook.created_at, rotated_at: null }]);
    const rotated = await json(await send(site, `/api/webhooks/${hook.id}/rotate`, undefined));
    expect(rotated.secret).not.toBe(hook.secret);
    const other = await newSite();
    expect((await send(other, `/api/webhooks/${hook.id}`, undefined, 'DELETE')).status).toBe(404); // not its own
    expect((await send(site, `/api/webhooks/${hook.id}`, undefined, 'DELETE')).status).toBe(204);
    expect((await json(await get(site, '/api/webhooks'))).webhooks).toEqual([]);
  });

  it('refuses endpoints that are not https to a public host name, naming the field', async () => {
    for (const url of ['http://hooks.shop.com/x', 'https://127.0.0.1/x', 'https://[::1]/x', 'https://localhost/x', 'https://intranet/x', 'https://db.internal/x', 'https://10.0.0.1/x', 'ftp://x.com/', 'https://u:p@x.com/', 'not a url'])
      expect(endpointProblem(url, false), url).not.toBeNull();
    expect(endpointProblem('https://hooks.shop-esp.com/sb?x=1', false)).toBeNull();
    expect(endpointProblem('http://127.0.0.1:9000/hook', true)).toBeNull(); // WEBHOOKS_ALLOW_LOCAL=1
    const site = await newSite();
    const req = new Request('https://tracker.test/api/webhooks', { method: 'POST', headers: { authorization: site.auth, 'content-type': 'application/json' }, body: JSON.stringify({ url: 'http://127.0.0.1/x', events: ['*'] }) });
    const res = await worker.fetch(req, { ...env, WEBHOOKS_ALLOW_LOCAL: undefined }, createExecutionContext());
    expect(res.status).toBe(400);
    expect((await json(res)).error.fields).toEqual([{ field: 'url', reason: 'must be https (http is taken only when the deployment sets WEBHOOKS_ALLOW_LOCAL=1)' }]);
    const badEvents = await send(site, '/api/webhooks', { url: 'https://hooks.shop-esp.com/sb', events: ['order.made'] });
    expect((await json(badEvents)).error.fields).toEqual([{ field: 'events[0]', reason: expect.stringContaining('must be one of: *, order.created') }]);
  });
});

/** A receiver of webhooks: fetch, as the Worker calls it, answered by `answer` and recorded. */
function receiver(answer: (n: number) => number) {
  const got: { url: string; headers: Record<string, string>; body: string }[] = [];
  const real = globalThis.fetch;
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input instanceof Request ? input.url : input);
    if (!url.startsWith('https://hooks.receiver.example.com/')) return real(input, init);
    got.push({ url, headers: Object.fromEntries(new Headers(init?.headers).entries()), body: String(init?.body) });
    return new Response('ok', { status: answer(got.length) });
  });
  return got;
}

async function deliveriesOf(site: TestSite) {
  return (await json(await get(site, '/api/deliveries/recent'))).deliveries as Json[];
}

describe('deliveries', () => {
  it('retries 8 attempts over about a day, each later than the last', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7].map(delayAfter);
    expect(delays).toEqual(RETRY_DELAYS_S);
    expect(delays.every((d, i) => i === 0 || d > delays[i - 1])).toBe(true);
    const hours = delays.reduce((a, b) => a + b, 0) / 3600;
    expect(hours).toBeGreaterThan(18);
    expect(hours).toBeLessThan(26);
    expect(Math.max(...delays)).toBeLessThanOrEqual(43_200); // Queues' longest delay: 12 hours
  });

  it('posts each subscribed trigger as a Standard Webhook the standardwebhooks package verifies; a retry keeps its webhook-id', async () => {
    const site = await newSite();
    const hook = await json(await send(site, '/api/webhooks', { url: 'https://hooks.receiver.example.com/in', events: ['order.created', 'order.state_changed'] }));
    const got = receiver((n) => (n === 1 ? 500 : 200));
    const fake = { sent: [] as unknown[], sendBatch: async (m: { body: unknown }[]) => void fake.sent.push(...m.map((x) => x.body)), send: async (b: unknown) => void fake.sent.push(b) };
    const testEnv = { ...env, TRIGGERS: fake as unknown as Queue };
    // The shop's calls, answered at once; the queue gets the two wanted triggers (not profile.created).
    for (const body of [order('D-1'), order('D-1', { order_state: 20 })]) {
      const ctx = createExecutionContext();
      const res = await worker.fetch(new Request('https://tracker.test/api/updateOrder', { method: 'POST', headers: { authorization: site.auth, 'content-type': 'application/json' }, body: JSON.stringify(body) }), testEnv, ctx);
      expect(res.status).toBe(200);
      await getQueueResult(createMessageBatch('shopbeacon-triggers', []), ctx);
    }
    expect(fake.sent).toHaveLength(2);
    // The consumer: each trigger fans out into one delivery, then each delivery is posted.
    const run = async (messages: unknown[], attempts = 1) => {
      const batch = createMessageBatch('shopbeacon-triggers', messages.map((body, i) => ({ id: `m${i}-${attempts}`, timestamp: Date.now(), attempts, body })));
      const ctx = createExecutionContext();
      await worker.queue!(batch as MessageBatch<unknown>, testEnv);
      return getQueueResult(batch, ctx);
    };
    const triggerMessages = fake.sent.splice(0);
    expect((await run(triggerMessages)).explicitAcks).toHaveLength(2);
    const deliveryMessages = fake.sent.splice(0);
    expect(deliveryMessages).toHaveLength(2);
    const first = await run(deliveryMessages);
    // The first post got 500: retried (after a minute: delayAfter); the other went through.
    expect(first.retryMessages.map((m) => m.msgId)).toEqual(['m0-1']);
    expect(first.explicitAcks).toEqual(['m1-1']);
    const again = await run([deliveryMessages[0]], 2);
    expect(again.explicitAcks).toEqual(['m0-2']);
    expect(got).toHaveLength(3);
    const wh = new Webhook(hook.secret);
    const payloads = got.map((g) => wh.verify(g.body, g.headers) as Json);
    expect(payloads.map((p) => p.type)).toEqual(['order.created', 'order.state_changed', 'order.created']);
    expect(got[0].headers['webhook-id']).toBe(got[2].headers['webhook-id']);
    expect(got[0].headers['webhook-id']).not.toBe(got[1].headers['webhook-id']);
    expect(payloads[1]).toMatchObject({ data: { type: 'order.state_changed', old: 10, new: 20, order: { order_idorder: 'D-1' }, profile: { customer_email: 'auto@shop.test' } } });
    // A tampered body or the old secret does not verify.
    expect(() => wh.verify(got[1].body.replace('D-1', 'D-2'), got[1].headers)).toThrow();
    const list = await deliveriesOf(site);
    expect(list.map((d) => [d.trigger.type, d.status, d.attempts, d.last_status])).toEqual([
      ['order.state_changed', 'delivered', 1, 200],
      ['order.created', 'delivered', 2, 200],
    ]);
    expect(list[1].webhook_id).toBe(got[0].headers['webhook-id']);
  });

  it('a delivery that never succeeds is dead-lettered and recorded as failed; "send again" queues it with its webhook-id', async () => {
    const site = await newSite();
    await send(site, '/api/webhooks', { url: 'https://hooks.receiver.example.com/dead', events: ['*'] });
    const got = receiver(() => 503);
    await send(site, '/api/updateCustomer', { data: { customer_email: 'dead@shop.test' } });
    const row = await env.DB.prepare(
      `INSERT INTO deliveries (site_id, trigger_id, webhook_id, created_at, enqueued_at)
       SELECT t.site_id, t.id, w.id, 0, 0 FROM triggers t JOIN webhooks w ON w.site_id = t.site_id WHERE t.site_id = ? AND t.type = 'profile.created'
       ON CONFLICT DO UPDATE SET status = status RETURNING id`,
    ).bind(site.siteId).first<{ id: number }>();
    expect(await deliver(env.DB, row!.id)).toBe('retry');
    const dlq = createMessageBatch('shopbeacon-triggers-dlq', [{ id: 'd1', timestamp: Date.now(), attempts: 8, body: { t: 'delivery', id: row!.id } }]);
    const ctx = createExecutionContext();
    await worker.queue!(dlq as MessageBatch<unknown>, env);
    expect((await getQueueResult(dlq, ctx)).explicitAcks).toEqual(['d1']);
    const [d] = (await deliveriesOf(site)).filter((x) => x.id === row!.id);
    expect(d).toMatchObject({ status: 'failed', last_status: 503, last_error: 'HTTP 503' });
    expect(got.length).toBeGreaterThanOrEqual(1);
    const sent: unknown[] = [];
    const fake = { send: async (b: unknown) => void sent.push(b) } as unknown as Queue;
    const res = await worker.fetch(new Request(`https://tracker.test/api/deliveries/${d.id}/retry`, { method: 'POST', headers: { authorization: site.auth } }), { ...env, TRIGGERS: fake }, createExecutionContext());
    expect(res.status).toBe(202);
    expect(sent).toEqual([{ t: 'delivery', id: d.id, s: expect.any(Number), db: 'DB' }]);
  });

  it('the sweep enqueues what was committed but never enqueued; triggers no endpoint wants are done at once', async () => {
    const site = await newSite();
    await send(site, '/api/updateCustomer', { data: { customer_email: 'nobody-listens@shop.test' } });
    const unwanted = await env.DB.prepare('SELECT enqueued_at FROM triggers WHERE site_id = ?').bind(site.siteId).all<{ enqueued_at: number | null }>();
    expect(unwanted.results.every((r) => r.enqueued_at !== null)).toBe(true);
    await send(site, '/api/webhooks', { url: 'https://hooks.receiver.example.com/sweep', events: ['profile.updated'] });
    // A change whose enqueue never happened (the isolate died): claimed, not enqueued.
    const fake = { sent: [] as unknown[], sendBatch: async (m: { body: unknown }[]) => void fake.sent.push(...m.map((x) => x.body)) };
    const dead = { ...env, TRIGGERS: { sendBatch: async () => { throw new Error('queue down'); } } as unknown as Queue };
    const ctx = createExecutionContext();
    const res = await worker.fetch(new Request('https://tracker.test/api/updateCustomer', { method: 'POST', headers: { authorization: site.auth, 'content-type': 'application/json' }, body: JSON.stringify({ data: { customer_email: 'nobody-listens@shop.test', customer_name: 'Now' } }) }), dead, ctx);
    expect(res.status).toBe(200);
    await getQueueResult(createMessageBatch('shopbeacon-triggers', []), ctx);
    const [pending] = (await env.DB.prepare('SELECT id FROM triggers WHERE site_id = ? AND enqueued_at IS NULL').bind(site.siteId).all<{ id: number }>()).results;
    expect(pending).toBeDefined();
    await sweepOutbox({ ...env, TRIGGERS: fake as unknown as Queue }, Date.now());
    expect(fake.sent).not.toContainEqual(expect.objectContaining({ id: pending.id })); // not a minute old yet
    expect(await sweepOutbox({ ...env, TRIGGERS: fake as unknown as Queue }, Date.now() + SWEEP_AFTER_MS + 1000)).toBeGreaterThanOrEqual(1);
    expect(fake.sent).toContainEqual({ t: 'trigger', id: pending.id, type: 'profile.updated', s: expect.any(Number), db: 'DB' });
    expect(await env.DB.prepare('SELECT enqueued_at FROM triggers WHERE id = ?').bind(pending.id).first<{ enqueued_at: number }>()).not.toEqual({ enqueued_at: null });
  });

  it('a fan-out that wrote its deliveries but could not send them: its retry sends them, or the sweep an hour later', async () => {
    const site = await newSite();
    await send(site, '/api/webhooks', { url: 'https://hooks.receiver.example.com/fan', events: ['profile.created'] });
    const sent: unknown[] = [];
    const queue = (up: boolean) => ({ ...env, TRIGGERS: { sendBatch: async (m: { body: unknown }[]) => { if (!up) throw new Error('queue down'); sent.push(...m.map((x) => x.body)); } } as unknown as Queue });
    await send(site, '/api/updateCustomer', { data: { customer_email: 'fan@shop.test' } });
    const trigger = await env.DB.prepare(`SELECT id FROM triggers WHERE site_id = ? AND type = 'profile.created'`).bind(site.siteId).first<{ id: number }>();
    const run = async (up: boolean) => {
      const batch = createMessageBatch('shopbeacon-triggers', [{ id: `fan-${up}`, timestamp: Date.now(), attempts: 1, body: { t: 'trigger', id: trigger!.id, type: 'profile.created' } }]);
      await worker.queue!(batch as MessageBatch<unknown>, queue(up));
      return getQueueResult(batch, createExecutionContext());
    };
    expect((await run(false)).retryMessages).toHaveLength(1); // the rows are written, the send failed
    const [row] = (await env.DB.prepare('SELECT id, enqueued_at FROM deliveries WHERE trigger_id = ?').bind(trigger!.id).all<{ id: number; enqueued_at: number }>()).results;
    // The message's retry sends it: the row was never attempted.
    expect((await run(true)).explicitAcks).toHaveLength(1);
    expect(sent).toEqual([{ t: 'delivery', id: row.id, s: expect.any(Number), db: 'DB' }]);
    sent.length = 0;
    // Should every retry fail, the sweep sends it once it is an hour old, and not again for an hour.
    expect(await sweepOutbox(queue(true), row.enqueued_at + DELIVERY_SWEEP_AFTER_MS - 1000)).toBe(0);
    expect(sent).toEqual([]);
    await sweepOutbox(queue(true), row.enqueued_at + DELIVERY_SWEEP_AFTER_MS + 1000);
    expect(sent).toContainEqual({ t: 'delivery', id: row.id, s: expect.any(Number), db: 'DB' });
    sent.length = 0;
    await sweepOutbox(queue(true), row.enqueued_at + DELIVERY_SWEEP_AFTER_MS + 2000);
    expect(sent).not.toContainEqual({ t: 'delivery', id: row.id, s: expect.any(Number), db: 'DB' });
    // Once attempted, it is the delivery's own retries that count: neither sends it again.
    vi.spyOn(globalThis, 'fetch').mockImplementation(async () => new Response('no', { status: 503 }));
    expect(await deliver(env.DB, row.id)).toBe('retry');
    await run(true);
    await sweepOutbox(queue(true), Date.now() + 10 * DELIVERY_SWEEP_AFTER_MS);
    expect(sent).not.toContainEqual({ t: 'delivery', id: row.id, s: expect.any(Number), db: 'DB' });
  });

  it('one slow endpoint holds up no other site: the messages of a batch are posted at once', async () => {
    const [slow, fast] = [await newSite(), await newSite()];
    // The profiles first, with no endpoint yet: the queue's own consumer has nothing to fan out,
    // so the only deliveries of these triggers are the two made below.
    await send(slow, '/api/updateCustomer', { data: { customer_email: 'slow@shop.test' } });
    await send(fast, '/api/updateCustomer', { data: { customer_email: 'fast@shop.test' } });
    await send(slow, '/api/webhooks', { url: 'https://hooks.receiver.example.com/slow', events: ['profile.created'] });
    await send(fast, '/api/webhooks', { url: 'https://hooks.receiver.example.com/fast', events: ['profile.created'] });
    const ids: number[] = [];
    for (const site of [slow, fast]) {
      const row = await env.DB.prepare(
        `INSERT INTO deliveries (site_id, trigger_id, webhook_id, created_at, enqueued_at)
         SELECT t.site_id, t.id, w.id, 0, 0 FROM triggers t JOIN webhooks w ON w.site_id = t.site_id WHERE t.site_id = ? AND t.type = 'profile.created' RETURNING id`,
      ).bind(site.siteId).first<{ id: number }>();
      ids.push(row!.id);
    }
    // The slow endpoint answers only once the fast one's delivery is recorded: were the batch
    // posted one message after the other, slow first, this would never end.
    const recorded = async () => (await env.DB.prepare('SELECT status FROM deliveries WHERE id = ?').bind(ids[1]).first<{ status: string }>())!.status === 'delivered';
    vi.spyOn(globalThis, 'fetch').mockImplementation(async (input: RequestInfo | URL) => {
      if (String(input).endsWith('/fast')) return new Response('ok');
      for (let i = 0; i < 200 && !(await recorded()); i++) await new Promise((r) => setTimeout(r, 10));
      return new Response('late', { status: (await recorded()) ? 200 : 599 });
    });
    const batch = createMessageBatch('shopbeacon-triggers', ids.map((id, i) => ({ id: `iso${i}`, timestamp: Date.now(), attempts: 1, body: { t: 'delivery', id } })));
    await worker.queue!(batch as MessageBatch<unknown>, env);
    expect((await getQueueResult(batch, createExecutionContext())).explicitAcks.sort()).toEqual(['iso0', 'iso1']);
  });

  it('costs a change no D1 query more: with an endpoint for every type, updateOrder runs what it runs with none', async () => {
    const queries = async (site: TestSite, id: string) => {
      const { db, count } = countingDb(env.DB);
      const sent: unknown[] = [];
      const queue = { sendBatch: async (m: { body: unknown }[]) => void sent.push(...m.map((x) => x.body)) } as unknown as Queue;
      const ctx = createExecutionContext();
      const req = new Request('https://tracker.test/api/updateOrder', { method: 'POST', headers: { authorization: site.auth, 'content-type': 'application/json' }, body: JSON.stringify(order(id)) });
      expect((await worker.fetch(req, { ...env, DB: db, TRIGGERS: queue }, ctx)).status).toBe(200);
      await getQueueResult(createMessageBatch('shopbeacon-triggers', []), ctx); // its waitUntil work too
      return { queries: count(), sent: sent.length };
    };
    const [none, star] = [await newSite(), await newSite()];
    await send(star, '/api/webhooks', { url: 'https://hooks.receiver.example.com/all', events: ['*'] });
    for (const site of [none, star]) await queries(site, 'Q-0'); // each site's keys cached, its profile made
    const [a, b] = [await queries(none, 'Q-1'), await queries(star, 'Q-1')];
    expect(b.sent).toBe(1); // order.created went on the queue
    expect(a.sent).toBe(0);
    expect(b.queries).toBe(a.queries);
  });
});

describe('a site deleted behind the Worker’s back', () => {
  it('adding a webhook answers 404, not 500 (its keys were still cached)', async () => {
    const site = await newSite();
    await get(site, '/api/webhooks'); // the keys cached in the isolate
    await env.DB.prepare('DELETE FROM sites WHERE id = ?').bind(site.siteId).run();
    const res = await send(site, '/api/webhooks', { url: 'https://hooks.receiver.example.com/gone', events: ['*'] });
    expect(res.status).toBe(404);
    expect((await json(res)).error.code).toBe('not_found');
  });
});
