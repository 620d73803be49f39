// The dashboard's Webhooks and Deliveries pages: an endpoint added through checkWebhook (its
// refusals next to the field, nothing written), its secret shown once after the redirect,
// rotated and removed; the site's deliveries as the TRIGGERS consumer records them, and "Send
// again" putting one back on the queue; one site never reaching another's; CSRF on every form.
import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import worker from '../src/index';
import { WEBHOOK_FLASH_COOKIE } from '../src/dashboard/webhook-flash';
import { Client, loggedIn, ORIGIN, workerWith } from './dashboard-client';
import { get, newSite, post, type TestSite } from './helpers';

type Json = Record<string, any>;
const RECEIVER = 'https://hooks.receiver.example.com';

afterEach(() => vi.restoreAllMocks());

const shownSecret = (html: string) => /<pre id="webhook-secret"><code>(whsec_[A-Za-z0-9+/=]+)<\/code><\/pre>/.exec(html)?.[1];
const errorOf = (html: string, id: string) => new RegExp(`<p class="field-error" id="err-${id}">([^<]*)</p>`).exec(html)?.[1];
const stored = async (site: TestSite) =>
  (await env.DB.prepare('SELECT id, url, events, secret, rotated_at FROM webhooks WHERE site_id = ? ORDER BY id').bind(site.siteId).all<Json>()).results;

/** A queue that keeps what is sent to it. */
function fakeQueue() {
  const sent: Json[] = [];
  const queue = { send: async (body: Json) => void sent.push(body), sendBatch: async (messages: { body: Json }[]) => void sent.push(...messages.map((m) => m.body)) };
  return { sent, queue: queue as unknown as Queue };
}

/** A client logged in to the site, answered by the Worker with these bindings. */
const clientWith = (site: TestSite, bindings: Partial<Cloudflare.Env>) => loggedIn(site, new Client(ORIGIN, {}, workerWith(bindings)));

/** Adds an endpoint with the form, as a merchant does: the POST redirects to the page that shows the secret. */
async function addEndpoint(client: Client, form: Record<string, string | string[]> = {}) {
  const res = await client.post('/dashboard/webhooks', { _csrf: await client.csrf('/dashboard/webhooks'), url: `${RECEIVER}/in`, events: ['order.created', 'order.state_changed'], ...form });
  expect(res.status, await res.clone().text()).toBe(303);
  expect(res.headers.get('location')).toBe('/dashboard/webhooks');
  return { res, html: await (await client.get('/dashboard/webhooks')).text() };
}

/** Runs the TRIGGERS consumer (or its dead-letter queue's) on these message bodies. */
async function consume(queueName: string, bodies: Json[], bindings: Partial<Cloudflare.Env> = {}, attempts = 1) {
  const batch = createMessageBatch(queueName, bodies.map((body, i) => ({ id: `m${i}`, timestamp: Date.now(), attempts, body })));
  const ctx = createExecutionContext();
  await worker.queue!(batch as MessageBatch<unknown>, { ...env, ...bindings });
  return getQueueResult(batch, ctx);
}

/** The receiver answers every delivery with `status`. */
function receiverAnswers(status: number) {
  vi.restoreAllMocks();
  const real = globalThis.fetch;
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) =>
    String(input instanceof Request ? input.url : input).startsWith(RECEIVER) ? new Response('', { status }) : real(input, init),
  );
}

/**
 * A delivery of the site's first trigger to its endpoint, as the consumer makes and posts it:
 * the trigger fans out, and the receiver answers `status`. The trigger is made before the
 * endpoint, so nothing else enqueues it.
 */
async function deliveryFor(site: TestSite, status: number) {
  const triggerId = (await env.DB.prepare('SELECT id FROM triggers WHERE site_id = ? ORDER BY id LIMIT 1').bind(site.siteId).first<number>('id'))!;
  const { sent, queue } = fakeQueue();
  await consume('shopbeacon-triggers', [{ t: 'trigger', id: triggerId }], { TRIGGERS: queue });
  expect(sent).toHaveLength(1);
  receiverAnswers(status);
  await consume('shopbeacon-triggers', sent, { TRIGGERS: queue });
  return sent[0].id as number;
}

/** A site with a customer (its profile.created trigger) and then an endpoint for every event. */
async function siteWithEndpoint(path = '/in') {
  const site = await newSite();
  expect((await post(site, '/api/updateCustomer', { data: { customer_email: 'hooks@shop.test' } })).status).toBe(200);
  const client = await loggedIn(site);
  await addEndpoint(client, { url: `${RECEIVER}${path}`, events: ['*'] });
  return { site, client };
}

