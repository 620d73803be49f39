// Abandoned carts: a cart with items that no order and no newer cart follows within the site's
// abandoned_cart_minutes fires one cart.abandoned, from a delayed TRIGGERS message, not a scan.
// The queue here is a fake that records what is sent and with which delay; the consumer runs on
// those messages, its clock given (checkCart's `now`), so no test waits for the delay.
import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import worker from '../src/index';
import { checkCart, MAX_DELAY_S } from '../src/automations/carts';
import type { OutboxMessage } from '../src/automations/outbox';
import { get, newSite, put, type TestSite } from './helpers';

type Json = Record<string, any>;
type Sent = { body: OutboxMessage; delaySeconds?: number };
type Cart = Extract<OutboxMessage, { t: 'cart' }>;

const json = async (res: Response) => (await res.json()) as Json;
const triggers = async (site: TestSite) => (await json(await get(site, '/api/triggers/recent'))).triggers as Json[];
const abandoned = async (site: TestSite) => (await triggers(site)).filter((t) => t.type === 'cart.abandoned');

/** A queue that keeps what it is given, with each message's delay. */
function fakeQueue() {
  const sent: Sent[] = [];
  const queue = {
    send: async (body: OutboxMessage, o?: { delaySeconds?: number }) => void sent.push({ body, delaySeconds: o?.delaySeconds }),
    sendBatch: async (ms: { body: OutboxMessage; delaySeconds?: number }[]) => void sent.push(...ms.map((m) => ({ body: m.body, delaySeconds: m.delaySeconds }))),
  };
  return { sent, env: { ...env, TRIGGERS: queue as unknown as Queue<OutboxMessage> } };
}

let n = 0;
const ITEMS = [{ product_id: 'P-1', name: 'Mug', quantity: 2, unit_price: 9.5 }];
const cartData = (items: Json[] = ITEMS) => ({ items, cart_amount: items.length ? 19 : 0, currency: 'EUR', cart_recovery_url: 'https://shop.example/cart/restore/abc' });
const event = (sbt: string, type: string, data: Json, ts = Date.now()) => ({ id: `cartev${String(++n).padStart(14, '0')}`, type, ts, sbt, data });

/** One /collect call through the Worker, and the TRIGGERS messages its answer enqueued. */
async function collect(q: ReturnType<typeof fakeQueue>, site: TestSite, events: Json[]) {
  const ctx = createExecutionContext();
  const req = new Request('https://tracker.test/collect', { method: 'POST', body: JSON.stringify({ key: site.publicKey, events }) });
  const res = await worker.fetch(req, q.env, ctx);
  expect(res.status, await res.clone().text()).toBe(204);
  await getQueueResult(createMessageBatch('shopbeacon-triggers', []), ctx);
}

/** Runs the consumer on the messages sent so far (taking them off the fake queue). */
async function consume(q: ReturnType<typeof fakeQueue>) {
  const messages = q.sent.splice(0);
  const batch = createMessageBatch('shopbeacon-triggers', messages.map((m, i) => ({ id: `c${++n}-${i}`, timestamp: Date.now(), attempts: 1, body: m.body })));
  await worker.queue!(batch as MessageBatch<unknown>, q.env);
  return messages;
}

/** The cart checks sent so far, taken off the fake queue. */
const cartChecks = (q: ReturnType<typeof fakeQueue>) => {
  const checks = q.sent.filter((m) => m.body.t === 'cart');
  q.sent.splice(0, q.sent.length, ...q.sent.filter((m) => m.body.t !== 'cart'));
  return checks as { body: Cart; delaySeconds?: number }[];
};

/** The cart event's trigger goes on the queue; the consumer starts its clock: one delayed check. */
async function cartThenClock(q: ReturnType<typeof fakeQueue>, site: TestSite, sbt: string, data: Json, ts?: number) {
  await collect(q, site, [event(sbt, 'cart', data, ts)]);
  await consume(q);
  return cartChecks(q);
}

