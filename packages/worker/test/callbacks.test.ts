// Opt-in / opt-out callbacks (SALESmanago ↔ IdoSell style): the settings (two URLs and a secret of
// at most 16 characters), the outbound form posted through the TRIGGERS queue when an email or SMS
// opt-in turns 1 or 0, and the inbound /callback/optin and /callback/optout that change one here.
import { createExecutionContext, createMessageBatch, getQueueResult, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Env } from '../src/env';
import worker from '../src/index';
import { get, newSite, post, put, SELF, type TestSite } from './helpers';

type Json = Record<string, any>;
const json = async (res: Response) => (await res.json()) as Json;
const fieldsOf = async (res: Response) => [res.status, ((await json(res)).error.fields as Json[]).map((f) => f.field)];

afterEach(() => vi.restoreAllMocks());

const RECEIVER = 'https://hooks.receiver.example.com';
const SECRET = 'IdoSell-param-16';
const CALLBACKS = { optin_callback_url: `${RECEIVER}/optin`, optout_callback_url: `${RECEIVER}/optout`, callback_secret: SECRET };

async function callbackSite(settings: Json = CALLBACKS) {
  const site = await newSite();
  const res = await put(site, '/api/settings', settings);
  expect(res.status, await res.clone().text()).toBe(200);
  return site;
}

const profiles = async (site: TestSite) =>
  (await env.DB.prepare('SELECT * FROM profiles WHERE site_id = ? ORDER BY id').bind(site.siteId).all<Json>()).results;
const triggers = async (site: TestSite) => (await json(await get(site, '/api/triggers/recent'))).triggers as Json[];
const deliveries = async (site: TestSite) => (await json(await get(site, '/api/deliveries/recent'))).deliveries as Json[];

/** The shop platform's callback handler: fetch, as the Worker calls it, answered by `answer` and recorded. */
function receiver(answer: (n: number) => number = () => 200) {
  const got: { url: string; headers: Record<string, string>; form: Record<string, string> }[] = [];
  const real = globalThis.fetch;
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input instanceof Request ? input.url : input);
    if (!url.startsWith(`${RECEIVER}/`)) return real(input, init);
    got.push({ url, headers: Object.fromEntries(new Headers(init?.headers).entries()), form: Object.fromEntries(new URLSearchParams(String(init?.body))) });
    return new Response('ok', { status: answer(got.length) });
  });
  return got;
}

/** A TRIGGERS queue that keeps what is sent, and the env that uses it. */
function queued() {
  const sent: Json[] = [];
  const queue = { sendBatch: async (m: { body: Json }[]) => void sent.push(...m.map((x) => x.body)), send: async (b: Json) => void sent.push(b) };
  return { sent, env: { ...env, TRIGGERS: queue as unknown as Queue } };
}