describe('the Webhooks page', () => {
  it('adds an endpoint: listed with its events, its secret shown once on the page the form redirects to, never on a reload', async () => {
    const site = await newSite();
    const client = await loggedIn(site);
    const { res, html } = await addEndpoint(client);
    const [row] = await stored(site);
    expect(row).toMatchObject({ url: `${RECEIVER}/in`, events: '["order.created","order.state_changed"]', rotated_at: null });
    expect(shownSecret(html)).toBe(row.secret);
    expect(html).toContain('The signing secret, shown this once');
    expect(html).toContain(`For <code id="webhook-secret-url">${RECEIVER}/in</code>.`);
    // The cookie names the endpoint, never the secret: signed, HttpOnly, for this page only, 60 s.
    const setCookie = res.headers.getSetCookie().join('\n');
    expect(setCookie).toMatch(new RegExp(`^${WEBHOOK_FLASH_COOKIE}=[^;]+; Max-Age=60; Path=/dashboard/webhooks; HttpOnly; Secure; SameSite=Strict$`));
    expect(decodeURIComponent(setCookie)).not.toContain(row.secret);
    expect(client.cookies.has(WEBHOOK_FLASH_COOKIE)).toBe(false); // the page cleared it
    expect(html).toContain(`<td data-label="Endpoint URL" class="c-url">${RECEIVER}/in</td>`);
    expect(html).toContain('<td data-label="Events" class="c-events">order.created\norder.state_changed</td>');
    expect(html).toContain('<td data-label="Secret rotated" class="c-time">never</td>');
    for (let reload = 0; reload < 2; reload++) {
      const again = await (await client.get('/dashboard/webhooks')).text();
      expect(shownSecret(again)).toBeUndefined();
      expect(again).not.toContain(row.secret);
      expect(again).toContain(`${RECEIVER}/in</td>`);
    }
    // The API lists the same endpoint.
    const api = ((await (await get(site, '/api/webhooks')).json()) as Json).webhooks;
    expect(api).toEqual([expect.objectContaining({ id: row.id, url: `${RECEIVER}/in`, events: ['order.created', 'order.state_changed'] })]);
    // "Every event" is stored as ["*"].
    const every = await addEndpoint(client, { url: `${RECEIVER}/all`, events: ['*'] });
    expect((await stored(site))[1].events).toBe('["*"]');
    expect(every.html).toContain('<td data-label="Events" class="c-events">Every event</td>');
  });

  it('a refused URL shows its reason next to the field, keeps what was typed, and writes nothing', async () => {
    const site = await newSite();
    // As deployed: WEBHOOKS_ALLOW_LOCAL unset (the tests' Worker sets it).
    const client = await clientWith(site, { WEBHOOKS_ALLOW_LOCAL: undefined });
    const refusals = {
      'http://hooks.shop-esp.com/x': 'must be https (http is taken only when the deployment sets WEBHOOKS_ALLOW_LOCAL=1)',
      'https://10.0.0.1/x': 'must name a host, not an IP address',
      'https://db.internal/x': 'must be a public host name, not a local or reserved one',
    };
    for (const [url, reason] of Object.entries(refusals)) {
      const res = await client.post('/dashboard/webhooks', { _csrf: await client.csrf('/dashboard/webhooks'), url, events: ['order.created'] });
      expect(res.status).toBe(400);
      const html = await res.text();
      expect(errorOf(html, 'url')).toBe(reason);
      expect(html).toContain(`value="${url}" autocomplete="off" spellcheck="false" placeholder="https://hooks.your-shop.com/shopbeacon" aria-invalid="true" aria-describedby="err-url"/>`);
      expect(html).toContain('Nothing was added: see the errors next to the fields.');
      expect(html).toContain('value="order.created" checked=""');
      expect(errorOf(html, 'events')).toBeUndefined();
      expect(res.headers.getSetCookie()).toEqual([]);
    }
    // No event ticked: the error is next to the events.
    const none = await client.post('/dashboard/webhooks', { _csrf: await client.csrf('/dashboard/webhooks'), url: 'https://hooks.shop-esp.com/x' });
    expect(none.status).toBe(400);
    expect(errorOf(await none.text(), 'events')).toMatch(/^must be a list of trigger types/);
    expect(await stored(site)).toEqual([]);
    expect(await (await client.get('/dashboard/webhooks')).text()).toContain('No endpoint yet');
  });

  it('rotating shows the new secret once; the old one is no longer the stored one, and a flash from before a later rotation shows nothing', async () => {
    const site = await newSite();
    const client = await loggedIn(site);
    const first = shownSecret((await addEndpoint(client)).html)!;
    const [{ id }] = await stored(site);
    const rotate = async () => {
      const res = await client.post(`/dashboard/webhooks/${id}/rotate`, { _csrf: await client.csrf('/dashboard/webhooks') });
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe('/dashboard/webhooks');
    };
    await rotate();
    const html = await (await client.get('/dashboard/webhooks')).text();
    const [row] = await stored(site);
    expect(row.secret).not.toBe(first);
    expect(shownSecret(html)).toBe(row.secret);
    expect(html).toContain('The new signing secret, shown this once');
    expect(html).toContain('The old secret no longer signs anything');
    expect(html).not.toContain(first);
    expect(html).toMatch(/<td data-label="Secret rotated" class="c-time">\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC<\/td>/);
    expect(shownSecret(await (await client.get('/dashboard/webhooks')).text())).toBeUndefined();
    // A flash taken before the secret was rotated again points at a secret that is no more.
    await rotate();
    const flash = client.cookies.get(WEBHOOK_FLASH_COOKIE)!;
    await rotate();
    client.cookies.set(WEBHOOK_FLASH_COOKIE, flash);
    expect(shownSecret(await (await client.get('/dashboard/webhooks')).text())).toBeUndefined();
  });

  it('removing asks first, then deletes the endpoint with its deliveries', async () => {
    const { site, client } = await siteWithEndpoint();
    const delivery = await deliveryFor(site, 200);
    const [{ id }] = await stored(site);
    const ask = await client.get(`/dashboard/webhooks/${id}/remove`);
    expect(ask.status).toBe(200);
    const html = await ask.text();
    expect(html).toContain(`<code id="remove-url">${RECEIVER}/in</code>`);
    expect(html).toContain(`action="/dashboard/webhooks/${id}/remove"`);
    expect(await stored(site)).toHaveLength(1); // asking changed nothing
    const res = await client.post(`/dashboard/webhooks/${id}/remove`, { _csrf: await client.csrf('/dashboard/webhooks') });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/dashboard/webhooks?removed=1');
    expect(await (await client.get('/dashboard/webhooks?removed=1')).text()).toContain('Endpoint removed');
    expect(await stored(site)).toEqual([]);
    expect(await env.DB.prepare('SELECT count(*) AS n FROM deliveries WHERE id = ?').bind(delivery).first('n')).toBe(0);
    expect((await client.get(`/dashboard/webhooks/${id}/remove`)).status).toBe(404);
  });
});