describe('cart.abandoned', () => {
  it('fires once, when the time is up, with the items, amount, currency, recovery URL and the email known by then', async () => {
    const site = await newSite();
    const q = fakeQueue();
    const sbt = 'AbandonVisitor00000001';
    const [check, ...more] = await cartThenClock(q, site, sbt, cartData());
    expect(more).toEqual([]);
    // The default: 60 minutes, as a delayed message (less the moment the consumer took).
    expect(check.delaySeconds).toBeGreaterThan(3590);
    expect(check.delaySeconds).toBeLessThanOrEqual(3600);
    expect(check.body).toMatchObject({ t: 'cart', site: site.siteId });
    // The visitor gives an email at checkout, and leaves.
    await put(site, '/api/settings', { get_mode: true });
    await collect(q, site, [event(sbt, 'account', { customer_email: 'gone@shop.test' })]);
    q.sent.splice(0);
    expect(await checkCart(q.env, q.env.DB, check.body, check.body.due - 5_000)).toBe('waiting'); // not yet: sent again for the rest
    expect(cartChecks(q).map((c) => c.delaySeconds)).toEqual([5]);
    expect(await abandoned(site)).toEqual([]);
    expect(await checkCart(q.env, q.env.DB, check.body, check.body.due)).toBe('fired');
    expect(await checkCart(q.env, q.env.DB, check.body, check.body.due + 1)).toBe('done'); // the same check twice (at-least-once delivery)
    const fired = await abandoned(site);
    expect(fired).toHaveLength(1);
    expect(fired[0]).toMatchObject({
      identifier: 'abandoned_cart',
      cart: cartData(),
      profile: { customer_email: 'gone@shop.test', customer_cookie: sbt },
    });
    expect(Date.parse(fired[0].cart_updated_at)).toBeLessThanOrEqual(Date.parse(fired[0].at));
  });

  it('a newer cart restarts the clock; an emptied cart or an order stops it', async () => {
    const site = await newSite();
    const q = fakeQueue();
    // A newer cart: the first check finds it is not the latest; the second one fires.
    const [first] = await cartThenClock(q, site, 'AbandonVisitor00000002', cartData());
    const [second] = await cartThenClock(q, site, 'AbandonVisitor00000002', cartData([...ITEMS, { product_id: 'P-2', quantity: 1, unit_price: 1 }]));
    expect(second.body.due).toBeGreaterThanOrEqual(first.body.due);
    expect(await checkCart(q.env, q.env.DB, first.body, second.body.due)).toBe('done');
    expect(await checkCart(q.env, q.env.DB, second.body, second.body.due)).toBe('fired');
    // Emptied: no check is started for the empty cart, and the earlier one fires nothing.
    const [full] = await cartThenClock(q, site, 'AbandonVisitor00000003', cartData());
    expect(await cartThenClock(q, site, 'AbandonVisitor00000003', cartData([]))).toEqual([]);
    expect(await checkCart(q.env, q.env.DB, full.body, full.body.due)).toBe('done');
    // An order from the browser, by the same visitor.
    const [ordered] = await cartThenClock(q, site, 'AbandonVisitor00000004', cartData());
    await put(site, '/api/settings', { get_mode: true });
    await collect(q, site, [event('AbandonVisitor00000004', 'order', { customer_email: 'o@shop.test', order_idorder: 'AB-1', order_state: 10, order_amount: 19, order_crea_dt: '2026-12-03 10:00:00' })]);
    expect(await checkCart(q.env, q.env.DB, ordered.body, ordered.body.due)).toBe('done');
    // An order from the shop's server, for the profile of the visitor's cookie.
    const [server] = await cartThenClock(q, site, 'AbandonVisitor00000005', cartData());
    const res = await worker.fetch(
      new Request('https://tracker.test/api/updateOrder', {
        method: 'POST',
        headers: { authorization: site.auth, 'content-type': 'application/json' },
        body: JSON.stringify({ data: { customer_email: 's@shop.test', customer_cookie: 'AbandonVisitor00000005', order_idorder: 'AB-2', order_state: 20, order_amount: 19, order_crea_dt: '2026-12-03 10:00:00' } }),
      }),
      q.env,
      createExecutionContext(),
    );
    expect(res.status).toBe(200);
    expect(await checkCart(q.env, q.env.DB, server.body, server.body.due)).toBe('done');
    expect((await abandoned(site)).map((t) => t.profile.customer_cookie)).toEqual(['AbandonVisitor00000002']);
  });

  it('an older cart event sent late does not replace the latest cart', async () => {
    const site = await newSite();
    const q = fakeQueue();
    const [latest] = await cartThenClock(q, site, 'AbandonVisitor00000006', cartData());
    expect(await cartThenClock(q, site, 'AbandonVisitor00000006', cartData([]), Date.now() - 60_000)).toEqual([]);
    expect(await checkCart(q.env, q.env.DB, latest.body, latest.body.due)).toBe('fired');
  });

  it('waits up to a day: past the 12 hours a message can be held, it is sent again for the rest', async () => {
    const site = await newSite();
    await put(site, '/api/settings', { abandoned_cart_minutes: 1440 });
    const q = fakeQueue();
    const [check] = await cartThenClock(q, site, 'AbandonVisitor00000007', cartData());
    expect(check.delaySeconds).toBe(MAX_DELAY_S);
    await checkCart(q.env, q.env.DB, check.body, check.body.due - 86_400_000 + MAX_DELAY_S * 1000);
    const [rest] = cartChecks(q);
    expect(rest.delaySeconds).toBe(MAX_DELAY_S);
    expect(await abandoned(site)).toEqual([]);
    expect(await checkCart(q.env, q.env.DB, rest.body, rest.body.due)).toBe('fired');
  });

  it('0 turns it off: cart triggers are not enqueued, and a check already waiting fires nothing', async () => {
    const site = await newSite();
    const q = fakeQueue();
    const [waiting] = await cartThenClock(q, site, 'AbandonVisitor00000008', cartData());
    await put(site, '/api/settings', { abandoned_cart_minutes: 0 });
    await collect(q, site, [event('AbandonVisitor00000009', 'cart', cartData())]);
    expect(q.sent).toEqual([]); // no endpoint wants cart.updated, and no clock to start
    expect(await checkCart(q.env, q.env.DB, waiting.body, waiting.body.due)).toBe('done');
    expect((await triggers(site)).filter((t) => t.type === 'cart.updated')).toHaveLength(2); // still listed
  });

  it('refuses a setting that is not 0 to 1,440 whole minutes, naming it', async () => {
    const site = await newSite();
    for (const bad of [-1, 1441, 1.5, '60', true]) {
      const res = await put(site, '/api/settings', { abandoned_cart_minutes: bad });
      expect(res.status, String(bad)).toBe(400);
      expect((await json(res)).error.fields).toEqual([{ field: 'abandoned_cart_minutes', reason: 'must be a whole number of minutes from 0 (off) to 1440' }]);
    }
    expect((await json(await put(site, '/api/settings', { abandoned_cart_minutes: 15 }))).settings.abandoned_cart_minutes).toBe(15);
    expect((await json(await put(site, '/api/settings', { abandoned_cart_minutes: null }))).settings.abandoned_cart_minutes).toBe(60);
  });

  it('goes to an endpoint subscribed to cart.abandoned, like every trigger', async () => {
    const site = await newSite();
    const q = fakeQueue();
    const hook = await worker.fetch(
      new Request('https://tracker.test/api/webhooks', { method: 'POST', headers: { authorization: site.auth, 'content-type': 'application/json' }, body: JSON.stringify({ url: 'https://hooks.receiver.example.com/carts', events: ['cart.abandoned'] }) }),
      env,
      createExecutionContext(),
    );
    expect(hook.status).toBe(201);
    const [check] = await cartThenClock(q, site, 'AbandonVisitor00000010', cartData());
    expect(await checkCart(q.env, q.env.DB, check.body, check.body.due)).toBe('fired');
    const [enqueued] = q.sent.splice(0);
    expect(enqueued.body).toMatchObject({ t: 'trigger', type: 'cart.abandoned' });
    q.sent.push(enqueued);
    await consume(q); // the fan-out: one delivery for the endpoint
    expect(q.sent.map((m) => m.body.t)).toEqual(['delivery']);
  });

  it('one site’s check never fires another site’s cart', async () => {
    const [a, b] = [await newSite(), await newSite()];
    const q = fakeQueue();
    const [check] = await cartThenClock(q, a, 'AbandonVisitor00000011', cartData());
    expect(await checkCart(q.env, q.env.DB, { ...check.body, site: b.siteId }, check.body.due)).toBe('done');
    expect(await abandoned(b)).toEqual([]);
  });
});