/** One request through the Worker with its own invocation, waiting for what it does after answering (the enqueue). */
async function call(testEnv: Env, req: Request) {
  const ctx = createExecutionContext();
  const res = await worker.fetch(req, testEnv, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

let batchNo = 0;
/** The queue's consumer on `messages`: what it acked and retried. */
async function consume(testEnv: Env, messages: Json[], attempts = 1) {
  const batch = createMessageBatch('shopbeacon-triggers', messages.map((body, i) => ({ id: `b${++batchNo}-${i}`, timestamp: new Date(), attempts, body })));
  const ctx = createExecutionContext();
  await worker.queue!(batch as MessageBatch<unknown>, testEnv);
  return getQueueResult(batch, ctx);
}

/** Trigger messages fanned out, then every delivery posted once; the delivery messages. */
async function deliverAll(q: ReturnType<typeof queued>) {
  await consume(q.env, q.sent.splice(0));
  const messages = q.sent.splice(0);
  if (messages.length) await consume(q.env, messages);
  return messages;
}

const customer = (site: TestSite, q: ReturnType<typeof queued>, data: Json) =>
  call(q.env, new Request('https://tracker.test/api/updateCustomer', { method: 'POST', headers: { authorization: site.auth, 'content-type': 'application/json' }, body: JSON.stringify({ data }) }));

const inbound = (status: 'optin' | 'optout', body: Json, type: 'form' | 'json' = 'form') =>
  SELF.fetch(`https://tracker.test/callback/${status}`, {
    method: 'POST',
    headers: { 'content-type': type === 'form' ? 'application/x-www-form-urlencoded' : 'application/json' },
    body: type === 'form' ? new URLSearchParams(body).toString() : JSON.stringify(body),
  });

describe('callback settings', () => {
  it('takes two URLs and a secret of 1 to 16 characters; GET /api/settings shows them to the site', async () => {
    const site = await callbackSite();
    expect((await json(await get(site, '/api/settings'))).settings).toMatchObject(CALLBACKS);
    const off = await json(await put(site, '/api/settings', { optin_callback_url: null, optout_callback_url: null, callback_secret: null }));
    expect(off.settings).toMatchObject({ optin_callback_url: null, optout_callback_url: null, callback_secret: null });
  });

  it('refuses a secret too long, empty or with spaces, naming callback_secret; nothing is saved', async () => {
    const site = await newSite();
    for (const secret of ['x'.repeat(17), '', 'two words', 'é', 12345])
      expect(await fieldsOf(await put(site, '/api/settings', { callback_secret: secret })), String(secret)).toEqual([400, ['callback_secret']]);
    expect((await put(site, '/api/settings', { callback_secret: 'x'.repeat(16) })).status).toBe(200);
  });

  it('refuses callback URLs that are not https to a public host, naming the field', async () => {
    const site = await newSite();
    const strict = { ...env, WEBHOOKS_ALLOW_LOCAL: undefined };
    const req = (body: Json) => new Request('https://tracker.test/api/settings', { method: 'PUT', headers: { authorization: site.auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const res = await call(strict, req({ optin_callback_url: 'http://shop.example.com/optin', optout_callback_url: 'https://10.0.0.1/optout', callback_secret: SECRET }));
    expect(res.status).toBe(400);
    expect((await json(res)).error.fields).toEqual([
      { field: 'optin_callback_url', reason: 'must be https (http is taken only when the deployment sets WEBHOOKS_ALLOW_LOCAL=1)' },
      { field: 'optout_callback_url', reason: 'must name a host, not an IP address' },
    ]);
    expect(await fieldsOf(await call(strict, req({ optout_callback_url: 'https://intranet/x' })))).toEqual([400, ['optout_callback_url']]);
    expect(await fieldsOf(await put(site, '/api/settings', { optin_callback_url: 'not a url' }))).toEqual([400, ['optin_callback_url']]);
    expect((await json(await get(site, '/api/settings'))).settings.callback_secret).toBeNull();
  });

  it('a URL needs the secret: set without one, or the secret removed under one, is a 400 naming callback_secret', async () => {
    const site = await newSite();
    expect(await fieldsOf(await put(site, '/api/settings', { optout_callback_url: `${RECEIVER}/optout`, get_mode: true }))).toEqual([400, ['callback_secret']]);
    expect((await json(await get(site, '/api/settings'))).settings).toMatchObject({ optout_callback_url: null, get_mode: false }); // nothing saved
    expect((await put(site, '/api/settings', CALLBACKS)).status).toBe(200);
    expect(await fieldsOf(await put(site, '/api/settings', { callback_secret: null }))).toEqual([400, ['callback_secret']]);
    expect((await json(await get(site, '/api/settings'))).settings.callback_secret).toBe(SECRET);
  });

  it('the callbacks are not webhook endpoints: never listed, counted, removed or rotated as one', async () => {
    const site = await callbackSite();
    expect((await json(await get(site, '/api/webhooks'))).webhooks).toEqual([]);
    const rows = await env.DB.prepare("SELECT id, kind, url FROM webhooks WHERE site_id = ? AND kind <> 'webhook' ORDER BY kind").bind(site.siteId).all<Json>();
    expect(rows.results.map((r) => [r.kind, r.url])).toEqual([
      ['optin_callback', `${RECEIVER}/optin`],
      ['optout_callback', `${RECEIVER}/optout`],
    ]);
    const send = (path: string, method: string) => SELF.fetch(`https://tracker.test${path}`, { method, headers: { authorization: site.auth } });
    expect((await send(`/api/webhooks/${rows.results[0].id}`, 'DELETE')).status).toBe(404);
    expect((await send(`/api/webhooks/${rows.results[0].id}/rotate`, 'POST')).status).toBe(404);
    for (let i = 0; i < 20; i++) expect((await post(site, '/api/webhooks', { url: `${RECEIVER}/w${i}`, events: ['*'] }, 'json')).status).toBe(201);
    expect((await post(site, '/api/webhooks', { url: `${RECEIVER}/w20`, events: ['*'] }, 'json')).status).toBe(400); // the 21st endpoint
    // Removing a URL from the settings takes its row away; the other stays.
    await put(site, '/api/settings', { optin_callback_url: null });
    expect((await env.DB.prepare("SELECT kind FROM webhooks WHERE site_id = ? AND kind <> 'webhook'").bind(site.siteId).all<Json>()).results).toEqual([{ kind: 'optout_callback' }]);
  });

  it('a refused settings call is logged without its secret', async () => {
    const site = await newSite();
    const secret = 'Hush-hush-007';
    expect((await put(site, '/api/settings', { callback_secret: secret, optin_callback_url: 'nope' })).status).toBe(400);
    await vi.waitFor(async () => expect((await json(await get(site, '/api/rejections/recent'))).rejections).toHaveLength(1));
    const [r] = (await json(await get(site, '/api/rejections/recent'))).rejections;
    expect(r.excerpt).toContain('"callback_secret":"[redacted]"');
    expect(r.excerpt).not.toContain(secret);
  });
});

describe('outbound: an opt-in turned 1 or 0 posts the matching callback URL', () => {
  it('email opt-in 1 → the opt-in URL, SMS opt-in 0 → the opt-out URL, with email, mobile, channel, status, at and the secret', async () => {
    const site = await callbackSite();
    const got = receiver();
    const q = queued();
    expect((await customer(site, q, { customer_email: 'Jane@Shop.test', customer_mobile: '+33 6 12 34 56 78', customer_isoptin: 1 })).status).toBe(200);
    // Only the consent change is enqueued: no endpoint wants profile.created.
    expect(q.sent).toHaveLength(1);
    expect(await deliverAll(q)).toHaveLength(1);
    const optin = (await triggers(site)).find((t) => t.type === 'consent.updated')!;
    expect(got).toEqual([
      {
        url: `${RECEIVER}/optin`,
        headers: expect.objectContaining({ 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'shopbeacon-callbacks/1' }),
        form: { email: 'jane@shop.test', mobile: '+33 6 12 34 56 78', channel: 'email', status: 'optin', at: optin.at, secret: SECRET },
      },
    ]);
    expect(got[0].headers['webhook-signature']).toBeUndefined(); // a form, not a Standard Webhook
    // The trigger carries the number too, as it was then.
    expect(optin).toMatchObject({ consent: 'email_optin', kind: 'optin', old: null, new: 1, source: 'api', profile: { customer_email: 'jane@shop.test', customer_mobile: '+33 6 12 34 56 78' } });

    await customer(site, q, { customer_email: 'jane@shop.test', customer_mobile_isoptin: 0 });
    await deliverAll(q);
    expect(got[1]).toMatchObject({ url: `${RECEIVER}/optout`, form: { email: 'jane@shop.test', mobile: '+33 6 12 34 56 78', channel: 'sms', status: 'optout', secret: SECRET } });
    // And back to no for the email: the opt-out URL, channel email.
    await customer(site, q, { customer_email: 'jane@shop.test', customer_isoptin: 0 });
    await deliverAll(q);
    expect(got.map((g) => [g.url.slice(RECEIVER.length), g.form.channel, g.form.status])).toEqual([
      ['/optin', 'email', 'optin'],
      ['/optout', 'sms', 'optout'],
      ['/optout', 'email', 'optout'],
    ]);
    // In the deliveries log, with the callback URL as the endpoint.
    expect((await deliveries(site)).map((d) => [d.trigger.type, d.endpoint.url, d.endpoint.kind, d.status])).toEqual([
      ['consent.updated', `${RECEIVER}/optout`, 'optout_callback', 'delivered'],
      ['consent.updated', `${RECEIVER}/optout`, 'optout_callback', 'delivered'],
      ['consent.updated', `${RECEIVER}/optin`, 'optin_callback', 'delivered'],
    ]);
  });

  it('a change that is not an opt-in turned 1 or 0 sends no callback (nor is enqueued for one)', async () => {
    const site = await callbackSite({ ...CALLBACKS, gdpr: { on_order: 'purchase' } });
    const got = receiver();
    const q = queued();
    await customer(site, q, { customer_email: 'n@shop.test', customer_name: 'N' });
    await customer(site, q, { customer_email: 'n@shop.test', customer_name: 'M', customer_city: 'Rouen' });
    await customer(site, q, { customer_email: 'n@shop.test', customer_isoptin: -1 }); // unknown is neither
    await customer(site, q, { external_id: 'NO-EMAIL', customer_isoptin: 1 }); // no receiver could tell who
    await call(q.env, new Request('https://tracker.test/api/updateOrder', {
      method: 'POST',
      headers: { authorization: site.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ data: { customer_email: 'n@shop.test', order_idorder: 'N-1', order_state: 20, order_amount: 5, order_crea_dt: '2026-12-01 10:00:00' } }),
    })); // a legal basis accepted: consent.updated, but not an opt-in
    expect((await triggers(site)).filter((t) => t.type === 'consent.updated').map((t) => t.kind).sort()).toEqual(['legal_basis', 'optin', 'optin']);
    expect(q.sent).toEqual([]);
    // A webhook for everything takes them all; still no callback.
    await post(site, '/api/webhooks', { url: `${RECEIVER}/all`, events: ['*'] }, 'json');
    await customer(site, q, { customer_email: 'n@shop.test', customer_isoptin: -1, customer_name: 'O' });
    await customer(site, q, { customer_email: 'n@shop.test', customer_mobile_isoptin: -1 });
    await deliverAll(q);
    expect(got.map((g) => g.url)).toEqual([`${RECEIVER}/all`, `${RECEIVER}/all`]);
  });

  it('a callback answered 500 is retried on the same delivery row, then delivered; "send again" queues it again', async () => {
    const site = await callbackSite();
    const got = receiver((n) => (n === 1 ? 500 : 200));
    const q = queued();
    await customer(site, q, { customer_email: 'r@shop.test', customer_isoptin: 1 });
    await consume(q.env, q.sent.splice(0));
    const [delivery] = q.sent.splice(0);
    const first = await consume(q.env, [delivery]);
    expect(first.retryMessages).toHaveLength(1);
    expect((await deliveries(site)).map((d) => [d.status, d.attempts, d.last_status, d.last_error])).toEqual([['pending', 1, 500, 'HTTP 500']]);
    const again = await consume(q.env, [delivery], 2);
    expect(again.explicitAcks).toHaveLength(1);
    const [d] = await deliveries(site);
    expect(d).toMatchObject({ id: delivery.id, status: 'delivered', attempts: 2, last_status: 200, endpoint: { url: `${RECEIVER}/optin`, kind: 'optin_callback' } });
    expect(got).toHaveLength(2);
    expect(got[1].form).toEqual(got[0].form);
    const res = await call(q.env, new Request(`https://tracker.test/api/deliveries/${d.id}/retry`, { method: 'POST', headers: { authorization: site.auth } }));
    expect(res.status).toBe(202);
    expect(q.sent).toEqual([{ t: 'delivery', id: d.id, s: expect.any(Number), db: 'DB' }]);
  });

  it('a URL changed in the settings takes the pending retries, with the new secret; a URL removed, its deliveries', async () => {
    const site = await callbackSite();
    const got = receiver((n) => (n === 1 ? 503 : 200));
    const q = queued();
    await customer(site, q, { customer_email: 'u@shop.test', customer_isoptin: 1 });
    const [delivery] = await deliverAll(q);
    await put(site, '/api/settings', { optin_callback_url: `${RECEIVER}/optin-v2`, callback_secret: 'new-param' });
    await consume(q.env, [delivery], 2);
    expect(got.map((g) => [g.url, g.form.secret])).toEqual([
      [`${RECEIVER}/optin`, SECRET],
      [`${RECEIVER}/optin-v2`, 'new-param'],
    ]);
    await put(site, '/api/settings', { optin_callback_url: null });
    expect(await deliveries(site)).toEqual([]);
  });
});

describe('inbound: POST /callback/optin and /callback/optout', () => {
  it('a wrong or missing secret, or a site without one: 403 naming secret, and nothing changes', async () => {
    const site = await callbackSite();
    await post(site, '/api/updateCustomer', { data: { customer_email: 'w@shop.test', customer_isoptin: 1 } });
    const before = await profiles(site);
    const count = (await triggers(site)).length;
    for (const secret of [undefined, '', 'IdoSell-param-17', SECRET.slice(0, -1), SECRET.toLowerCase()]) {
      const res = await inbound('optout', { key: site.publicKey, email: 'w@shop.test', ...(secret === undefined ? {} : { secret }) });
      expect(res.status, String(secret)).toBe(403);
      expect((await json(res)).error).toMatchObject({ code: 'wrong_secret', fields: [{ field: 'secret' }] });
    }
    expect(await fieldsOf(await inbound('optout', { key: site.publicKey, email: 'w@shop.test', secret: 42 } as Json, 'json'))).toEqual([403, ['secret']]);
    const none = await newSite();
    await post(none, '/api/updateCustomer', { data: { customer_email: 'w@shop.test', customer_isoptin: 1 } });
    const res = await inbound('optout', { key: none.publicKey, email: 'w@shop.test', secret: SECRET });
    expect(res.status).toBe(403);
    expect((await json(res)).error.fields[0].reason).toMatch(/no callback_secret/);
    expect(await profiles(site)).toEqual(before);
    expect((await profiles(none))[0]).toMatchObject({ isoptin: 1 });
    expect(await triggers(site)).toHaveLength(count);
  });

  it('refusals are logged for the site in the public channel, without the secret', async () => {
    const site = await callbackSite();
    expect((await inbound('optin', { key: site.publicKey, email: 'l@shop.test', secret: 'guess-me-please' })).status).toBe(403);
    await vi.waitFor(async () => expect((await json(await get(site, '/api/rejections/recent?channel=public'))).rejections).toHaveLength(1));
    const [r] = (await json(await get(site, '/api/rejections/recent?channel=public'))).rejections;
    expect(r).toMatchObject({ route: '/callback/optin', status: 403, code: 'wrong_secret', channel: 'public' });
    expect(r.excerpt).toBe('key=pk_[redacted]&email=l%40shop.test&secret=[redacted]');
  });

  it('an unknown key: 401 as /collect answers it; no identifier, or a bad one: 400 naming the field', async () => {
    const site = await callbackSite();
    for (const key of [undefined, 'pk_0000000000000000000000', 'nonsense', site.privateKey])
      expect(await fieldsOf(await inbound('optin', { ...(key ? { key } : {}), email: 'k@shop.test', secret: SECRET })), String(key)).toEqual([401, ['key']]);
    const ok = { key: site.publicKey, secret: SECRET };
    expect(await fieldsOf(await inbound('optin', ok))).toEqual([400, ['email']]);
    expect(await fieldsOf(await inbound('optin', { ...ok, email: '', mobile: '' }))).toEqual([400, ['email']]);
    expect(await fieldsOf(await inbound('optin', { ...ok, email: 'not-an-email' }))).toEqual([400, ['email']]);
    expect(await fieldsOf(await inbound('optin', { ...ok, mobile: 'x'.repeat(33) }))).toEqual([400, ['mobile']]);
    expect(await fieldsOf(await inbound('optin', { ...ok, mobile: '0600000000', channel: 'email' }))).toEqual([400, ['email']]);
    expect(await fieldsOf(await inbound('optin', { ...ok, email: 'k@shop.test', channel: 'post' }))).toEqual([400, ['channel']]);
    expect(await profiles(site)).toEqual([]);
  });

  it('the right secret sets the email opt-in, source callback, and fires consent.updated with source callback', async () => {
    const site = await callbackSite({ ...CALLBACKS, gdpr: { email_optin: { to: 'consent', id: 'newsletter' } } });
    await post(site, '/api/updateCustomer', { data: { customer_email: 'c@shop.test', customer_name: 'C', customer_isoptin: 1 } });
    const [before] = await profiles(site);
    const res = await inbound('optout', { key: site.publicKey, secret: SECRET, email: ' C@Shop.test ', status: 'unsubscribed' });
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ ok: true, status: 'optout', channel: 'email', profiles: 1, created: false });
    const [p] = await profiles(site);
    expect(p).toMatchObject({ id: before.id, isoptin: 0, isoptin_source: 'callback', name: 'C', version: before.version + 1 });
    expect(p.isoptin_at).toBeGreaterThan(before.isoptin_at - 1);
    expect(JSON.parse(p.gdpr).consents.newsletter).toMatchObject({ status: 'refused', source: 'callback', reason: 'email_optin' });
    const consents = (await triggers(site)).filter((t) => t.type === 'consent.updated');
    expect(consents.slice(0, 2).map((t) => [t.consent, t.kind, t.old, t.new, t.source])).toEqual([
      ['newsletter', 'consent', 'accepted', 'refused', 'callback'],
      ['email_optin', 'optin', 1, 0, 'callback'],
    ]);
    // The same callback again changes nothing and fires nothing; JSON works as a form does.
    const count = (await triggers(site)).length;
    const repeat = await inbound('optout', { key: site.publicKey, secret: SECRET, email: 'c@shop.test' }, 'json');
    expect(await json(repeat)).toMatchObject({ ok: true, profiles: 1, created: false });
    expect(await triggers(site)).toHaveLength(count);
    expect((await profiles(site))[0].version).toBe(p.version);
  });

  it('the browser tracker cannot undo what a callback recorded, even on a profile it made', async () => {
    const site = await callbackSite({ ...CALLBACKS, get_mode: true });
    const beacon = (id: string, data: Json) =>
      SELF.fetch('https://tracker.test/collect', { method: 'POST', body: JSON.stringify({ key: site.publicKey, events: [{ id, type: 'optin', ts: Date.now(), sbt: 'CallbackVisitor00001', data }] }) });
    expect((await beacon('callbacktracker00001', { customer_email: 't@shop.test', customer_isoptin: 1 })).status).toBe(204);
    expect((await profiles(site))[0]).toMatchObject({ isoptin: 1, isoptin_source: 'tracker', server_written: 0 });
    expect((await inbound('optout', { key: site.publicKey, secret: SECRET, email: 't@shop.test' })).status).toBe(200);
    expect((await beacon('callbacktracker00002', { customer_email: 't@shop.test', customer_isoptin: 1 })).status).toBe(204);
    expect((await profiles(site))[0]).toMatchObject({ isoptin: 0, isoptin_source: 'callback', server_written: 0 });
    // The shop's server still can: it has the same authority.
    await post(site, '/api/updateCustomer', { data: { customer_email: 't@shop.test', customer_isoptin: 1 } });
    expect((await profiles(site))[0]).toMatchObject({ isoptin: 1, isoptin_source: 'api' });
  });

  it('an unknown email makes a profile, source callback; a mobile sets the SMS opt-in of every profile with that number', async () => {
    const site = await callbackSite();
    const res = await inbound('optin', { key: site.publicKey, secret: SECRET, email: 'new@shop.test', mobile: '0611223344' });
    expect(await json(res)).toEqual({ ok: true, status: 'optin', channel: 'email', profiles: 1, created: true });
    expect((await profiles(site))[0]).toMatchObject({ email: 'new@shop.test', email_source: 'callback', mobile: '0611223344', isoptin: 1, isoptin_source: 'callback', mobile_isoptin: null, source: 'callback' });
    expect((await triggers(site)).find((t) => t.type === 'profile.created')).toMatchObject({ source: 'callback', profile: { customer_email: 'new@shop.test' } });

    await post(site, '/api/updateCustomer', { data: { customer_email: 'a@shop.test', customer_mobile: '0699887766', customer_mobile_isoptin: 1 } });
    await post(site, '/api/updateCustomer', { data: { customer_email: 'b@shop.test', customer_mobile: '0699887766' } });
    await post(site, '/api/updateCustomer', { data: { customer_email: 'c@shop.test', customer_mobile: '0600000000', customer_mobile_isoptin: 1 } });
    const sms = await inbound('optout', { key: site.publicKey, secret: SECRET, mobile: '0699887766' });
    expect(await json(sms)).toEqual({ ok: true, status: 'optout', channel: 'sms', profiles: 2, created: false });
    const byEmail = Object.fromEntries((await profiles(site)).map((p) => [p.email, [p.mobile_isoptin, p.mobile_isoptin_source]]));
    expect(byEmail).toMatchObject({ 'a@shop.test': [0, 'callback'], 'b@shop.test': [0, 'callback'], 'c@shop.test': [1, 'api'] });
    // channel=sms with an email: the SMS opt-in of that email's profile.
    expect(await json(await inbound('optin', { key: site.publicKey, secret: SECRET, email: 'c@shop.test', channel: 'sms' }))).toMatchObject({ channel: 'sms', profiles: 1 });
    // An unknown number makes a profile with it alone.
    expect(await json(await inbound('optin', { key: site.publicKey, secret: SECRET, mobile: '0712345678' }))).toMatchObject({ channel: 'sms', created: true });
    expect((await profiles(site)).at(-1)).toMatchObject({ email: null, mobile: '0712345678', mobile_isoptin: 1, mobile_isoptin_source: 'callback' });
  });

  it("one site's callback never touches another site's profile", async () => {
    const a = await callbackSite();
    const b = await callbackSite({ ...CALLBACKS, callback_secret: 'b-secret' });
    for (const site of [a, b]) await post(site, '/api/updateCustomer', { data: { customer_email: 'both@shop.test', customer_mobile: '0655555555', customer_isoptin: 1, customer_mobile_isoptin: 1 } });
    expect((await inbound('optout', { key: b.publicKey, secret: SECRET, email: 'both@shop.test' })).status).toBe(403); // a's secret, b's key
    expect((await inbound('optout', { key: a.publicKey, secret: SECRET, email: 'both@shop.test' })).status).toBe(200);
    expect((await inbound('optout', { key: a.publicKey, secret: SECRET, mobile: '0655555555' })).status).toBe(200);
    expect((await profiles(a))[0]).toMatchObject({ isoptin: 0, mobile_isoptin: 0 });
    expect((await profiles(b))[0]).toMatchObject({ isoptin: 1, mobile_isoptin: 1, isoptin_source: 'api' });
    expect((await triggers(b)).filter((t) => t.source === 'callback')).toEqual([]);
  });

  it('a change a callback made is posted to the opt-out URL too (the shop platform hears of it); a repeat posts nothing', async () => {
    const site = await callbackSite();
    const got = receiver();
    const q = queued();
    await customer(site, q, { customer_email: 'e@shop.test', customer_isoptin: 1 });
    await deliverAll(q);
    const req = () => new Request('https://tracker.test/callback/optout', { method: 'POST', body: new URLSearchParams({ key: site.publicKey, secret: SECRET, email: 'e@shop.test' }) });
    expect((await call(q.env, req())).status).toBe(200);
    expect((await call(q.env, req())).status).toBe(200);
    await deliverAll(q);
    expect(got.map((g) => [g.url, g.form.status])).toEqual([
      [`${RECEIVER}/optin`, 'optin'],
      [`${RECEIVER}/optout`, 'optout'],
    ]);
  });

  it('is rate limited before the secret is checked', async () => {
    const site = await callbackSite();
    const refuseAll = { limit: async () => ({ success: false }) } as unknown as RateLimit;
    const req = new Request('https://tracker.test/callback/optin', { method: 'POST', body: new URLSearchParams({ key: site.publicKey, secret: 'wrong', email: 'z@shop.test' }) });
    const res = await call({ ...env, COLLECT_PER_IP: refuseAll }, req);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('60');
    expect((await json(res)).error.message).toBe('Too many requests from this visitor address to /callback: try again in 60 s.');
  });

  it('never answers 5xx, whatever is sent, and writes nothing on a refusal', async () => {
    const site = await callbackSite();
    const bodies: [string, string][] = [
      ['application/json', '[]'],
      ['application/json', '"x"'],
      ['application/json', '{'],
      ['application/json', JSON.stringify({ key: site.publicKey, secret: SECRET, email: { a: 1 } })],
      ['application/json', JSON.stringify({ key: site.publicKey, secret: SECRET, email: ['a@b.test'], mobile: 7 })],
      ['application/json', JSON.stringify({ key: [site.publicKey], secret: SECRET, email: 'a@b.test' })],
      ['application/json', JSON.stringify({ key: site.publicKey, secret: [SECRET], email: 'a@b.test' })],
      ['application/json', JSON.stringify({ key: site.publicKey, secret: SECRET, email: 'a@b.test', channel: null, mobile: null })],
      ['application/x-www-form-urlencoded', `key=${site.publicKey}&secret=${SECRET}&email[]=a@b.test`],
      ['application/x-www-form-urlencoded', `key=${site.publicKey}&secret=${SECRET}&__proto__[x]=1&email=a@b.test`],
      ['application/x-www-form-urlencoded', `key=${site.publicKey}&secret=${SECRET}&mobile=%00%01`],
      ['application/x-www-form-urlencoded', `key=${site.publicKey}&secret=${SECRET}&email=${'a'.repeat(60_000)}@b.test`],
      ['text/plain', 'hello'],
      ['multipart/form-data; boundary=x', '--x\r\nbroken'],
    ];
    for (const [type, body] of bodies) {
      const res = await SELF.fetch('https://tracker.test/callback/optout', { method: 'POST', headers: { 'content-type': type }, body });
      expect(res.status, `${type} ${body.slice(0, 100)}`).toBeLessThan(500);
      expect(res.headers.get('content-type'), body.slice(0, 100)).toMatch(/json/);
    }
    const big = await SELF.fetch('https://tracker.test/callback/optout', { method: 'POST', body: 'x'.repeat(70_000) });
    expect(big.status).toBe(413);
    // One of them was a valid call (null channel and mobile are left out): it alone wrote.
    expect((await profiles(site)).map((p) => p.email)).toEqual(['a@b.test']);
  });
});