describe('the Deliveries page', () => {
  it('says to add an endpoint when there is none, and to make a change when no delivery was made yet', async () => {
    const site = await newSite();
    const client = await loggedIn(site);
    const empty = await (await client.get('/dashboard/deliveries')).text();
    expect(empty).toContain('<a href="/dashboard/webhooks">Add a webhook endpoint</a>');
    expect(empty).not.toContain('id="deliveries"');
    await addEndpoint(client);
    expect(await (await client.get('/dashboard/deliveries')).text()).toContain('No delivery yet. Your endpoints get the next change they subscribe to');
  });

  it('lists each delivery: trigger, endpoint, status, attempts, last answer and error, last attempt; "Send again" puts it back on the queue', async () => {
    const { site } = await siteWithEndpoint();
    const id = await deliveryFor(site, 503);
    // Every attempt failed: the dead-letter queue records it as failed.
    expect((await consume('shopbeacon-triggers-dlq', [{ t: 'delivery', id }], {}, 8)).explicitAcks).toEqual(['m0']);
    const { sent, queue } = fakeQueue();
    const client = await clientWith(site, { TRIGGERS: queue });
    const trigger = (await env.DB.prepare("SELECT uid FROM triggers WHERE site_id = ? AND type = 'profile.created'").bind(site.siteId).first<string>('uid'))!;
    const html = await (await client.get('/dashboard/deliveries')).text();
    const rows = html.split('<tr>').slice(2);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toContain(`<td data-label="Trigger" class="c-trigger">profile.created\n${trigger}</td>`);
    expect(rows[0]).toContain(`<td data-label="Endpoint URL" class="c-url">${RECEIVER}/in</td>`);
    expect(rows[0]).toContain('<td data-label="Status" class="c-status" data-v="failed">failed</td>');
    expect(rows[0]).toContain('<td data-label="Attempts" class="c-attempts">1</td>');
    expect(rows[0]).toContain('<td data-label="Last answer" class="c-answer">503</td>');
    expect(rows[0]).toContain('<td data-label="Last error" class="c-error">HTTP 503</td>');
    expect(rows[0]).toMatch(/<td data-label="Last attempt" class="c-time">\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC<\/td>/);
    expect(rows[0]).toContain(`action="/dashboard/deliveries/${id}/send-again"`);

    const res = await client.post(`/dashboard/deliveries/${id}/send-again`, { _csrf: await client.csrf('/dashboard/deliveries') });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/dashboard/deliveries?sent=1');
    expect(sent).toEqual([{ t: 'delivery', id, s: expect.any(Number), db: 'DB' }]);
    const after = await (await client.get('/dashboard/deliveries?sent=1')).text();
    expect(after).toContain('Queued to be sent again, with the same webhook-id.');
    expect(after).toContain('data-v="pending">pending</td>');
    // The queue's message, consumed, posts it again: delivered this time.
    receiverAnswers(200);
    await consume('shopbeacon-triggers', sent, { TRIGGERS: queue });
    expect(await (await client.get('/dashboard/deliveries')).text()).toContain('data-v="delivered">delivered</td>');
  });
});

