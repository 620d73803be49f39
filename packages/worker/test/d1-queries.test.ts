// D1 counts every statement it runs, each one of a db.batch too, against its "queries per Worker
// invocation": 50 on the Workers Free plan, 1,000 on Paid. The local D1 does not enforce it, so
// this test counts: the Worker is called with a D1 binding that counts every statement, for the
// heaviest requests a client can send, and each must stay within the Free plan's 50.
import { env } from 'cloudflare:workers';
import { LIMITS } from '@shopbeacon/protocol';
import { describe, expect, it } from 'vitest';
import app from '../src/index';
import { forgetSite } from '../src/site-cache';
import { countingDb } from './counting-db';
import { get, newSite, post, put, type TestSite } from './helpers';

const FREE_PLAN_QUERIES = 50;

/** One request to the Worker, with its own invocation: the statements it ran, and its answer. */
async function invoke(body: unknown) {
  const { db, count } = countingDb(env.DB);
  const pending: Promise<unknown>[] = [];
  const ctx = { waitUntil: (p: Promise<unknown>) => void pending.push(p), passThroughOnException() {}, props: {} } as unknown as ExecutionContext;
  const req = new Request('https://tracker.test/collect', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify(body) });
  const res = await app.fetch(req, { ...env, DB: db }, ctx);
  await Promise.all(pending); // the rejections log, written after the answer
  return { status: res.status, queries: count(), body: await res.text() };
}

let n = 0;
const SBT = 'AbCdEfGhIjKlMnOpQrStUv';
const event = (type: string, data: Record<string, unknown>) => ({ id: `query${String(++n).padStart(16, '0')}`, type, ts: 1_764_000_000_000 + n, sbt: SBT, data });
const page = () => event('page', { url: `https://shop.example/p${n}`, title: 'x'.repeat(300) });
/** An order with both identifiers (the profile link UPDATE) on a site with an on-order legal basis: 4 statements. */
const order = (i: number) =>
  event('order', { customer_email: `q${i}@shop.test`, external_id: `Q${i}`, order_idorder: `Q-${i}`, order_state: 20, order_amount: 10, order_crea_dt: '2026-11-25 10:00:00' });

async function heavySite(): Promise<TestSite> {
  const site = await newSite();
  await put(site, '/api/settings', { get_mode: true, gdpr: { on_order: 'purchase' } });
  return site;
}

describe(`D1 queries per invocation stay within the Free plan's ${FREE_PLAN_QUERIES}`, () => {
  it(`a batch of ${LIMITS.eventsPerBatch} page views is 4 queries (the site, one insert for every row, the day's usage, the outbox's claim)`, async () => {
    const site = await newSite();
    const r = await invoke({ key: site.publicKey, events: Array.from({ length: LIMITS.eventsPerBatch }, page) });
    expect(r.status, r.body).toBe(204);
    expect(r.queries).toBe(4);
  });

  it('the heaviest batch: the most orders (one naming two profiles, one a retry, one sent by the server), the rest page views, every log written', async () => {
    const site = await heavySite();
    const orders = Array.from({ length: LIMITS.profileEventsPerBatch }, (_, i) => order(i));
    // Q-0's email and external_id belong to two profiles: the browser's write goes to the
    // external_id's, links nothing, and says nothing (the answer must not tell that the email is known).
    await post(site, '/api/updateCustomer', { data: { customer_email: 'q0@shop.test', external_id: 'OTHER' } });
    await post(site, '/api/updateCustomer', { data: { customer_email: 'other@shop.test', external_id: 'Q0' } });
    // Q-1 was taken before (this batch is its retry); Q-2 was sent by the shop's server.
    expect((await invoke({ key: site.publicKey, events: [orders[1]] })).status).toBe(204);
    expect((await post(site, '/api/updateOrder', { data: orders[2].data })).status).toBe(200);
    forgetSite(site.publicKey); // and the site is read from D1 again
    const pages = Array.from({ length: LIMITS.eventsPerBatch - orders.length - 2 }, page);
    const refused = event('order', { customer_email: 'q9@shop.test', order_idorder: 'Q-9', order_state: 20, order_amount: 10, order_crea_dt: '2026-11-25 10:00:00' });
    const r = await invoke({ key: site.publicKey, events: [...orders, ...pages, refused, event('product', { product_id: 'P', colour: 'red' })] });
    expect(r.status).toBe(400); // the extra order and the unknown field
    expect(JSON.parse(r.body).error.fields.map((f: { field: string }) => f.field)).toEqual([
      `events[${LIMITS.eventsPerBatch - 2}].type`,
      `events[${LIMITS.eventsPerBatch - 1}].data[colour]`,
    ]);
    // each of the three logs was written within the invocation
    const logged = (await (await get(site, '/api/rejections/recent')).json()) as { rejections: { code: string }[] };
    expect(logged.rejections.map((x) => x.code).sort()).toEqual(['duplicate_dropped', 'invalid_fields', 'server_order_kept']);
    console.log(`the heaviest /collect batch: ${r.queries} D1 queries (Free plan: ${FREE_PLAN_QUERIES})`);
    expect(r.queries).toBeGreaterThan(15);
    expect(r.queries).toBeLessThanOrEqual(FREE_PLAN_QUERIES);
  });

  it(`takes ${LIMITS.profileEventsPerBatch} account, order and optin events per batch and refuses the others, naming them`, async () => {
    const site = await heavySite();
    const r = await invoke({ key: site.publicKey, events: Array.from({ length: LIMITS.eventsPerBatch }, (_, i) => order(100 + i)) });
    expect(r.status).toBe(400);
    const { fields } = JSON.parse(r.body).error;
    expect(fields).toHaveLength(LIMITS.eventsPerBatch - LIMITS.profileEventsPerBatch);
    expect(fields[0]).toEqual({
      field: `events[${LIMITS.profileEventsPerBatch}].type`,
      reason: `is one account, order or optin event too many: at most ${LIMITS.profileEventsPerBatch} per batch (send the others in another batch)`,
    });
    expect(r.queries).toBeLessThanOrEqual(FREE_PLAN_QUERIES);
  });
});