describe('one site, its own endpoints and deliveries only', () => {
  it("another site's endpoint and delivery are not listed, and their ids answer 404 and change nothing", async () => {
    const mine = await siteWithEndpoint('/site-a');
    const delivery = await deliveryFor(mine.site, 503);
    const [hook] = await stored(mine.site);
    const status = () => env.DB.prepare('SELECT status, attempts FROM deliveries WHERE id = ?').bind(delivery).first();
    const before = await status();
    const { sent, queue } = fakeQueue();
    const stranger = await clientWith(await newSite(), { TRIGGERS: queue });
    const csrf = await stranger.csrf('/dashboard/webhooks');
    for (const path of ['/dashboard/webhooks', '/dashboard/deliveries']) expect(await (await stranger.get(path)).text()).not.toContain('/site-a');
    const forged = {
      'GET remove': () => stranger.get(`/dashboard/webhooks/${hook.id}/remove`),
      'POST rotate': () => stranger.post(`/dashboard/webhooks/${hook.id}/rotate`, { _csrf: csrf }),
      'POST remove': () => stranger.post(`/dashboard/webhooks/${hook.id}/remove`, { _csrf: csrf }),
      'POST send again': () => stranger.post(`/dashboard/deliveries/${delivery}/send-again`, { _csrf: csrf }),
    };
    for (const [name, request] of Object.entries(forged)) {
      const res = await request();
      expect([name, res.status]).toEqual([name, 404]);
      expect(await res.text()).toMatch(/No such (endpoint|delivery)/);
    }
    expect(await stored(mine.site)).toEqual([hook]);
    expect(await status()).toEqual(before);
    expect(sent).toEqual([]);
    // The site's own flash, carried into the other site's session, shows nothing either.
    await mine.client.post(`/dashboard/webhooks/${hook.id}/rotate`, { _csrf: await mine.client.csrf('/dashboard/webhooks') });
    stranger.cookies.set(WEBHOOK_FLASH_COOKIE, mine.client.cookies.get(WEBHOOK_FLASH_COOKIE)!);
    const html = await (await stranger.get('/dashboard/webhooks')).text();
    expect(shownSecret(html)).toBeUndefined();
    expect(html).not.toContain((await stored(mine.site))[0].secret);
  });
});

describe('session and CSRF', () => {
  it('both pages are in the navigation, and need a session', async () => {
    const client = await loggedIn(await newSite());
    const html = await (await client.get('/dashboard/deliveries')).text();
    expect(html).toContain('<a href="/dashboard/webhooks">Webhooks</a>');
    expect(html).toContain('<a href="/dashboard/deliveries" aria-current="page">Deliveries</a>');
    for (const path of ['/dashboard/webhooks', '/dashboard/deliveries', '/dashboard/webhooks/1/remove']) {
      const res = await new Client().get(path);
      expect([path, res.status, res.headers.get('location')]).toEqual([path, 303, '/dashboard']);
    }
  });

  it('every form without the session token, or from another site, is refused and changes nothing', async () => {
    const { site } = await siteWithEndpoint();
    const delivery = await deliveryFor(site, 503);
    const [hook] = await stored(site);
    const status = () => env.DB.prepare('SELECT status, attempts FROM deliveries WHERE id = ?').bind(delivery).first();
    const before = await status();
    const { sent, queue } = fakeQueue();
    const merchant = await clientWith(site, { TRIGGERS: queue });
    const csrf = await merchant.csrf('/dashboard/webhooks');
    const forms: Record<string, [string, Record<string, string | string[]>]> = {
      add: ['/dashboard/webhooks', { url: `${RECEIVER}/csrf`, events: ['*'] }],
      rotate: [`/dashboard/webhooks/${hook.id}/rotate`, {}],
      remove: [`/dashboard/webhooks/${hook.id}/remove`, {}],
      'send again': [`/dashboard/deliveries/${delivery}/send-again`, {}],
    };
    for (const [name, [path, form]] of Object.entries(forms)) {
      const noToken = await merchant.post(path, form);
      expect([name, noToken.status]).toEqual([name, 403]);
      expect(await noToken.text()).toContain('This form is out of date');
      const otherOrigin = await merchant.post(path, { _csrf: csrf, ...form }, 'https://evil.example');
      expect([name, otherOrigin.status]).toEqual([name, 403]);
    }
    expect(await stored(site)).toEqual([hook]);
    expect(await status()).toEqual(before);
    expect(sent).toEqual([]);
  });
});
